-- Work queues: a task records how it ended (the outcome the person gave, the lead action that
-- did it, or `superseded` by a newer task of the same kind), who ended it and their note; and
-- when its reminder went out, so a due task reminds once.
ALTER TABLE "tasks" ADD COLUMN "outcome" TEXT;
ALTER TABLE "tasks" ADD COLUMN "note" TEXT;
ALTER TABLE "tasks" ADD COLUMN "completed_by" TEXT;
ALTER TABLE "tasks" ADD COLUMN "reminded_at" TIMESTAMP(3);

-- The queue's order (due date, open-ended last, then creation and key) for one assignee.
CREATE INDEX "tasks_assignee_due_idx" ON "tasks"("assignee", (COALESCE("due_at", 'infinity'::timestamp)), "created_at", "key");
-- The reminder sweep looks only at open, due, not yet reminded tasks.
CREATE INDEX "tasks_to_remind_idx" ON "tasks"("due_at") WHERE "done_at" IS NULL AND "reminded_at" IS NULL AND "due_at" IS NOT NULL;
