// A lead's task priority (issue 16, backpressure). A burst of intake must not stand in front of
// the staff's actions: an Update is a workflow task on the lead's task queue like any other, and
// Temporal's matcher hands out tasks in priority order (1 first, 3 when none is set), FIFO within
// a priority. So a lead is started at `arriving`, below everything else, and runs its first steps
// there (first flush, the manager's pick, the first task); the flush that ends them, the one carrying
// its second transition (activities/registry.ts), raises it to `settled`, where the staff's Updates,
// timers and activities of every lead already taken in run. A backlog of new leads then waits behind
// them, not in front — all of its first steps, not only the first workflow task: raised at the first
// flush, a burst's leads ran the rest of their first steps at the staff's priority.
//
// The priority is the workflow's, kept by Temporal across continue-as-new; the raise is one
// WorkflowExecutionOptionsUpdated event in the lead's history, and schedules no workflow task.
// A server without priority (older than 1.28, or the time-skipping test server) ignores the key at
// start and answers UNIMPLEMENTED to the raise: the lead then runs FIFO, as it did before.
import { type Client, isGrpcServiceError } from '@temporalio/client';
import type { Priority } from '@temporalio/common';
import { leadWorkflowId } from '../workflows/lead';

export const LEAD_PRIORITY = {
  /** A new lead's first workflow task: after everything already running. */
  arriving: { priorityKey: 4 },
  /** Once its first steps are flushed: Temporal's default, as every other workflow of the engine. */
  settled: { priorityKey: 3 },
} as const satisfies Record<string, Priority>;

const GRPC_INVALID_ARGUMENT = 3;
const GRPC_NOT_FOUND = 5;
const GRPC_FAILED_PRECONDITION = 9;
const GRPC_UNIMPLEMENTED = 12;
/** Answers that no retry would change: the lead is gone or closed, or the server refuses the field. It then keeps its arrival priority. */
const FINAL = new Set([GRPC_INVALID_ARGUMENT, GRPC_NOT_FOUND, GRPC_FAILED_PRECONDITION]);

/**
 * Raises the lead to `settled`. Idempotent (a retried activity sets the same key again). A lead
 * already closed or erased needs no priority, and a priority is never worth failing the read-model
 * write it rides with: final answers are taken as they are. A server that has no priority
 * (UNIMPLEMENTED) is remembered per client, so it is asked once. An outage throws: the activity
 * retries, as its write would.
 */
export async function settleLeadPriority(client: Client, leadId: string): Promise<void> {
  if (unsupported.has(client)) return;
  try {
    await client.workflowService.updateWorkflowExecutionOptions({
      namespace: client.options.namespace,
      workflowExecution: { workflowId: leadWorkflowId(leadId) },
      workflowExecutionOptions: { priority: LEAD_PRIORITY.settled },
      updateMask: { paths: ['priority'] },
    });
  } catch (err) {
    if (isGrpcServiceError(err) && err.code === GRPC_UNIMPLEMENTED) unsupported.add(client);
    else if (!(isGrpcServiceError(err) && FINAL.has(err.code))) throw err;
  }
}

const unsupported = new WeakSet<Client>();
