// The commission process of one payment: computed from the partner's agreement and booked in the
// ledger under a unique key. Started by the lead workflow with the payment as its id.
import * as wf from '@temporalio/workflow';
import type { LeadActivities } from '../activities';
import type { CommissionBooked, CommissionRequest } from '../activities/commission';

const { bookCommission } = wf.proxyActivities<LeadActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', maximumInterval: '5 minutes' },
});

export async function commissionWorkflow(req: CommissionRequest): Promise<CommissionBooked> {
  return bookCommission(req);
}
