// A staff action's Update, sent again when Temporal aborted it for a reason that was not its own.
//
// When an event reaches a lead while the workflow task running an Update is closing it (completing
// the workflow, or continuing it as new) — a priority raise (platform/lead-priority.ts), a repeat
// inquiry's signal — Temporal refuses the closing command, fails that workflow task and aborts the
// Update with FAILED_PRECONDITION "Unable to perform workflow execution update due to unexpected
// workflow task failure". Nothing of it was applied: the lead's next workflow task sees the event
// and runs the Update afresh when it is sent again, under the same update id (which Temporal keeps
// idempotent). On the dev server a raise sent 0–45 ms after a closing Update aborted 11 of 16
// (test/api/update-retry.test.ts makes the race happen through the API).
//
// And when a workflow task that carried an Update is completed without the worker accepting or
// rejecting it, Temporal rejects the Update itself, with its own failure of type
// `UnprocessedUpdate` ("Workflow Update is rejected because it wasn't processed by worker") and
// never delivers it again. Nothing of it was applied either; a rejected Update is not kept, so the
// same update id is taken afresh. The fault suite's 50 racing payments on one lead met it twice in
// one CI run (two 409s for a payment the workflow had never seen).
import { randomUUID } from 'node:crypto';
import { isGrpcServiceError, ServiceError, WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure, type UpdateDefinition } from '@temporalio/common';

const GRPC_FAILED_PRECONDITION = 9;

/** Temporal's answer to an Update whose workflow task failed beneath it (see above). */
export function isAbortedByTaskFailure(err: unknown): boolean {
  const cause = err instanceof ServiceError ? err.cause : err;
  return (
    isGrpcServiceError(cause) &&
    cause.code === GRPC_FAILED_PRECONDITION &&
    /unexpected workflow task failure/i.test(`${cause.details ?? ''} ${cause.message}`)
  );
}

/** Temporal's own rejection of an Update its worker was given but did not run (see above). */
export function isUnprocessedByWorker(err: unknown): boolean {
  return err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure && err.cause.type === 'UnprocessedUpdate';
}

/** An Update Temporal gave up on for a reason that was not its own: nothing of it was applied, so it may be sent again. */
export function isNotApplied(err: unknown): boolean {
  return isAbortedByTaskFailure(err) || isUnprocessedByWorker(err);
}

/** How often an aborted Update is sent: each abort needs an event to land inside its task, so a second try nearly always runs. */
const UPDATE_ATTEMPTS = 3;

/**
 * `handle.executeUpdate`, sent again (at most `UPDATE_ATTEMPTS` times in all) when Temporal aborts
 * it because its workflow task failed beneath it, or rejects it as unprocessed. Without an
 * `updateId` one is made, so every attempt is the same Update. Any other failure — a refusal by
 * its validator, the lead closed — is thrown at once.
 */
export async function executeLeadUpdate<Ret, Args extends [unknown, ...unknown[]]>(
  handle: WorkflowHandle,
  update: UpdateDefinition<Ret, Args>,
  opts: { args: Args; updateId?: string },
): Promise<Ret> {
  const updateId = opts.updateId ?? randomUUID();
  for (let attempt = 1; ; attempt++) {
    try {
      return await handle.executeUpdate(update, { args: opts.args, updateId });
    } catch (err) {
      if (attempt >= UPDATE_ATTEMPTS || !isNotApplied(err)) throw err;
    }
  }
}
