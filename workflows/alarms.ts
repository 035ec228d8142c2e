// The alarm sweep: evaluates each alarm kind it is given, one after another, at one instant.
// Started by the `alarms-hourly` and `alarms-daily` Schedules (platform/schedules.ts); pausing a
// Schedule in the Web UI pauses those alarms.
import * as wf from '@temporalio/workflow';
import type { LeadActivities } from '../activities';
import type { AlarmEvaluation } from '../activities/alarms';
import type { AlarmKind, AlarmPolicyInput } from '../domain/alarms';

export interface AlarmSweepInput {
  kinds: AlarmKind[];
  /** Overrides of the alarm policy (thresholds, windows, low seasons); defaults otherwise. */
  policy?: AlarmPolicyInput;
}
export interface AlarmSweepOutcome {
  at: string;
  results: Array<AlarmEvaluation | { kind: AlarmKind; failed: string }>;
}

const { evaluateAlarms } = wf.proxyActivities<LeadActivities>({
  startToCloseTimeout: '2 minutes',
  // A notifier or database outage retries for a few minutes; after that the next sweep picks up
  // whatever is still unnotified.
  retry: { initialInterval: '5 seconds', maximumInterval: '1 minute', maximumAttempts: 6 },
});

export async function alarmSweepWorkflow(input: AlarmSweepInput): Promise<AlarmSweepOutcome> {
  const at = new Date().toISOString(); // the workflow's clock: every kind judged at the same instant
  const results: AlarmSweepOutcome['results'] = [];
  for (const kind of input.kinds) {
    try {
      results.push(await evaluateAlarms(kind, at, input.policy));
    } catch (err) {
      // One kind failing (after its retries) must not keep the others from being evaluated.
      if (!(err instanceof wf.ActivityFailure)) throw err;
      results.push({ kind, failed: err.cause?.message ?? err.message });
    }
  }
  return { at, results };
}
