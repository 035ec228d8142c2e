-- CreateTable
CREATE TABLE "leads" (
    "id" TEXT NOT NULL,
    "intake_key" TEXT NOT NULL,
    "kind" TEXT NOT NULL DEFAULT 'lead',
    "source_channel" TEXT NOT NULL,
    "source_partner_id" TEXT,
    "campaign" TEXT,
    "external_id" TEXT,
    "person_name" TEXT,
    "company_name" TEXT,
    "company_key" TEXT,
    "phone" TEXT,
    "email" TEXT,
    "region" TEXT,
    "topic" TEXT,
    "stage" TEXT NOT NULL,
    "manager_id" TEXT,
    "partner_id" TEXT,
    "stale" BOOLEAN NOT NULL DEFAULT false,
    "deal_value_minor" BIGINT,
    "currency" TEXT,
    "opted_out" BOOLEAN NOT NULL DEFAULT false,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "stage_changed_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_seq" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "leads_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "lead_events" (
    "id" BIGSERIAL NOT NULL,
    "lead_id" TEXT NOT NULL,
    "seq" INTEGER NOT NULL,
    "type" TEXT NOT NULL,
    "stage" TEXT NOT NULL,
    "actor" TEXT NOT NULL,
    "reason" TEXT,
    "data" JSONB,
    "at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "lead_events_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "managers" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "team_lead_id" TEXT,
    "active" BOOLEAN NOT NULL DEFAULT true,
    "absent_from" TIMESTAMP(3),
    "absent_to" TIMESTAMP(3),
    "expertise" TEXT[],
    "territory" TEXT[],
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "managers_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "partners" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "expertise" TEXT[],
    "regions" TEXT[],
    "price_niche_minor" BIGINT,
    "capacity" INTEGER NOT NULL DEFAULT 10,
    "grade" INTEGER NOT NULL DEFAULT 3,
    "status" TEXT NOT NULL DEFAULT 'active',
    "leaving_notice_at" TIMESTAMP(3),
    "reserve_for" TEXT[],
    "handoff_email" TEXT,
    "handoff_phone" TEXT,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "partners_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "consents" (
    "id" TEXT NOT NULL,
    "lead_id" TEXT NOT NULL,
    "purpose" TEXT NOT NULL,
    "given" BOOLEAN NOT NULL,
    "asked_by" TEXT NOT NULL,
    "channel" TEXT NOT NULL,
    "wording" TEXT NOT NULL,
    "recorded_at" TIMESTAMP(3) NOT NULL,
    "withdrawn_at" TIMESTAMP(3),

    CONSTRAINT "consents_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ledger_entries" (
    "id" BIGSERIAL NOT NULL,
    "idempotency_key" TEXT NOT NULL,
    "partner_id" TEXT NOT NULL,
    "lead_id" TEXT,
    "kind" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "amount_minor" BIGINT NOT NULL,
    "currency" TEXT NOT NULL,
    "memo" TEXT,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ledger_entries_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "inquiries" (
    "intake_key" TEXT NOT NULL,
    "lead_id" TEXT NOT NULL,
    "source_channel" TEXT NOT NULL,
    "partner_id" TEXT,
    "duplicate" BOOLEAN NOT NULL DEFAULT false,
    "matched_on" TEXT,
    "received_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "inquiries_pkey" PRIMARY KEY ("intake_key")
);

-- CreateTable
CREATE TABLE "tasks" (
    "key" TEXT NOT NULL,
    "lead_id" TEXT NOT NULL,
    "assignee" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "title" TEXT NOT NULL,
    "due_at" TIMESTAMP(3),
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "done_at" TIMESTAMP(3),

    CONSTRAINT "tasks_pkey" PRIMARY KEY ("key")
);

-- CreateTable
CREATE TABLE "partner_offers" (
    "lead_id" TEXT NOT NULL,
    "partner_id" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "offered_at" TIMESTAMP(3) NOT NULL,
    "responded_at" TIMESTAMP(3),
    "released_at" TIMESTAMP(3),
    "reason" TEXT,

    CONSTRAINT "partner_offers_pkey" PRIMARY KEY ("lead_id","partner_id")
);

-- CreateTable
CREATE TABLE "partner_agreements" (
    "id" TEXT NOT NULL,
    "partner_id" TEXT NOT NULL,
    "model" TEXT NOT NULL,
    "percent_bps" INTEGER,
    "fixed_fee_minor" BIGINT,
    "tiers" JSONB,
    "currency" TEXT NOT NULL DEFAULT 'RUB',
    "holding_days" INTEGER NOT NULL DEFAULT 30,
    "min_payout_minor" BIGINT NOT NULL DEFAULT 0,
    "active" BOOLEAN NOT NULL DEFAULT true,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "partner_agreements_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "leads_intake_key_key" ON "leads"("intake_key");

-- CreateIndex
CREATE INDEX "leads_phone_idx" ON "leads"("phone");

-- CreateIndex
CREATE INDEX "leads_email_idx" ON "leads"("email");

-- CreateIndex
CREATE INDEX "leads_company_key_idx" ON "leads"("company_key");

-- CreateIndex
CREATE INDEX "leads_stage_created_at_idx" ON "leads"("stage", "created_at");

-- CreateIndex
CREATE INDEX "leads_manager_id_stage_idx" ON "leads"("manager_id", "stage");

-- CreateIndex
CREATE UNIQUE INDEX "lead_events_lead_id_seq_key" ON "lead_events"("lead_id", "seq");

-- CreateIndex
CREATE INDEX "consents_lead_id_idx" ON "consents"("lead_id");

-- CreateIndex
CREATE UNIQUE INDEX "ledger_entries_idempotency_key_key" ON "ledger_entries"("idempotency_key");

-- CreateIndex
CREATE INDEX "ledger_entries_partner_id_created_at_idx" ON "ledger_entries"("partner_id", "created_at");

-- CreateIndex
CREATE INDEX "inquiries_lead_id_idx" ON "inquiries"("lead_id");

-- CreateIndex
CREATE INDEX "tasks_assignee_done_at_idx" ON "tasks"("assignee", "done_at");

-- CreateIndex
CREATE INDEX "tasks_lead_id_idx" ON "tasks"("lead_id");

-- CreateIndex
CREATE INDEX "partner_offers_partner_id_status_idx" ON "partner_offers"("partner_id", "status");

-- CreateIndex
CREATE INDEX "partner_agreements_partner_id_active_idx" ON "partner_agreements"("partner_id", "active");

-- AddForeignKey
ALTER TABLE "lead_events" ADD CONSTRAINT "lead_events_lead_id_fkey" FOREIGN KEY ("lead_id") REFERENCES "leads"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "consents" ADD CONSTRAINT "consents_lead_id_fkey" FOREIGN KEY ("lead_id") REFERENCES "leads"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "inquiries" ADD CONSTRAINT "inquiries_lead_id_fkey" FOREIGN KEY ("lead_id") REFERENCES "leads"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "partner_offers" ADD CONSTRAINT "partner_offers_lead_id_fkey" FOREIGN KEY ("lead_id") REFERENCES "leads"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
