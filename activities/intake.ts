// Starting a lead's workflow, shared by intake (api/intake.ts) and the intake sweeper. A lead row
// is committed before its workflow is started; when Temporal is unreachable at that moment the
// row stays `workflow_started_at IS NULL` and the sweeper (Schedule `intake-sweep`) starts it.
import { log } from '@temporalio/activity';
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { WorkflowIdConflictPolicy, WorkflowIdReusePolicy } from '@temporalio/common';
import type { LeadPolicyInput } from '../domain/policy';
import type { leadWorkflow, LeadWorkflowInput } from '../workflows/lead';
import { leadStartMetadata } from '../workflows/ops-view';
import { LeadSource, LeadStage } from '../workflows/search-attributes';
import { policyInForce } from '../platform/policies';
import type { Db } from './db';

export const workflowIdOf = (leadId: string) => `lead-${leadId}`;

/** The registry columns the workflow's input is made of. */
export interface LeadStartRow {
  id: string; kind: string; sourceChannel: string; sourcePartnerId: string | null; region: string | null; topic: string | null;
  previousLeadId: string | null; returnedAfterOptOut: boolean;
}

/** `policyVersion`: the stored version `policy` is (README, "Policy"); none for a policy given in code (tests). */
export function leadWorkflowInput(lead: LeadStartRow, policy?: LeadPolicyInput, policyVersion?: string): LeadWorkflowInput {
  return {
    leadId: lead.id, kind: lead.kind === 'interest' ? 'interest' : 'lead', sourceChannel: lead.sourceChannel,
    partnerId: lead.sourcePartnerId ?? undefined, region: lead.region ?? undefined, topic: lead.topic ?? undefined, policy,
    ...(policyVersion ? { policyVersion } : {}),
    ...(lead.previousLeadId ? { previousLeadId: lead.previousLeadId, returnedAfterOptOut: lead.returnedAfterOptOut } : {}),
  };
}

/**
 * Starts the lead's workflow unless it exists: a running one is used as it is, and a closed one
 * is never started again (its id has a history). Either way the lead has its process.
 */
export async function startLeadWorkflow(temporal: Client, taskQueue: string, input: LeadWorkflowInput): Promise<void> {
  try {
    await temporal.workflow.start<typeof leadWorkflow>('leadWorkflow', {
      workflowId: workflowIdOf(input.leadId),
      taskQueue,
      args: [input],
      workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
      workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      typedSearchAttributes: [{ key: LeadStage, value: 'received' }, { key: LeadSource, value: input.sourceChannel }],
      // The line and details ops read in the Web UI: source, topic, region — no personal data.
      ...leadStartMetadata(input),
    });
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err; // else closed already: it had its process
  }
}

/** Records that the lead's workflow exists, so the sweeper leaves it alone. */
export async function markWorkflowStarted(db: Db, leadId: string): Promise<void> {
  await db.lead.updateMany({ where: { id: leadId, workflowStartedAt: null }, data: { workflowStartedAt: new Date() } });
}

/** started: leads whose workflow now exists (started now, or found running or closed). */
export interface SweepOutcome { started: number; failed: number }

export function intakeActivities(db: Db, temporal?: { client: Client; taskQueue: string }) {
  return {
    /**
     * The intake sweeper: starts the workflow of every registered lead that has none (taken in
     * while Temporal was unreachable), oldest first. Idempotent: a start that finds the workflow
     * only marks the row.
     */
    async startRegisteredLeads(opts: { olderThanMs: number; limit: number }): Promise<SweepOutcome> {
      if (!temporal) throw new Error('startRegisteredLeads needs a Temporal client (createActivities opts.temporal)');
      const rows = await db.lead.findMany({
        where: { workflowStartedAt: null, createdAt: { lt: new Date(Date.now() - opts.olderThanMs) } },
        orderBy: { createdAt: 'asc' },
        take: opts.limit,
      });
      const outcome: SweepOutcome = { started: 0, failed: 0 };
      // The default policy in force, as intake gives it (the team's comes at assignment).
      const inForce = rows.length ? await policyInForce(db, null) : undefined;
      for (const row of rows) {
        try {
          await startLeadWorkflow(temporal.client, temporal.taskQueue, leadWorkflowInput(row, inForce?.policy, inForce?.version));
          await markWorkflowStarted(db, row.id);
          outcome.started += 1;
        } catch (err) {
          // One lead that cannot be started must not hold up the rest; the next sweep tries again.
          outcome.failed += 1;
          const error = err instanceof Error ? err.message : String(err);
          log.warn('intake sweep: could not start a lead workflow', { leadId: row.id, error });
        }
      }
      if (rows.length) log.info('intake sweep', { ...outcome });
      return outcome;
    },
  };
}
