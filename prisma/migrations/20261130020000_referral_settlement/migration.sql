-- A referral between partners (and its clawbacks) is settled by the monthly netting, one-way
-- pairs included; each entry names the settlement that settled it, so an entry is settled once
-- and what is still open shows on both partners' statements.
-- AlterTable
ALTER TABLE "ledger_entries" ADD COLUMN "settlement_id" TEXT;

-- CreateIndex
CREATE INDEX "ledger_entries_counterparty_id_idx" ON "ledger_entries"("counterparty_id");

-- Entries already netted into a two-way settlement of their month are settled by it.
UPDATE "ledger_entries" AS e
SET "settlement_id" = s."id", "status" = 'settled'
FROM "settlements" AS s
WHERE e."counterparty_id" IS NOT NULL
  AND e."kind" IN ('commission_referral', 'clawback')
  AND e."settlement_id" IS NULL
  AND s."period" = to_char(e."created_at", 'YYYY-MM')
  AND s."currency" = e."currency"
  AND s."partner_a" = LEAST(e."partner_id", e."counterparty_id")
  AND s."partner_b" = GREATEST(e."partner_id", e."counterparty_id");
