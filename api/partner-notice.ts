// A partner's written notice: the partner is 'leaving' from this request on (pickPartners offers
// only to active partners, so new offers stop at once), and its exit workflow waits out the notice
// period. Idempotent: a second notice returns the first and starts nothing.
import type { Client } from '@temporalio/client';
import { msToNumber } from '@temporalio/common/lib/time';
import type { Db } from '../platform/db';
import { startOnce } from '../platform/start-once';
import { PartnerPolicy, type PartnerPolicyInput } from '../domain/partner-policy';
import { partnerExitWorkflow, partnerExitWorkflowId } from '../workflows/partner-exit';

export interface NoticeResult {
  partnerId: string;
  status: string;
  noticeAt: string;
  /** When the partner is rotated out: the notice plus the notice period. */
  exitAt: string;
  workflowId: string;
  /** true when the partner had already given notice: this is the first notice, unchanged. */
  replayed: boolean;
}

export interface NoticeDeps {
  db: Db;
  temporal: Client;
  taskQueue: string;
  policy?: PartnerPolicyInput;
}

/** Records the notice and starts the exit; undefined when there is no such partner. */
export async function givePartnerNotice(deps: NoticeDeps, partnerId: string): Promise<NoticeResult | undefined> {
  const policy = PartnerPolicy.parse(deps.policy ?? {});
  // Only an active partner moves to leaving: of two notices racing, one wins and the other replays.
  const moved = await deps.db.partner.updateMany({
    where: { id: partnerId, status: 'active' },
    data: { status: 'leaving', leavingNoticeAt: new Date() },
  });
  const p = await deps.db.partner.findUnique({ where: { id: partnerId } });
  if (!p) return undefined;
  const noticeAt = p.leavingNoticeAt ?? p.closedAt ?? p.createdAt;
  const workflowId = partnerExitWorkflowId(partnerId);
  // Started on replays too: if Temporal was down on the first notice, the second one heals it.
  // Running already: that is the exit; finished: a partner leaves once.
  if (p.status === 'leaving') {
    await startOnce(deps.temporal, partnerExitWorkflow, {
      workflowId,
      taskQueue: deps.taskQueue,
      args: [{ partnerId, noticeAt: noticeAt.toISOString(), policy: deps.policy }],
    });
  }
  return {
    partnerId,
    status: p.status,
    noticeAt: noticeAt.toISOString(),
    exitAt: new Date(noticeAt.getTime() + msToNumber(policy.noticePeriod)).toISOString(),
    workflowId,
    replayed: moved.count === 0,
  };
}
