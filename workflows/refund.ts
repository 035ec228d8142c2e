// A client refund: the commissions booked on the refunded payment are clawed back pro rata,
// once per refund (the workflow id is the refund; the ledger keys are the clawbacks).
import * as wf from '@temporalio/workflow';
import type { LeadActivities } from '../activities';

const { bookClawbacks } = wf.proxyActivities<LeadActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', maximumInterval: '5 minutes' },
});

export interface RefundRequest {
  leadId: string;
  paymentId: string;
  refundId: string;
  amountMinor: number;
  currency: string;
}

export const refundWorkflowId = (r: { leadId: string; refundId: string }) => `refund-${r.leadId}-${r.refundId}`;

export async function refundWorkflow(req: RefundRequest): Promise<Array<{ key: string; amountMinor: number }>> {
  return bookClawbacks(req);
}
