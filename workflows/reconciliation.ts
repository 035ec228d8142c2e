// The weekly reconciliation sweep: every partner still working with us (active or under notice)
// has its sent-leads list matched against what we received over the last whole days. Started by
// the `reconciliation-weekly` Schedule (platform/schedules.ts).
import * as wf from '@temporalio/workflow';
import type { LeadActivities } from '../activities';
import type { ReconciledPartner } from '../activities/reconciliation';
import { sweepPeriod } from '../domain/reconcile';

export interface ReconciliationSweepInput {
  periodDays?: number;
}
export interface ReconciliationSweepOutcome {
  from: string;
  to: string;
  partners: ReconciledPartner[];
}

const { partnersToReconcile, reconcilePartner } = wf.proxyActivities<LeadActivities>({
  startToCloseTimeout: '5 minutes',
  retry: { initialInterval: '1 second', maximumInterval: '5 minutes', nonRetryableErrorTypes: ['UnknownPartner'] },
});

export async function reconciliationSweepWorkflow(input: ReconciliationSweepInput = {}): Promise<ReconciliationSweepOutcome> {
  const period = sweepPeriod(Date.now(), input.periodDays ?? 7);
  const [from, to] = [period.from.toISOString(), period.to.toISOString()];
  const partners: ReconciledPartner[] = [];
  // One partner at a time: reconciliation is a weekly batch, not urgent, and this keeps the
  // load on PostgreSQL flat however many partners there are.
  for (const partnerId of await partnersToReconcile()) {
    try {
      partners.push(await reconcilePartner(partnerId, from, to));
    } catch (err) {
      // Only a non-retryable failure gets here (others retry): one partner must not stop the rest.
      if (!(err instanceof wf.ActivityFailure)) throw err;
      partners.push({ partnerId, skipped: `failed: ${err.cause?.message ?? err.message}` });
    }
  }
  return { from, to, partners };
}
