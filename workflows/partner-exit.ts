// A partner's exit on written notice (DOMAIN: "40 days' written notice and a reserve partner").
// The API marks the partner 'leaving' itself, in the request — so it gets no new offers from that
// moment — and starts this workflow, `partner-exit-<partnerId>`, which waits out the notice
// period and then rotates the partner out.
import * as wf from '@temporalio/workflow';
import type { LeadActivities } from '../activities';
import { PartnerPolicy, type PartnerPolicyInput } from '../domain/partner-policy';

export interface PartnerExitInput {
  partnerId: string;
  /** When the written notice was recorded (for the record; the wait counts from the start). */
  noticeAt: string;
  policy?: PartnerPolicyInput;
}

export interface PartnerExitOutcome {
  partnerId: string;
  status: string;
  closedAt: string | null;
}

const { rotateOutPartner } = wf.proxyActivities<LeadActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', maximumInterval: '5 minutes' },
});

export const partnerExitWorkflowId = (partnerId: string) => `partner-exit-${partnerId}`;

export async function partnerExitWorkflow(input: PartnerExitInput): Promise<PartnerExitOutcome> {
  const policy = PartnerPolicy.parse(input.policy ?? {});
  // The whole period from the workflow's start, which is the request that recorded the notice.
  // Counting from `noticeAt` instead would trust the caller's clock against the cluster's.
  await wf.sleep(policy.noticePeriod);
  // The closing time is the workflow's: the moment the notice period ended on the cluster's clock.
  const out = await rotateOutPartner(input.partnerId, new Date().toISOString());
  return { partnerId: input.partnerId, ...out };
}
