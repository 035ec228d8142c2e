// The tasks table, for the API and the activities alike: a task is made once (keyed), supersedes
// the older open one of the same kind for the same lead and assignee, and is completed by a person
// with an outcome (and the next one set).
import type { Prisma } from '../../generated/prisma/client';
import { FOLLOW_UP, followUpKey, type NewTask } from '../../domain/tasks';
import type { Db } from '../db';

export type { NewTask };

/** The Prisma client, or an interactive transaction of it. */
export type Tx = Prisma.TransactionClient;

/**
 * Creates the task unless its key exists (a retried activity), and closes the older open tasks
 * of the same kind, lead and assignee it supersedes — in the caller's transaction, so there is
 * never a moment with both open. Returns whether it was created.
 */
export async function insertTask(tx: Tx, task: NewTask): Promise<boolean> {
  const { count } = await tx.task.createMany({
    data: [{ ...task, dueAt: task.dueAt ? new Date(task.dueAt) : null }],
    skipDuplicates: true,
  });
  if (count === 0) return false;
  await tx.task.updateMany({
    where: { leadId: task.leadId, kind: task.kind, assignee: task.assignee, doneAt: null, key: { not: task.key } },
    data: { doneAt: new Date(), outcome: 'superseded', completedBy: 'system' },
  });
  return true;
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
