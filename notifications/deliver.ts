// Delivery of the outbox: claim the rows that are due, send each (SMTP or a signed webhook POST),
// and record the outcome. A failure is rescheduled with exponential backoff until the row's
// `give_up_at` (24 h after it was written), then it is dead: listed for ops, retried by hand.
import { randomUUID } from 'node:crypto';
import nodemailer, { type Transporter } from 'nodemailer';
import type { Db } from '../platform/db';
import { decide, fromRow, personOf, storedPreferences } from './preferences';
import { signatureHeaders } from './signature';
import { renderEmail, type Language, type TaskPayload } from './templates';
import { webhookUrlProblem } from './url';

export interface MailSettings {
  /** smtp://host:port (smtps:// for TLS); without it e-mail waits in the outbox. */
  smtpUrl?: string;
  from: string;
}

/** The settings of this process, read when a message is sent (tests set them after start). */
export const mailSettingsFromEnv = (env: NodeJS.ProcessEnv = process.env): MailSettings => ({
  smtpUrl: env.SMTP_URL || undefined,
  from: env.MAIL_FROM || 'Lead engine <lead-engine@localhost>',
});

/** Seconds before attempt n+1 after n failures: 30 s, 1 min, 2 min, … capped at an hour. */
export const backoffMs = (attempts: number) => Math.min(30_000 * 2 ** Math.max(0, attempts - 1), 3_600_000);
/** A claimed row is not claimed again for this long (another sweep, a crashed worker). */
const LEASE_MS = 5 * 60_000;
const WEBHOOK_TIMEOUT_MS = 10_000;

const transports = new Map<string, Transporter>();
function transportFor(smtpUrl: string): Transporter {
  let t = transports.get(smtpUrl);
  if (!t) {
    // smtp:// without STARTTLS is plain (a local catcher); smtps:// is TLS from the start.
    t = nodemailer.createTransport(smtpUrl, { connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 20_000 } as never);
    transports.set(smtpUrl, t);
  }
  return t;
}

export interface ClaimInput {
  limit?: number;
  leadId?: string;
  now?: string;
}
export type DeliveryOutcome = {
  id: string;
  status: 'sent' | 'pending' | 'dead' | 'skipped' | 'held' | 'suppressed';
  error?: string;
  reason?: string;
};

