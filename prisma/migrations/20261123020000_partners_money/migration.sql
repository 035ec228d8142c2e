-- AlterTable
ALTER TABLE "partners" ADD COLUMN     "closed_at" TIMESTAMP(3),
ADD COLUMN     "grade_override" INTEGER,
ADD COLUMN     "grade_override_reason" TEXT;

-- AlterTable
ALTER TABLE "ledger_entries" ADD COLUMN     "available_at" TIMESTAMP(3),
ADD COLUMN     "payout_id" TEXT,
ADD COLUMN     "reverses_key" TEXT;

-- CreateTable
CREATE TABLE "partner_feedback" (
    "id" TEXT NOT NULL,
    "lead_id" TEXT NOT NULL,
    "partner_id" TEXT NOT NULL,
    "score" INTEGER NOT NULL,
    "deadlines_kept" BOOLEAN NOT NULL,
    "comment" TEXT,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "partner_feedback_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "partner_conflicts" (
    "id" TEXT NOT NULL,
    "partner_id" TEXT NOT NULL,
    "lead_id" TEXT,
    "description" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "fixes" JSONB,
    "resolution" TEXT,
    "opened_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "resolved_at" TIMESTAMP(3),

    CONSTRAINT "partner_conflicts_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "partner_grades" (
    "id" BIGSERIAL NOT NULL,
    "partner_id" TEXT NOT NULL,
    "grade" INTEGER NOT NULL,
    "source" TEXT NOT NULL,
    "inputs" JSONB,
    "reason" TEXT,
    "actor" TEXT NOT NULL,
    "at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "partner_grades_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "payouts" (
    "id" TEXT NOT NULL,
    "partner_id" TEXT NOT NULL,
    "period" TEXT NOT NULL,
    "currency" TEXT NOT NULL,
    "amount_minor" BIGINT NOT NULL,
    "status" TEXT NOT NULL,
    "transfer_ref" TEXT,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "paid_at" TIMESTAMP(3),

    CONSTRAINT "payouts_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "payout_transfers" (
    "payout_id" TEXT NOT NULL,
    "partner_id" TEXT NOT NULL,
    "amount_minor" BIGINT NOT NULL,
    "currency" TEXT NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "payout_transfers_pkey" PRIMARY KEY ("payout_id")
);

-- CreateTable
CREATE TABLE "settlements" (
    "id" TEXT NOT NULL,
    "partner_a" TEXT NOT NULL,
    "partner_b" TEXT NOT NULL,
    "period" TEXT NOT NULL,
    "currency" TEXT NOT NULL,
    "amount_minor" BIGINT NOT NULL,
    "gross_a_to_b" BIGINT NOT NULL,
    "gross_b_to_a" BIGINT NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "settlements_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "reconciliation_reports" (
    "id" TEXT NOT NULL,
    "partner_id" TEXT NOT NULL,
    "period_from" TIMESTAMP(3) NOT NULL,
    "period_to" TIMESTAMP(3) NOT NULL,
    "submitted" INTEGER NOT NULL,
    "matched" INTEGER NOT NULL,
    "missing" JSONB NOT NULL,
    "extra" JSONB NOT NULL,
    "mismatched" JSONB NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "reconciliation_reports_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "disputes" (
    "id" TEXT NOT NULL,
    "partner_id" TEXT NOT NULL,
    "report_id" TEXT NOT NULL,
    "external_id" TEXT,
    "lead_id" TEXT,
    "kind" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "resolved_at" TIMESTAMP(3),

    CONSTRAINT "disputes_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "partner_sent_leads" (
    "partner_id" TEXT NOT NULL,
    "external_id" TEXT NOT NULL,
    "sent_at" TIMESTAMP(3) NOT NULL,
    "phone" TEXT,
    "email" TEXT,
    "uploaded_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "partner_sent_leads_pkey" PRIMARY KEY ("partner_id","external_id")
);

-- CreateIndex
CREATE INDEX "ledger_entries_partner_id_status_idx" ON "ledger_entries"("partner_id", "status");

-- CreateIndex
CREATE INDEX "partner_feedback_partner_id_idx" ON "partner_feedback"("partner_id");

-- CreateIndex
CREATE UNIQUE INDEX "partner_feedback_lead_id_partner_id_key" ON "partner_feedback"("lead_id", "partner_id");

-- CreateIndex
CREATE INDEX "partner_conflicts_partner_id_status_idx" ON "partner_conflicts"("partner_id", "status");

-- CreateIndex
CREATE INDEX "partner_grades_partner_id_at_idx" ON "partner_grades"("partner_id", "at");

-- CreateIndex
CREATE INDEX "payouts_partner_id_period_idx" ON "payouts"("partner_id", "period");

-- CreateIndex
CREATE INDEX "reconciliation_reports_partner_id_created_at_idx" ON "reconciliation_reports"("partner_id", "created_at");

-- CreateIndex
CREATE INDEX "disputes_partner_id_status_idx" ON "disputes"("partner_id", "status");
