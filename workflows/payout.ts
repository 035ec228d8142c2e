// Paying a partner for a period: prepare (gather what is due) → transfer → mark paid.
// The workflow id is the payout (partner, period, currency), so it runs once; each step is
// idempotent, so retries and a worker killed halfway still pay exactly once.
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import * as wf from '@temporalio/workflow';
import type { LeadActivities } from '../activities';
import type { PayoutRequest, PreparedPayout } from '../activities/payouts';

const acts = wf.proxyActivities<LeadActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', maximumInterval: '5 minutes', nonRetryableErrorTypes: ['InvalidPeriod'] },
});

// The transfer heartbeats: a worker that dies mid-transfer is noticed within seconds.
const { sendPayout } = wf.proxyActivities<LeadActivities>({
  startToCloseTimeout: '5 minutes',
  heartbeatTimeout: '5 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
});

export const payoutWorkflowId = (r: PayoutRequest) => `payout-${r.partnerId}-${r.period}-${r.currency}`;

export async function payoutWorkflow(req: PayoutRequest): Promise<PreparedPayout & { transferRef?: string }> {
  const prepared = await acts.preparePayout(req);
  if (prepared.status === 'skipped') return prepared;
  const { ref } = await sendPayout(prepared.payoutId);
  await acts.markPayoutPaid(prepared.payoutId, ref);
  return { ...prepared, status: 'paid', transferRef: ref };
}

/** The monthly run: one payout per partner and currency owed something for the period. */
export async function payoutRunWorkflow(input: { period?: string } = {}): Promise<number> {
  const period = input.period ?? previousMonth(Date.now());
  const due = await acts.partnersDue(period);
  for (const d of due) {
    const req = { ...d, period };
    try {
      await wf.executeChild(payoutWorkflow, {
        workflowId: payoutWorkflowId(req),
        args: [req],
        parentClosePolicy: wf.ParentClosePolicy.ABANDON,
      });
    } catch (err) {
      // Already run for this period (e.g. started by hand): nothing to do twice.
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    }
  }
  return due.length;
}

/** `YYYY-MM` of the month before `now` (a run on 1 March pays February). */
export function previousMonth(now: number): string {
  const d = new Date(now);
  const prev = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - 1, 1));
  return prev.toISOString().slice(0, 7);
}
