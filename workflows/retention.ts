// The personal-data retention sweep, started daily by the `personal-data-retention` Schedule
// (platform/schedules.ts): announces the leads whose data is coming due for erasure to ops, and
// erases those announced long enough ago (activities/retention.ts). Each erasure is its own
// activity, so one that fails is retried alone and does not hold up the rest.
import * as wf from '@temporalio/workflow';
import type { LeadActivities } from '../activities';
import type { PrivacyPolicy } from '../domain/policy';

const { retentionDue, noticeErasure, eraseLeadData } = wf.proxyActivities<LeadActivities>({
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '10 seconds', maximumInterval: '5 minutes', maximumAttempts: 5 },
});

export interface RetentionSweepOutcome {
  noticed: number;
  erased: number;
  failed: number;
}

export async function retentionSweepWorkflow(input: { policy?: Partial<PrivacyPolicy> } = {}): Promise<RetentionSweepOutcome> {
  const due = await retentionDue({ policy: input.policy });
  const out: RetentionSweepOutcome = { noticed: 0, erased: 0, failed: 0 };
  for (const d of due.notify) {
    await noticeErasure(d);
    out.noticed++;
  }
  for (const d of due.erase) {
    try {
      await eraseLeadData(d);
      out.erased++;
    } catch (err) {
      // The next day's sweep tries it again; the rest go ahead.
      wf.log.warn('erasure failed', { leadId: d.leadId, error: String(err) });
      out.failed++;
    }
  }
  return out;
}