export function notificationActivities(db: Db, mail: () => MailSettings = mailSettingsFromEnv) {
  async function send(row: { id: string; channel: string; recipient: string; payload: unknown }, language?: Language): Promise<void> {
    const p = row.payload as TaskPayload & { language?: Language };
    if (row.channel === 'email') {
      const m = mail();
      if (!m.smtpUrl) throw new Error('SMTP_URL is not set');
      // The person's language as it is now; else the one resolved when the row was written (the settings).
      const { subject, text } = renderEmail(p, language ?? p.language ?? 'ru');
      await transportFor(m.smtpUrl).sendMail({
        from: m.from,
        to: row.recipient,
        subject,
        text,
        headers: { 'x-lead-engine-notification': row.id },
      });
      return;
    }
    const sub = await db.webhookSubscription.findUnique({ where: { id: row.recipient } });
    if (!sub || !sub.active) throw new Error(`webhook subscription ${row.recipient} is gone or inactive`);
    const problem = await webhookUrlProblem(sub.url);
    if (problem) throw new Error(`webhook URL refused: ${problem}`);
    const { language: _language, ...task } = p;
    const body = JSON.stringify({ id: row.id, type: `task.${task.kind}`, task });
    const res = await fetch(sub.url, {
      method: 'POST',
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
      headers: { 'content-type': 'application/json', 'user-agent': 'lead-engine-webhooks/1', ...signatureHeaders(sub.secret, body) },
    });
    await res.arrayBuffer().catch(() => undefined);
    if (res.status < 200 || res.status > 299) throw new Error(`webhook answered HTTP ${res.status}`);
  }

  return {
    /**
     * Takes up to `limit` due rows (FOR UPDATE SKIP LOCKED: concurrent sweeps split the work) and
     * leases them for five minutes, so a crashed delivery is picked up again after the lease.
     */
    async claimDueNotifications(input: ClaimInput = {}): Promise<string[]> {
      const now = input.now ? new Date(input.now) : new Date();
      return db.$transaction(async (tx) => {
        const rows = await tx.$queryRawUnsafe<Array<{ id: string }>>(
          `SELECT id FROM notifications WHERE status = 'pending' AND next_attempt_at <= $1 AND ($2::text IS NULL OR lead_id = $2)
           ORDER BY next_attempt_at LIMIT $3 FOR UPDATE SKIP LOCKED`,
          now,
          input.leadId ?? null,
          input.limit ?? 100,
        );
        const ids = rows.map((r) => r.id);
        if (ids.length) {
          await tx.$executeRawUnsafe(
            'UPDATE notifications SET next_attempt_at = $1 WHERE id = ANY($2::text[])',
            new Date(now.getTime() + LEASE_MS),
            ids,
          );
        }
        return ids;
      });
    },

    /**
     * Sends one claimed row and records the outcome; a delivery failure is data, not an activity
     * failure. The recipient's preferences are read now, not when the row was written, so a change
     * applies to what is waiting: a row in their quiet hours is held (rescheduled to when they
     * end, never dropped), one on a channel they turned off or of a kind they muted is suppressed.
     */
    async deliverNotification(id: string, nowIso?: string): Promise<DeliveryOutcome> {
      const row = await db.notification.findUnique({ where: { id } });
      if (!row || row.status !== 'pending') return { id, status: 'skipped' };
      const now = nowIso ? new Date(nowIso) : new Date();
      const person = personOf((row.payload as Partial<TaskPayload>).assignee ?? '');
      const stored = person ? await storedPreferences(db, person) : undefined;
      const decision = decide(stored && fromRow(stored), person ?? '', { channel: row.channel, kind: row.template }, now);
      if (decision.action === 'suppress') {
        await db.notification.updateMany({
          where: { id, status: 'pending' },
          data: { status: 'suppressed', reason: decision.reason, heldUntil: null },
        });
        return { id, status: 'suppressed', reason: decision.reason };
      }
      if (decision.action === 'hold') {
        // Not an attempt: no backoff, and the 24 h of retries count from when it may go out.
        const giveUpAt = new Date(Math.max(row.giveUpAt.getTime(), decision.until.getTime() + 24 * 3_600_000));
        await db.notification.updateMany({
          where: { id, status: 'pending' },
          data: { nextAttemptAt: decision.until, heldUntil: decision.until, reason: decision.reason, giveUpAt },
        });
        return { id, status: 'held', reason: decision.reason };
      }
      try {
        await send(row, decision.language);
      } catch (err) {
        const error = (err instanceof Error ? err.message : String(err)).slice(0, 1000);
        const attempts = row.attempts + 1;
        const dead = now >= row.giveUpAt;
        await db.notification.updateMany({
          where: { id, status: 'pending' },
          data: {
            attempts,
            lastError: error,
            heldUntil: null,
            ...(dead ? { status: 'dead' } : { nextAttemptAt: new Date(now.getTime() + backoffMs(attempts)) }),
          },
        });
        return { id, status: dead ? 'dead' : 'pending', error };
      }
      await db.notification.updateMany({
        where: { id, status: 'pending' },
        data: { status: 'sent', sentAt: new Date(), attempts: row.attempts + 1, lastError: null, heldUntil: null },
      });
      return { id, status: 'sent' };
    },
  };
}

/** A dead (or pending) row back in the queue now, with another 24 h before it is given up. */
export async function retryNotification(db: Db, id: string): Promise<boolean> {
  const res = await db.notification.updateMany({
    where: { id, status: { in: ['dead', 'pending'] } },
    data: { status: 'pending', nextAttemptAt: new Date(), giveUpAt: new Date(Date.now() + 24 * 3_600_000) },
  });
  return res.count > 0;
}

export const newSecret = () => randomUUID().replace(/-/g, '') + randomUUID().replace(/-/g, '');
