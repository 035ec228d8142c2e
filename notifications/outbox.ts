// The transactional outbox: `enqueueForTask` runs in the transaction that creates a task, so a
// task exists with its notifications or not at all; delivery happens later (notifications/deliver.ts).
import { randomUUID } from 'node:crypto';
import { audienceOf, type Audience, type RawQuerier } from './recipients';
import type { NewTask } from '../domain/tasks';
import type { TaskPayload } from './templates';

export interface OutboxTx extends RawQuerier {
  $executeRawUnsafe(query: string, ...values: unknown[]): Promise<number>;
}

/** One notification of a task: the outbox row's values, keyed so a retried write makes it once. */
export interface OutboxRow {
  id: string;
  key: string;
  channel: 'email' | 'webhook';
  recipient: string;
  payload: string;
}

/** The outbox rows announcing `task` to its audience: an e-mail when the address is known, a webhook per subscription. */
export function outboxRows(task: NewTask, audience: Audience): OutboxRow[] {
  const payload: TaskPayload = {
    taskKey: task.key,
    leadId: task.leadId,
    kind: task.kind,
    title: task.title,
    assignee: task.assignee,
    dueAt: task.dueAt ?? null,
  };
  const json = JSON.stringify({ ...payload, language: audience.recipient.language });
  const to: Array<Pick<OutboxRow, 'channel' | 'recipient'>> = [
    ...(audience.recipient.email ? [{ channel: 'email' as const, recipient: audience.recipient.email }] : []),
    ...audience.subscriptions.map((sub) => ({ channel: 'webhook' as const, recipient: sub })),
  ];
  return to.map((r) => ({ id: randomUUID(), key: `${task.key}:${r.channel}:${r.recipient}`, ...r, payload: json }));
}

/**
 * Inserts `$<rowsParam>` (outboxRows as JSON) for the lead `$<leadParam>` and template
 * `$<templateParam>`, when `condition` holds: the one INSERT of the outbox, on its own or as a
 * part of the statement that creates the task (platform/repos/tasks.ts).
 */
export const insertOutboxRowsSql = (rowsParam: number, leadParam: number, templateParam: number, condition = 'true') =>
  `INSERT INTO notifications (id, key, lead_id, channel, recipient, template, payload)
   SELECT r.id, r.key, $${leadParam}::text, r.channel, r.recipient, $${templateParam}::text, r.payload::jsonb
   FROM jsonb_to_recordset($${rowsParam}::jsonb) AS r(id text, key text, channel text, recipient text, payload text)
   WHERE ${condition}
   ON CONFLICT (key) DO NOTHING`;

/** Outbox rows announcing `task`, in the caller's transaction (two statements: who hears of it, the rows). */
export async function enqueueForTask(tx: OutboxTx, task: NewTask): Promise<number> {
  const rows = outboxRows(task, await audienceOf(tx, task.assignee));
  if (!rows.length) return 0;
  return tx.$executeRawUnsafe(insertOutboxRowsSql(1, 2, 3), JSON.stringify(rows), task.leadId, task.kind);
}
