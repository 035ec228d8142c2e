// The tasks table, for the API and the activities alike: a task is made once (keyed), supersedes
// the older open one of the same kind for the same lead and assignee, and is completed by a person
// with an outcome (and the next one set).
import type { Prisma } from '../../generated/prisma/client';
import { FOLLOW_UP, followUpKey, type NewTask } from '../../domain/tasks';
import type { Db } from '../db';
import { insertOutboxRowsSql, type OutboxRow, outboxRows } from '../../notifications/outbox';
import { audienceOf } from '../../notifications/recipients';

export type { NewTask };

/** The Prisma client, or an interactive transaction of it. */
export type Tx = Prisma.TransactionClient;

// A task, the older open one it supersedes closed, and the outbox rows announcing it (none for
// insertTask) — one statement, so one round trip and atomic without a transaction around it. The
// supersede and the announcements happen only when the task is new (a retried activity changes
// nothing). The one place the supersede rule is written.
const CREATE_TASK_SQL = `WITH made AS (
  INSERT INTO tasks (key, lead_id, assignee, kind, title, due_at, created_at)
  VALUES ($1, $2, $3, $4, $5, $6::timestamp, now() AT TIME ZONE 'UTC')
  ON CONFLICT (key) DO NOTHING
  RETURNING key
), superseded AS (
  UPDATE tasks SET done_at = now() AT TIME ZONE 'UTC', outcome = 'superseded', completed_by = 'system'
  WHERE lead_id = $2 AND kind = $4 AND assignee = $3 AND done_at IS NULL AND key <> $1 AND EXISTS (SELECT 1 FROM made)
), announced AS (
  ${insertOutboxRowsSql(7, 2, 4, 'EXISTS (SELECT 1 FROM made)')}
)
SELECT count(*)::int AS made FROM made`;

async function writeTask(q: Pick<Tx, '$queryRawUnsafe'>, task: NewTask, announcements: OutboxRow[]): Promise<boolean> {
  const [res] = await q.$queryRawUnsafe<Array<{ made: number }>>(
    CREATE_TASK_SQL,
    task.key,
    task.leadId,
    task.assignee,
    task.kind,
    task.title,
    task.dueAt ?? null,
    JSON.stringify(announcements),
  );
  return res?.made === 1;
}

/**
 * Creates the task unless its key exists (a retried activity), and closes the older open tasks
 * of the same kind, lead and assignee it supersedes — at once, so there is never a moment with
 * both open (in the caller's transaction, when given one). Returns whether it was created.
 */
export function insertTask(tx: Tx, task: NewTask): Promise<boolean> {
  return writeTask(tx, task, []);
}

/**
 * insertTask with the outbox rows that announce the task (notifications/outbox.ts). Who hears of
 * it is read first; the rest is one statement. Returns whether it was created.
 */
export async function createAnnouncedTask(db: Db, task: NewTask): Promise<boolean> {
  return writeTask(db, task, outboxRows(task, await audienceOf(db, task.assignee)));
}

export interface TaskRow {
  key: string;
  leadId: string;
  assignee: string;
  kind: string;
  title: string;
  dueAt: Date | null;
  createdAt: Date;
  doneAt: Date | null;
  outcome: string | null;
  note: string | null;
  completedBy: string | null;
  remindedAt: Date | null;
}

export interface Completion {
  outcome: string;
  note?: string;
  next?: { title: string; dueAt: string };
  actor: string;
}

/**
 * A person completes a task with its outcome and, if given, sets the next one (same lead and
 * assignee, a follow-up with its due date). Idempotent: a task already done is returned as it is
 * with the follow-up made when it was completed, and nothing changes.
 */
export async function completeTask(db: Db, key: string, c: Completion): Promise<{ task: TaskRow; next: TaskRow | null }> {
  return db.$transaction(async (tx) => {
    const { count } = await tx.task.updateMany({
      where: { key, doneAt: null },
      data: { doneAt: new Date(), outcome: c.outcome, note: c.note ?? null, completedBy: c.actor },
    });
    const task = await tx.task.findUniqueOrThrow({ where: { key } });
    if (count === 1 && c.next) {
      await insertTask(tx, {
        key: followUpKey(key),
        leadId: task.leadId,
        assignee: task.assignee,
        kind: FOLLOW_UP,
        title: c.next.title,
        dueAt: c.next.dueAt,
      });
    }
    const next = await tx.task.findUnique({ where: { key: followUpKey(key) } });
    return { task, next };
  });
}
