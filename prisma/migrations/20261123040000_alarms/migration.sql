-- CreateTable
CREATE TABLE "alarms" (
    "id" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "subject" TEXT NOT NULL,
    "state" TEXT NOT NULL,
    "evidence" JSONB NOT NULL,
    "threshold" JSONB NOT NULL,
    "opened_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "acknowledged_at" TIMESTAMP(3),
    "acknowledged_by" TEXT,
    "resolved_at" TIMESTAMP(3),
    "resolved_by" TEXT,
    "notified_at" TIMESTAMP(3),

    CONSTRAINT "alarms_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "alarms_state_kind_idx" ON "alarms"("state", "kind");

-- One open (or acknowledged) alarm per kind and subject: the same alarm never fires twice while open.
CREATE UNIQUE INDEX "alarms_one_open_per_subject" ON "alarms"("kind", "subject") WHERE "state" <> 'resolved';
