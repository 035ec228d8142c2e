// The intake sweeper: a lead taken in while Temporal was unreachable is registered in PostgreSQL
// with no workflow (the API answered 202 `registered`); this starts every such lead's workflow.
// Then it raises the task priority of the leads past their first steps that the worker did not
// (platform/lead-priority.ts). Started every minute by the `intake-sweep` Schedule (platform/schedules.ts).
import * as wf from '@temporalio/workflow';
import type { LeadActivities } from '../activities';
import type { RaiseOutcome, SweepOutcome } from '../activities/intake';

export interface IntakeSweepInput {
  /** Leads younger than this are left to the intake that is still starting them. */
  olderThanMs?: number;
  /** Leads per sweep; the rest wait for the next one. */
  limit?: number;
}

const { startRegisteredLeads, raiseStrandedLeads } = wf.proxyActivities<LeadActivities>({
  startToCloseTimeout: '5 minutes',
  // Every start is idempotent; a sweep that keeps failing is followed by the next one anyway.
  retry: { initialInterval: '5 seconds', maximumInterval: '1 minute', maximumAttempts: 5 },
});

/** What a sweep did: the leads it started, and (since `raise-stranded-leads`) the priorities it raised. */
export type IntakeSweepOutcome = SweepOutcome & { raised?: number; raiseFailed?: number };

export async function intakeSweepWorkflow(input: IntakeSweepInput = {}): Promise<IntakeSweepOutcome> {
  const opts = { olderThanMs: input.olderThanMs ?? 60_000, limit: input.limit ?? 500 };
  const started = await startRegisteredLeads(opts);
  // Sweeps in flight when this step was added replay without it.
  if (!wf.patched('raise-stranded-leads')) return started;
  const raise: RaiseOutcome = await raiseStrandedLeads(opts);
  return { ...started, raised: raise.raised, raiseFailed: raise.failed };
}
