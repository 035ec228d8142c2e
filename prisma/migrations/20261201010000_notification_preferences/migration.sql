-- Each person's notification preferences: a manager (also as a team lead: `manager:<id>`) or a
-- partner (`partner:<id>`). No row: the defaults (every channel, any time, the language from
-- NOTIFY_LANGUAGES / NOTIFY_LANGUAGE). Read when a notification is delivered, so a change
-- applies to what is already waiting (notifications/preferences.ts).
CREATE TABLE "notification_preferences" (
    "person" TEXT NOT NULL,
    "email" BOOLEAN NOT NULL DEFAULT true,
    "webhooks" BOOLEAN NOT NULL DEFAULT true,
    -- ru | en; NULL: the NOTIFY_LANGUAGES / NOTIFY_LANGUAGE setting, else ru.
    "language" TEXT,
    -- Task kinds announced on no channel (the task is still in the work queue).
    "muted_kinds" TEXT[] NOT NULL DEFAULT ARRAY[]::TEXT[],
    "time_zone" TEXT NOT NULL DEFAULT 'Europe/Moscow',
    -- Local "HH:MM" in time_zone; from later than to wraps midnight (20:00–09:00). Both or neither.
    "quiet_from" TEXT,
    "quiet_to" TEXT,
    -- Hold what falls outside the business calendar's working time.
    "working_hours_only" BOOLEAN NOT NULL DEFAULT false,
    "updated_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_by" TEXT NOT NULL,

    CONSTRAINT "notification_preferences_pkey" PRIMARY KEY ("person"),
    CONSTRAINT "notification_preferences_person_check" CHECK ("person" ~ '^(manager|partner):.+$'),
    CONSTRAINT "notification_preferences_language_check" CHECK ("language" IN ('ru', 'en')),
    CONSTRAINT "notification_preferences_quiet_check" CHECK (("quiet_from" IS NULL) = ("quiet_to" IS NULL))
);

-- A notification held by the recipient's quiet hours waits until `held_until` (its next_attempt_at
-- too); `reason` says why it was held or suppressed (a channel off, a muted task kind), for ops.
ALTER TABLE "notifications" ADD COLUMN "held_until" TIMESTAMP(3), ADD COLUMN "reason" TEXT;
-- The rows of one person that a change of preferences releases for a new decision.
CREATE INDEX "notifications_held_assignee_idx" ON "notifications"(("payload"->>'assignee'))
    WHERE "status" = 'pending' AND "held_until" IS NOT NULL;
