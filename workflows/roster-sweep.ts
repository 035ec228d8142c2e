// The roster sweep: absences that began or ended by their dates since the last sweep are told to
// the leads (activities/roster.ts). Started every 15 minutes by the `roster-sweep` Schedule.
import * as wf from '@temporalio/workflow';
import type { LeadActivities } from '../activities';
import type { RosterSweepOutcome } from '../activities/roster';

const { sweepRoster } = wf.proxyActivities<LeadActivities>({
  startToCloseTimeout: '5 minutes',
  // Each absence is announced once; a sweep that keeps failing is followed by the next one anyway.
  retry: { initialInterval: '5 seconds', maximumInterval: '1 minute', maximumAttempts: 5 },
});

export async function rosterSweepWorkflow(): Promise<RosterSweepOutcome> {
  return sweepRoster();
}
