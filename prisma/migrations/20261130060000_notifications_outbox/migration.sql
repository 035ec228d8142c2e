-- The transactional outbox: a notification is written in the same transaction as the task it
-- announces, then delivered (and retried) by the `notifications-deliver` Schedule's workflow.
-- `key` (<taskKey>:<channel>:<recipient>) makes a retried createTask enqueue nothing twice.
CREATE TABLE "notifications" (
    "id" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "lead_id" TEXT,
    "channel" TEXT NOT NULL,
    "recipient" TEXT NOT NULL,
    "template" TEXT NOT NULL,
    "payload" JSONB NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'pending',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "next_attempt_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_error" TEXT,
    "sent_at" TIMESTAMP(3),
    -- Retried until then, dead after; a manual retry gives it another 24 h.
    "give_up_at" TIMESTAMP(3) NOT NULL DEFAULT (CURRENT_TIMESTAMP + '24:00:00'::interval),
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "notifications_pkey" PRIMARY KEY ("id")
);

CREATE UNIQUE INDEX "notifications_key_key" ON "notifications"("key");
CREATE INDEX "notifications_lead_id_idx" ON "notifications"("lead_id");
CREATE INDEX "notifications_status_created_at_idx" ON "notifications"("status", "created_at");
-- The delivery claim's scan: only the rows still to deliver are in this index.
CREATE INDEX "notifications_due_idx" ON "notifications"("next_attempt_at") WHERE "status" = 'pending';

-- Where webhooks go: a partner's CRM (`partner:<id>`) or a team's chat bot (`team:<id>`).
CREATE TABLE "webhook_subscriptions" (
    "id" TEXT NOT NULL,
    "subscriber" TEXT NOT NULL,
    "url" TEXT NOT NULL,
    "secret" TEXT NOT NULL,
    "active" BOOLEAN NOT NULL DEFAULT true,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "webhook_subscriptions_pkey" PRIMARY KEY ("id")
);

CREATE INDEX "webhook_subscriptions_subscriber_active_idx" ON "webhook_subscriptions"("subscriber", "active");
