// Notification delivery rate: N outbox rows delivered by the same workflow the
// `notifications-deliver` Schedule starts every minute (workflows/notifications.ts: claim up to
// 200 due rows, deliver ten at a time, each in its own activity) — run back to back here, not a
// minute apart, so the figure is what the worker, the outbox and the receivers sustain:
//   email    N e-mails over SMTP to the local mail catcher (smtp-server, in this process);
//   +webhook N e-mails and N signed webhook POSTs to a local HTTP receiver (what a task announced
//            to a manager whose team has a chat bot subscribed costs), 2N messages.
// The Schedule is paused meanwhile, so every row is delivered by the runs measured.
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { Client } from '@temporalio/client';
import type { Pool } from 'pg';
import { startMailCatcher, type MailCatcher } from '../scripts/lib/mail-catcher';
import { notificationsDeliverWorkflow } from '../workflows/notifications';

export interface DeliveryPhase {
  messages: number;
  sent: number;
  /** Rows not sent when the phase ended (failed, or left leased): should be 0. */
  notSent: number;
  runs: number;
  wallSeconds: number;
  /** Messages sent per second of wall time, from the first run's start to the last run's end. */
  perSecond: number;
  /** What arrived at the receivers, counted there. */
  received: { email: number; webhook: number };
}

export interface DeliveryFigures {
  email: DeliveryPhase;
  emailAndWebhook: DeliveryPhase;
  perRun: number;
  inFlight: number;
}

/** The receivers the worker delivers to; started before the worker, which reads SMTP_URL at each send. */
export interface Receivers {
  mail: MailCatcher;
  webhookUrl: string;
  webhooks(): number;
  env: Record<string, string>;
  close(): Promise<void>;
}

export async function startReceivers(): Promise<Receivers> {
  const mail = await startMailCatcher();
  let webhooks = 0;
  const server: Server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      webhooks += 1;
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const webhookUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/bench`;
  return {
    mail,
    webhookUrl,
    webhooks: () => webhooks,
    // The receivers are on loopback: allowed for this stack only.
    env: { SMTP_URL: mail.url, MAIL_FROM: 'Lead engine bench <bench@localhost>', ALLOW_PRIVATE_WEBHOOKS: 'true' },
    close: async () => {
      await mail.close();
      await new Promise((r) => server.close(r));
    },
  };
}

/** Rows as the outbox writes them (notifications/outbox.ts): one per channel and recipient, keyed, payload without contacts. */
async function enqueue(pool: Pool, tag: string, n: number, webhookSubscription?: string): Promise<number> {
  const payload = (i: number) =>
    JSON.stringify({
      taskKey: `bench-${tag}-${i}:1`,
      leadId: `bench-${tag}-${i}`,
      kind: 'first_contact',
      title: 'Call the lead',
      assignee: 'manager:bench',
      dueAt: new Date(Date.now() + 4 * 3_600_000).toISOString(),
      language: 'en',
    });
  const rows: unknown[][] = [];
  for (let i = 0; i < n; i++) {
    rows.push([
      randomUUID(),
      `bench-${tag}-${i}:1:email:desk-${i}@example.test`,
      `bench-${tag}-${i}`,
      'email',
      `desk-${i}@example.test`,
      payload(i),
    ]);
    if (webhookSubscription)
      rows.push([
        randomUUID(),
        `bench-${tag}-${i}:1:webhook:${webhookSubscription}`,
        `bench-${tag}-${i}`,
        'webhook',
        webhookSubscription,
        payload(i),
      ]);
  }
  // In slices, one multi-row INSERT each: seeding is not what is measured.
  for (let i = 0; i < rows.length; i += 500) {
    const slice = rows.slice(i, i + 500);
    const values = slice.map(
      (_r, j) => `($${j * 6 + 1}, $${j * 6 + 2}, $${j * 6 + 3}, $${j * 6 + 4}, $${j * 6 + 5}, 'first_contact', $${j * 6 + 6}::jsonb)`,
    );
    await pool.query(
      `INSERT INTO notifications (id, key, lead_id, channel, recipient, template, payload) VALUES ${values.join(', ')}`,
      slice.flat(),
    );
  }
  return rows.length;
}

export async function measureDelivery(opts: {
  client: Client;
  pool: Pool;
  taskQueue: string;
  receivers: Receivers;
  n: number;
  log: (m: string) => void;
}): Promise<DeliveryFigures> {
  const { client, pool, taskQueue, receivers, n, log } = opts;
  const schedule = client.schedule.getHandle('notifications-deliver');
  await schedule.pause('bench: the delivery runs are started by the bench');
  const pending = async () =>
    Number((await pool.query<{ n: string }>("SELECT count(*) AS n FROM notifications WHERE status = 'pending'")).rows[0]!.n);
  try {
    // Rows the bench's leads wrote (none, unless the bench manager gets an address) are not ours to time.
    if (await pending()) log(`notifications: ${await pending()} pending rows already in the outbox are delivered with the bench's`);
    const phase = async (name: string, subscription?: string): Promise<DeliveryPhase> => {
      const tag = randomUUID().slice(0, 8);
      const messages = await enqueue(pool, tag, n, subscription);
      const mailBefore = receivers.mail.messages.length;
      const hooksBefore = receivers.webhooks();
      log(`notifications ${name}: ${messages} outbox rows, delivered by back-to-back runs of notificationsDeliverWorkflow`);
      const t0 = performance.now();
      let runs = 0;
      for (;;) {
        const out = await client.workflow.execute(notificationsDeliverWorkflow, {
          args: [{}],
          taskQueue,
          workflowId: `bench-deliver-${tag}-${runs}`,
        });
        runs += 1;
        if (out.claimed === 0) break;
      }
      const wallSeconds = (performance.now() - t0) / 1000;
      const sent = Number(
        (
          await pool.query<{ n: string }>("SELECT count(*) AS n FROM notifications WHERE key LIKE $1 AND status = 'sent'", [
            `bench-${tag}-%`,
          ])
        ).rows[0]!.n,
      );
      const round = (x: number) => Math.round(x * 100) / 100;
      return {
        messages,
        sent,
        notSent: messages - sent,
        runs,
        wallSeconds: round(wallSeconds),
        perSecond: round(sent / wallSeconds),
        received: { email: receivers.mail.messages.length - mailBefore, webhook: receivers.webhooks() - hooksBefore },
      };
    };
    const email = await phase('email');
    // A team's chat bot, subscribed as ops would (the row the API writes on POST /webhooks).
    const subscription = randomUUID();
    await pool.query('INSERT INTO webhook_subscriptions (id, subscriber, url, secret) VALUES ($1, $2, $3, $4)', [
      subscription,
      'team:bench',
      receivers.webhookUrl,
      randomUUID().replace(/-/g, ''),
    ]);
    const emailAndWebhook = await phase('email + webhook', subscription);
    return { email, emailAndWebhook, perRun: 200, inFlight: 10 };
  } finally {
    await schedule.unpause('bench: done').catch(() => undefined);
  }
}
