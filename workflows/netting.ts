// Monthly netting between partners who refer clients to each other: one settlement per pair.
import * as wf from '@temporalio/workflow';
import type { LeadActivities } from '../activities';
import { previousMonth } from './payout';

const { netReferrals } = wf.proxyActivities<LeadActivities>({
  startToCloseTimeout: '5 minutes',
  retry: { initialInterval: '1 second', maximumInterval: '5 minutes' },
});

export async function nettingWorkflow(input: { period?: string } = {}): Promise<Array<{ id: string; amountMinor: number }>> {
  return netReferrals(input.period ?? previousMonth(Date.now()));
}
