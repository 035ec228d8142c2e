-- A dispute is resolved by someone, with the outcome written down (or by the reconciliation
-- itself when the partner's corrected list no longer shows the discrepancy).
-- AlterTable
ALTER TABLE "disputes" ADD COLUMN "resolved_by" TEXT,
ADD COLUMN "resolution" TEXT;
