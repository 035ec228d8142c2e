-- A lead's decisions that read the world as it is (which manager, which partners), recorded under a
-- key the workflow gives them, so that a retry answers what was decided the first time. A lead's
-- activities run inside its workflow task (local activities): a worker killed before that task
-- completed loses their results, not their writes, and the next worker runs them again. Picked
-- afresh, the manager could differ from the one the first attempt had already written to the read
-- model and given the first task (platform/decisions.ts).
CREATE TABLE "lead_decisions" (
    "lead_id" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "result" JSONB NOT NULL,
    "decided_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "lead_decisions_pkey" PRIMARY KEY ("lead_id", "key")
);
