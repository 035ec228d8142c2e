// Stop-contact orders and their confirmations. When a client withdraws consent (or opts out) the
// lead workflow ends and leaves each partner that had the lead an order — a `stop_contact` task,
// due by the lead policy's `stopContactConfirmBusinessDays` — announced through the outbox. The
// order stays open after the lead has ended (nothing closes it: registry.completeTasks exempts it)
// until the partner confirms that it stopped all contact and deleted the client's data, through
// any of its channels: its work queue (POST /tasks/:key/complete), the confirm route, or its
// signed webhook. The lead's workflow has ended by then, so the confirmation is PostgreSQL's:
// the task is completed and a `stop_contact_confirmations` row kept for good, in one transaction,
// and the lead's `stop_contact_overdue` alarm is resolved once no order on it is overdue.
import type { StopContactConfirmation, Task } from '../../generated/prisma/client';
import type { Db } from '../db';

export const STOP_CONTACT = 'stop_contact';
/** The outcome a confirmed order's task records. */
export const CONFIRMED = 'confirmed';
export const STOP_CONTACT_ALARM = 'stop_contact_overdue';

export type ConfirmChannel = 'task' | 'api' | 'webhook';

export interface StopContactOrder {
  taskKey: string;
  leadId: string;
  partnerId: string;
  orderedAt: string;
  /** The deadline of the confirmation; null on orders made before they had one. */
  dueAt: string | null;
  state: 'open' | 'confirmed';
  /** Open and past its deadline. */
  overdue: boolean;
  confirmation: { confirmedAt: string; confirmedBy: string; channel: ConfirmChannel; note: string | null } | null;
}

export type ConfirmOutcome =
  | { ok: true; replayed: boolean; order: StopContactOrder }
  /** `no-order`: nobody was ordered to stop on this lead; `not-yours`: the orders on it are other partners'. */
  | { ok: false; why: 'no-order' | 'not-yours' };

const partnerOf = (assignee: string) => assignee.replace(/^partner:/, '');

function orderView(t: Task, c: StopContactConfirmation | null, now: Date): StopContactOrder {
  return {
    taskKey: t.key,
    leadId: t.leadId,
    partnerId: partnerOf(t.assignee),
    orderedAt: t.createdAt.toISOString(),
    dueAt: t.dueAt?.toISOString() ?? null,
    state: c ? 'confirmed' : 'open',
    overdue: !c && !!t.dueAt && t.dueAt.getTime() < now.getTime(),
    confirmation: c && {
      confirmedAt: c.confirmedAt.toISOString(),
      confirmedBy: c.confirmedBy,
      channel: c.channel as ConfirmChannel,
      note: c.note,
    },
  };
}

/**
 * The partner confirms its stop-contact order on `leadId`. Idempotent: a second confirmation (any
 * channel) changes nothing and answers with the first. Two at once record one: the confirmation's
 * key is the order's task key, and the task is completed only while it is open.
 */
export async function confirmStopContact(
  db: Db,
  req: { leadId: string; partnerId: string; actor: string; channel: ConfirmChannel; note?: string },
  now = new Date(),
): Promise<ConfirmOutcome> {
  return db.$transaction(async (tx) => {
    const task = await tx.task.findFirst({
      where: { leadId: req.leadId, kind: STOP_CONTACT, assignee: `partner:${req.partnerId}` },
      orderBy: { createdAt: 'desc' },
    });
    if (!task) {
      const others = await tx.task.count({ where: { leadId: req.leadId, kind: STOP_CONTACT } });
      return { ok: false, why: others ? 'not-yours' : 'no-order' };
    }
    const { count } = await tx.stopContactConfirmation.createMany({
      data: [
        {
          taskKey: task.key,
          leadId: req.leadId,
          partnerId: req.partnerId,
          confirmedBy: req.actor,
          channel: req.channel,
          note: req.note ?? null,
          dueAt: task.dueAt,
          confirmedAt: now,
        },
      ],
      skipDuplicates: true,
    });
    await tx.task.updateMany({
      where: { key: task.key, doneAt: null },
      data: { doneAt: now, outcome: CONFIRMED, completedBy: req.actor, note: req.note ?? null },
    });
    // The lead's alarm is over once none of its orders is overdue (another partner's may still be).
    const stillOverdue = await tx.task.count({ where: { leadId: req.leadId, kind: STOP_CONTACT, doneAt: null, dueAt: { lte: now } } });
    if (stillOverdue === 0) {
      await tx.alarm.updateMany({
        where: { kind: STOP_CONTACT_ALARM, subject: req.leadId, state: { not: 'resolved' } },
        data: { state: 'resolved', resolvedAt: now, resolvedBy: req.actor },
      });
    }
    const confirmation = await tx.stopContactConfirmation.findUniqueOrThrow({ where: { taskKey: task.key } });
    const done = await tx.task.findUniqueOrThrow({ where: { key: task.key } });
    return { ok: true, replayed: count === 0, order: orderView(done, confirmation, now) };
  });
}

/** The lead's stop-contact orders, oldest first, each with its confirmation; only `partnerId`'s if given. */
export async function stopContactOrders(db: Db, leadId: string, partnerId?: string, now = new Date()): Promise<StopContactOrder[]> {
  const tasks = await db.task.findMany({
    where: { leadId, kind: STOP_CONTACT, ...(partnerId ? { assignee: `partner:${partnerId}` } : {}) },
    include: { stopContactConfirmation: true },
    orderBy: [{ createdAt: 'asc' }, { key: 'asc' }],
  });
  return tasks.map(({ stopContactConfirmation, ...t }) => orderView(t, stopContactConfirmation, now));
}
