// Delivery of the notification outbox, started every minute by the `notifications-deliver`
// Schedule (platform/schedules.ts): claims the due rows and delivers each in its own activity,
// so one slow SMTP server or webhook receiver holds up only its own message. A failed delivery
// is recorded on the row and retried by a later run with backoff (notifications/deliver.ts);
// the activity retry policy covers the database and the worker themselves.
import * as wf from '@temporalio/workflow';
import type { LeadActivities } from '../activities';

export interface DeliverInput {
  /** At most this many rows per run (the next run takes the rest a minute later). */
  limit?: number;
  /** Only this lead's rows (tests, a manual run for one lead). */
  leadId?: string;
}
export interface DeliverOutcome {
  claimed: number;
  sent: number;
  pending: number;
  dead: number;
  /** Held by the recipient's quiet hours (back in the queue for when they end) / suppressed by their preferences. */
  held: number;
  suppressed: number;
}

const { claimDueNotifications } = wf.proxyActivities<LeadActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '2 seconds', maximumInterval: '30 seconds', maximumAttempts: 5 },
});
const { deliverNotification } = wf.proxyActivities<LeadActivities>({
  // SMTP and webhook timeouts are 10–20 s each; this bounds a hung connection.
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '5 seconds', maximumInterval: '1 minute', maximumAttempts: 3 },
});

export async function notificationsDeliverWorkflow(input: DeliverInput = {}): Promise<DeliverOutcome> {
  const ids = await claimDueNotifications({ limit: input.limit ?? 200, leadId: input.leadId });
  // held and suppressed change only this result, not the commands: no patch needed for running runs.
  const out: DeliverOutcome = { claimed: ids.length, sent: 0, pending: 0, dead: 0, held: 0, suppressed: 0 };
  // A few at a time: parallel enough for a burst, gentle on the SMTP server.
  for (let i = 0; i < ids.length; i += 10) {
    const results = await Promise.allSettled(ids.slice(i, i + 10).map((id) => deliverNotification(id)));
    for (const r of results) {
      // An activity that failed after its retries leaves the row leased; a later run takes it.
      if (r.status === 'fulfilled' && r.value.status !== 'skipped') out[r.value.status] += 1;
      else if (r.status === 'rejected') out.pending += 1;
    }
  }
  return out;
}
