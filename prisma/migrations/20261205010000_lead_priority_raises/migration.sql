-- A lead's task priority is raised after the workflow task that ends its first steps has completed
-- (platform/lead-priority.ts): raised inside it, the event landed mid-task and Temporal scheduled one
-- more, empty workflow task for every new lead. The flush that ends the first steps records the
-- raise as due here; the worker deletes the row once it has raised the lead, and the intake sweeper
-- raises what is left (the worker stopped in between, Temporal was down). Every lead so far was
-- raised inside its first steps' workflow task: nothing is due.
CREATE TABLE "lead_priority_raises" (
    "lead_id" TEXT NOT NULL,
    "requested_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "lead_priority_raises_pkey" PRIMARY KEY ("lead_id")
);

CREATE INDEX "lead_priority_raises_requested_at_idx" ON "lead_priority_raises"("requested_at");
