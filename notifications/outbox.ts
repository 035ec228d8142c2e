// The transactional outbox: `enqueueForTask` runs in the transaction that creates a task, so a
// task exists with its notifications or not at all; delivery happens later (notifications/deliver.ts).
import { randomUUID } from 'node:crypto';
import { recipientOf, type RawQuerier } from './recipients';
import type { NewTask } from '../domain/tasks';
import type { TaskPayload } from './templates';

export interface OutboxTx extends RawQuerier {
  $executeRawUnsafe(query: string, ...values: unknown[]): Promise<number>;
}

/**
 * Subscribers whose webhooks announce a task for `assignee`: the partner itself; for a manager, the
 * team of the roster they belong to (managers.team_id); for a team lead, each team they lead
 * (teams.lead_id). Teams are addressed by their roster id, `team:<teams.id>`.
 */
async function subscriptionsFor(tx: OutboxTx, assignee: string): Promise<string[]> {
  const [role, id] = assignee.split(/:(.*)/s) as [string, string | undefined];
  if (!id) return [];
  let subscribers: string[] = [];
  if (role === 'partner') subscribers = [`partner:${id}`];
  if (role === 'manager') {
    const rows = await tx.$queryRawUnsafe<Array<{ team: string | null }>>('SELECT team_id AS team FROM managers WHERE id = $1', id);
    subscribers = rows.flatMap((r) => (r.team ? [`team:${r.team}`] : []));
  }
  if (role === 'team_lead') {
    const rows = await tx.$queryRawUnsafe<Array<{ team: string }>>('SELECT id AS team FROM teams WHERE lead_id = $1', id);
    subscribers = rows.map((r) => `team:${r.team}`);
  }
  if (!subscribers.length) return [];
  const subs = await tx.$queryRawUnsafe<Array<{ id: string }>>(
    'SELECT id FROM webhook_subscriptions WHERE active AND subscriber = ANY($1::text[]) ORDER BY id',
    subscribers,
  );
  return subs.map((s) => s.id);
}

/** Outbox rows announcing `task`: an e-mail to its assignee when their address is known, a webhook per subscription. */
export async function enqueueForTask(tx: OutboxTx, task: NewTask): Promise<number> {
  const payload: TaskPayload = {
    taskKey: task.key,
    leadId: task.leadId,
    kind: task.kind,
    title: task.title,
    assignee: task.assignee,
    dueAt: task.dueAt ?? null,
  };
  const rows: Array<{ channel: 'email' | 'webhook'; recipient: string }> = [];
  const who = await recipientOf(tx, task.assignee);
  if (who.email) rows.push({ channel: 'email', recipient: who.email });
  for (const sub of await subscriptionsFor(tx, task.assignee)) rows.push({ channel: 'webhook', recipient: sub });
  let n = 0;
  for (const r of rows) {
    n += await tx.$executeRawUnsafe(
      `INSERT INTO notifications (id, key, lead_id, channel, recipient, template, payload)
       VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb) ON CONFLICT (key) DO NOTHING`,
      randomUUID(),
      `${task.key}:${r.channel}:${r.recipient}`,
      task.leadId,
      r.channel,
      r.recipient,
      task.kind,
      JSON.stringify({ ...payload, language: who.language }),
    );
  }
  return n;
}
