// Policy rollouts as ops make them (POST /policies: checked, merged over the scope's version, then
// signalled to the scope's open leads), for the time-skipping tests of leads following the policy.
import type { WorkflowHandle } from '@temporalio/client';
import { policyInForce, proposedVersion, rolloutWorkflowId, saveVersion } from '../../platform/policies';
import { leadWorkflow } from '../../workflows/lead';
import { seedLead } from './db';
import { until, waitFor, type LeadHandle } from './lead';
import type { TimeSkippingStack } from './temporal';

/** A lead started the way intake starts it: on the default policy in force, with its version. */
export async function startOnPolicy(t: TimeSkippingStack, lead: { topic?: string } = {}): Promise<{ leadId: string; handle: LeadHandle }> {
  const leadId = await seedLead(t.db, lead);
  const p = await policyInForce(t.db, null);
  const handle = await t.env.client.workflow.start(leadWorkflow, {
    workflowId: `lead-${leadId}`,
    taskQueue: t.worker.taskQueue,
    args: [{ leadId, kind: 'lead', sourceChannel: 'web_form', policy: p.policy, policyVersion: p.version, ...lead }],
  });
  await until(handle, (s) => !!s.managerId);
  return { leadId, handle };
}

/** Stores a version as POST /policies does and waits for its rollout to finish. */
export async function rollOut(t: TimeSkippingStack, teamId: string | undefined, patch: Record<string, unknown>, reason: string) {
  const now = new Date();
  const { scope, checked } = await proposedVersion(t.db, teamId, patch, now);
  if (!checked.ok) throw new Error(JSON.stringify(checked.problems));
  // In force a moment ago: the activities read the machine's clock, not the test server's.
  const row = await saveVersion(t.db, t.env.client, t.worker.taskQueue, {
    scope,
    body: checked.body,
    effectiveFrom: new Date(now.getTime() - 1000),
    createdBy: 'ops:test',
    reason,
  });
  const rollout = t.env.client.workflow.getHandle(rolloutWorkflowId(scope, row.version));
  // Polled, not awaited: awaiting a result lets the time-skipping server jump ahead.
  await waitFor(async () => (await rollout.describe()).status.name === 'COMPLETED', 120_000);
  return row;
}

/** Timers the lead's current run started and cancelled. */
export async function timers(handle: WorkflowHandle): Promise<{ started: number; canceled: number }> {
  const events = (await handle.fetchHistory()).events ?? [];
  return {
    started: events.filter((e) => e.timerStartedEventAttributes).length,
    canceled: events.filter((e) => e.timerCanceledEventAttributes).length,
  };
}
