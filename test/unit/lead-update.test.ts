// Which Update failures are sent again (platform/lead-update.ts): those Temporal gave up on for a
// reason not the Update's own — nothing of them was applied — and never a refusal by the workflow.
import { WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { defineUpdate } from '@temporalio/workflow';
import { executeLeadUpdate, isNotApplied, isUnprocessedByWorker } from '../../platform/lead-update';

/** The failure Temporal's server writes for an Update its worker was given and did not run. */
const unprocessed = () =>
  new WorkflowUpdateFailedError(
    'Workflow Update failed',
    ApplicationFailure.create({
      type: 'UnprocessedUpdate',
      message:
        "Workflow Update is rejected because it wasn't processed by worker. Probably, Workflow Update is not supported by the worker.",
      nonRetryable: true,
    }),
  );
const refused = () =>
  new WorkflowUpdateFailedError(
    'Workflow Update failed',
    ApplicationFailure.create({ type: 'StageMismatch', message: 'not in negotiation' }),
  );

const update = defineUpdate<string, [string]>('probe');

/** A handle whose Update fails with `failures` in turn, then answers; it notes each update id it was sent. */
function handleFailing(failures: Error[]): { handle: WorkflowHandle; ids: string[] } {
  const ids: string[] = [];
  const handle = {
    executeUpdate: async (_u: unknown, o: { args: [string]; updateId: string }) => {
      ids.push(o.updateId);
      const next = failures.shift();
      if (next) throw next;
      return `done ${o.args[0]}`;
    },
  } as unknown as WorkflowHandle;
  return { handle, ids };
}

test('an Update the server rejected as unprocessed is not applied; a refusal by the workflow is', () => {
  expect([isUnprocessedByWorker(unprocessed()), isNotApplied(unprocessed())]).toEqual([true, true]);
  expect([isUnprocessedByWorker(refused()), isNotApplied(refused())]).toEqual([false, false]);
  expect(isNotApplied(new Error("Workflow Update is rejected because it wasn't processed by worker"))).toBe(false);
});

test('an unprocessed Update is sent again under the same update id; a refusal is thrown at once', async () => {
  const again = handleFailing([unprocessed()]);
  await expect(executeLeadUpdate(again.handle, update, { args: ['pay'], updateId: 'pay-1' })).resolves.toBe('done pay');
  expect(again.ids).toEqual(['pay-1', 'pay-1']);

  const no = refused();
  const once = handleFailing([no]);
  await expect(executeLeadUpdate(once.handle, update, { args: ['pay'] })).rejects.toBe(no);
  expect(once.ids).toHaveLength(1);

  // Three times unprocessed: the caller is told (the API answers 503, safe to retry).
  const always = handleFailing([unprocessed(), unprocessed(), unprocessed()]);
  await expect(executeLeadUpdate(always.handle, update, { args: ['pay'] })).rejects.toBeInstanceOf(WorkflowUpdateFailedError);
  expect(new Set(always.ids).size).toBe(1);
  expect(always.ids).toHaveLength(3);
});
