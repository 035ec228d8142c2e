-- Erasure of a person's data (platform/erasure.ts): when it was done, and why (a request, consent
-- withdrawn or opt-out past retention, inactivity). The row itself stays, scrubbed: the funnel and
-- the ledger count it.
ALTER TABLE "leads" ADD COLUMN "erased_at" TIMESTAMP(3);
ALTER TABLE "leads" ADD COLUMN "erasure_reason" TEXT;

-- The retention sweep's scans: opted-out leads by when they closed, and every lead by last activity.
CREATE INDEX "leads_retention_opted_out_idx" ON "leads"("stage_changed_at") WHERE "opted_out" AND "erased_at" IS NULL;
CREATE INDEX "leads_retention_inactive_idx" ON "leads"("updated_at") WHERE "erased_at" IS NULL;
