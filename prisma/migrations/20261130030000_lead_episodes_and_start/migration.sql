-- A contact who writes again after their lead ended starts a new episode: a new lead linked to
-- the one before (at most one next episode per lead, so two racing intakes cannot fork it).
-- A returning contact who had opted out is flagged: their own request is fresh consent to be
-- contacted about this inquiry, which the manager is shown.
ALTER TABLE "leads" ADD COLUMN "previous_lead_id" TEXT;
ALTER TABLE "leads" ADD COLUMN "returned_after_opt_out" BOOLEAN NOT NULL DEFAULT false;

-- When the lead's workflow was known to be started. Null: registered while Temporal was
-- unreachable; the intake sweeper (Schedule `intake-sweep`) starts it and sets this.
ALTER TABLE "leads" ADD COLUMN "workflow_started_at" TIMESTAMP(3);

-- Every lead whose workflow ever recorded a transition has one; those that never did (the
-- orphans of an outage before this migration) are left null, so the first sweep starts them.
UPDATE "leads" SET "workflow_started_at" = "created_at" WHERE "last_seq" > 0;

-- CreateIndex
CREATE UNIQUE INDEX "leads_previous_lead_id_key" ON "leads"("previous_lead_id");

-- AddForeignKey
ALTER TABLE "leads" ADD CONSTRAINT "leads_previous_lead_id_fkey"
  FOREIGN KEY ("previous_lead_id") REFERENCES "leads"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- The sweep's scan: only the few leads still waiting for their workflow are in this index.
CREATE INDEX "leads_unstarted_created_at_idx" ON "leads"("created_at") WHERE "workflow_started_at" IS NULL;
