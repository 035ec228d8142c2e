-- AlterTable
ALTER TABLE "ledger_entries" ADD COLUMN     "base_minor" BIGINT,
ADD COLUMN     "counterparty_id" TEXT;
