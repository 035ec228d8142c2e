// "Start this workflow, or find the one that has its id": every workflow started under a business
// key (a lead, a payout, a refund, a partner's exit) runs once for that key. A running one is used
// as it is (USE_EXISTING), and a closed one is never run again (REJECT_DUPLICATE: its id has a
// history, and Temporal answers "already started"); either way the caller gets its handle.
import { type Client, WorkflowExecutionAlreadyStartedError, type WorkflowHandle, type WorkflowStartOptions } from '@temporalio/client';
import { type Workflow, WorkflowIdConflictPolicy, WorkflowIdReusePolicy } from '@temporalio/common';

/** The id policies startOnce starts with: one run per id, ever. */
export const ONCE = {
  workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
  workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
} as const;

/**
 * Starts `workflow` under `options.workflowId` unless a run has that id; returns the handle of the
 * run started now, of the one running, or of the closed one (its `result()` is what it returned).
 * The id policies in `options` are ONCE's whatever is given.
 */
export async function startOnce<T extends Workflow>(
  temporal: Client,
  workflow: string | T,
  options: WorkflowStartOptions<T>,
): Promise<WorkflowHandle<T>> {
  try {
    return await temporal.workflow.start<T>(workflow, { ...options, ...ONCE });
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    return temporal.workflow.getHandle<T>(options.workflowId);
  }
}
