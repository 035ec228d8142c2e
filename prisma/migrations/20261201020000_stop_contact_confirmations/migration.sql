-- A partner's confirmation that it stopped all contact with a client who withdrew consent and
-- deleted the client's data: one per stop-contact order (its task), kept for good as the record
-- that the order was carried out — who confirmed it, when, through which channel, and by when it
-- was due. Written in the transaction that completes the order's task (activities/stop-contact.ts).
CREATE TABLE "stop_contact_confirmations" (
    "task_key" TEXT NOT NULL,
    "lead_id" TEXT NOT NULL,
    "partner_id" TEXT NOT NULL,
    "confirmed_by" TEXT NOT NULL,
    -- task (POST /tasks/:key/complete) | api (POST /partners/:id/stop-contact/:leadId/confirm) | webhook
    "channel" TEXT NOT NULL,
    "note" TEXT,
    "due_at" TIMESTAMP(3),
    "confirmed_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "stop_contact_confirmations_pkey" PRIMARY KEY ("task_key"),
    CONSTRAINT "stop_contact_confirmations_task_key_fkey" FOREIGN KEY ("task_key") REFERENCES "tasks"("key") ON DELETE RESTRICT ON UPDATE CASCADE,
    CONSTRAINT "stop_contact_confirmations_lead_id_fkey" FOREIGN KEY ("lead_id") REFERENCES "leads"("id") ON DELETE RESTRICT ON UPDATE CASCADE
);

CREATE INDEX "stop_contact_confirmations_lead_id_idx" ON "stop_contact_confirmations"("lead_id");

-- The hourly stop_contact_overdue sweep reads only the orders still waiting for a confirmation.
CREATE INDEX "tasks_stop_contact_open_idx" ON "tasks"("due_at") WHERE "kind" = 'stop_contact' AND "done_at" IS NULL;
