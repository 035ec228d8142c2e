// The intake sweeper: a lead taken in while Temporal was unreachable is registered in PostgreSQL
// with no workflow (the API answered 202 `registered`); this starts every such lead's workflow.
// Started every minute by the `intake-sweep` Schedule (platform/schedules.ts).
import * as wf from '@temporalio/workflow';
import type { LeadActivities } from '../activities';
import type { SweepOutcome } from '../activities/intake';

export interface IntakeSweepInput {
  /** Leads younger than this are left to the intake that is still starting them. */
  olderThanMs?: number;
  /** Leads per sweep; the rest wait for the next one. */
  limit?: number;
}

const { startRegisteredLeads } = wf.proxyActivities<LeadActivities>({
  startToCloseTimeout: '5 minutes',
  // Every start is idempotent; a sweep that keeps failing is followed by the next one anyway.
  retry: { initialInterval: '5 seconds', maximumInterval: '1 minute', maximumAttempts: 5 },
});

export async function intakeSweepWorkflow(input: IntakeSweepInput = {}): Promise<SweepOutcome> {
  return startRegisteredLeads({ olderThanMs: input.olderThanMs ?? 60_000, limit: input.limit ?? 500 });
}
