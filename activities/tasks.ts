// Tasks in PostgreSQL: made once (keyed), superseded by a newer one of the same kind for the same
// lead and assignee, done by the lead action they stand for, completed by a person with an
// outcome (and the next one set), and reminded once when due. Making and completing one is the
// tasks repository's (platform/repos/tasks.ts), shared with the API.
import { enqueueForTask } from '../notifications/outbox';
import { Prisma } from '../generated/prisma/client';
import { tasksDoneBy } from '../domain/tasks';
import type { Transition } from '../domain/lifecycle';
import type { Db } from '../platform/db';
import type { Tx } from '../platform/repos/tasks';

// The lead's transition sequence a workflow task key carries (`<leadId>:<seq>[:…]`); 0 for any other key.
const SEQ_OF_KEY = Prisma.sql`(CASE WHEN split_part(substr(key, length(lead_id) + 2), ':', 1) ~ '^[0-9]{1,9}$'
  THEN split_part(substr(key, length(lead_id) + 2), ':', 1)::int ELSE 0 END)`;

/**
 * Statements closing the open tasks these transitions did (domain/tasks.ts), each only on tasks
 * made before it (a lower sequence): a task the workflow makes after the action stays open.
 * Idempotent, for a retried recordTransitions.
 */
export function closeTasksDoneBy(db: Db, leadId: string, transitions: Transition[]): Prisma.PrismaPromise<number>[] {
  return transitions.flatMap((t) => {
    const done = tasksDoneBy(t);
    if (!done) return [];
    return [
      db.$executeRaw`UPDATE tasks SET done_at = ${t.at}::timestamp, outcome = ${t.type}, completed_by = ${t.actor}
      WHERE lead_id = ${leadId} AND done_at IS NULL AND kind = ANY(${[...done.kinds]}::text[])
        AND (${done.assignee ?? null}::text IS NULL OR assignee = ${done.assignee ?? null}::text) AND ${SEQ_OF_KEY} < ${t.seq}`,
    ];
  });
}

export interface TaskReminder {
  key: string;
  leadId: string;
  assignee: string;
  kind: string;
  title: string;
  dueAt: string;
}

/**
 * Open tasks due by `now` whose reminder has not gone out: stamped `remindedAt` and returned, each
 * once. Pass a transaction to hand them on (an outbox row, say) in the same commit. At most
 * `limit` a call (oldest due first); two sweeps at once never take the same task.
 */
export async function dueTasksToRemind(db: Pick<Tx, '$queryRaw'>, now: Date, limit = 500): Promise<TaskReminder[]> {
  const at = now.toISOString();
  const rows = await db.$queryRaw<Array<Omit<TaskReminder, 'dueAt'> & { dueAt: Date | string }>>`
    WITH due AS (
      SELECT key FROM tasks WHERE done_at IS NULL AND reminded_at IS NULL AND due_at IS NOT NULL AND due_at <= ${at}::timestamp
      ORDER BY due_at, key LIMIT ${limit} FOR UPDATE SKIP LOCKED
    )
    UPDATE tasks t SET reminded_at = ${at}::timestamp FROM due WHERE t.key = due.key
    RETURNING t.key, t.lead_id AS "leadId", t.assignee, t.kind, t.title,
      to_char(t.due_at, 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS "dueAt"`;
  return rows.map((r) => ({ ...r, dueAt: String(r.dueAt) })).sort((a, b) => a.dueAt.localeCompare(b.dueAt) || a.key.localeCompare(b.key));
}

export function taskActivities(db: Db) {
  return {
    /**
     * The task-reminders Schedule's sweep: due tasks, each reminded once — stamped and announced
     * (an outbox row per channel, kind `task_due`) in one transaction, so a reminder is never lost
     * nor sent twice.
     */
    async remindDueTasks(): Promise<TaskReminder[]> {
      return db.$transaction(async (tx) => {
        const due = await dueTasksToRemind(tx, new Date());
        for (const t of due) await enqueueForTask(tx, { ...t, key: `${t.key}:due`, kind: 'task_due', title: t.title });
        return due;
      });
    },
  };
}
