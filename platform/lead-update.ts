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
import { randomUUID } from 'node:crypto';
import { isGrpcServiceError, ServiceError, type WorkflowHandle } from '@temporalio/client';
import type { UpdateDefinition } from '@temporalio/common';

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

/** How often an aborted Update is sent: each abort needs an event to land inside its task, so a second try nearly always runs. */
const UPDATE_ATTEMPTS = 3;

/**
 * `handle.executeUpdate`, sent again (at most `UPDATE_ATTEMPTS` times in all) when Temporal aborts
 * it because its workflow task failed beneath it. Without an `updateId` one is made, so every
 * attempt is the same Update. Any other failure — a refusal by its validator, the lead closed —
 * is thrown at once.
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
      if (attempt >= UPDATE_ATTEMPTS || !isAbortedByTaskFailure(err)) throw err;
    }
  }
}
