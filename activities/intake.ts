// The intake sweeper. A lead row is committed before its workflow is started (platform/lead-start.ts,
// shared with the API's intake); when Temporal is unreachable at that moment the row stays
// `workflow_started_at IS NULL` and the sweeper (Schedule `intake-sweep`) starts it.
import { log } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { clearDueRaises, overdueRaises, settleLeadPriority } from '../platform/lead-priority';
import { leadWorkflowInput, startLeadWorkflow } from '../platform/lead-start';
import { policyInForce } from '../platform/policies';
import type { Db } from '../platform/db';

/** Records that the lead's workflow exists, so the sweeper leaves it alone. */
export async function markWorkflowStarted(db: Db, leadId: string): Promise<void> {
  await db.lead.updateMany({ where: { id: leadId, workflowStartedAt: null }, data: { workflowStartedAt: new Date() } });
}

/** started: leads whose workflow now exists (started now, or found running or closed). */
export interface SweepOutcome {
  started: number;
  failed: number;
}

/** raised: leads past their first steps whose priority the worker had not raised (platform/lead-priority.ts). */
export interface RaiseOutcome {
  raised: number;
  failed: number;
}

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

    /**
     * The sweeper's second half: raises the task priority of every lead past its first steps that
     * the worker did not raise (it stopped in the moment between the flush and the raise, or
     * Temporal was unreachable), and clears it from the due list. Idempotent: a raise of a closed
     * lead is a no-op.
     */
    async raiseStrandedLeads(opts: { olderThanMs: number; limit: number }): Promise<RaiseOutcome> {
      if (!temporal) throw new Error('raiseStrandedLeads needs a Temporal client (createActivities opts.temporal)');
      const due = await overdueRaises(db, opts.olderThanMs, opts.limit);
      const outcome: RaiseOutcome = { raised: 0, failed: 0 };
      const raised: string[] = [];
      for (const id of due) {
        try {
          await settleLeadPriority(temporal.client, id);
          raised.push(id);
        } catch (err) {
          outcome.failed += 1;
          log.warn('intake sweep: could not raise a lead', { leadId: id, error: err instanceof Error ? err.message : String(err) });
        }
      }
      if (raised.length) await clearDueRaises(db, raised);
      outcome.raised = raised.length;
      if (due.length) log.info('intake sweep: lead priorities raised', { ...outcome });
      return outcome;
    },
  };
}
