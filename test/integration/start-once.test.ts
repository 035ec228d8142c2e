// startOnce on the dev server: "start this workflow, or find the one that has its id" — the one
// helper intake, the intake sweeper, a partner's notice, payouts and refunds start their workflows
// with. A second start finds the running run (no error, no second run); after the run has closed,
// a start finds that run and its result, and never runs the workflow again.
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { startOnce } from '../../platform/start-once';
import { partnerExitWorkflow, partnerExitWorkflowId } from '../../workflows/partner-exit';
import { payoutWorkflow, payoutWorkflowId } from '../../workflows/payout';
import { seedPartner, testDb, uid } from '../helpers/db';
import { devServerPair, type DevServerPair } from '../helpers/temporal';

const db = testDb();
let t: DevServerPair;
beforeAll(async () => {
  t = await devServerPair(db);
});
afterAll(async () => {
  await t?.worker.stop();
  await Promise.all([t?.native.close(), t?.connection.close(), db.$disconnect()]);
});

test('a second start of a running workflow finds that run', async () => {
  const partnerId = uid('ptn');
  const workflowId = partnerExitWorkflowId(partnerId);
  const options = { workflowId, taskQueue: t.worker.taskQueue, args: [{ partnerId, noticeAt: new Date().toISOString() }] } as const;
  const first = await startOnce(t.temporal, partnerExitWorkflow, options);
  try {
    const again = await startOnce(t.temporal, partnerExitWorkflow, options);
    expect((await again.describe()).runId).toBe((await first.describe()).runId);
    expect((await again.describe()).status.name).toBe('RUNNING');
    // What startOnce spares its callers: a plain start under the same id is refused.
    await expect(t.temporal.workflow.start(partnerExitWorkflow, options)).rejects.toBeInstanceOf(WorkflowExecutionAlreadyStartedError);
  } finally {
    await first.terminate('test done');
  }
});

test('a start after the run has closed finds it and its result, and runs nothing again', async () => {
  // A partner owed nothing: its payout for the period is prepared as skipped and the run completes.
  const partnerId = await seedPartner(db, { expertise: [uid('x')] });
  const req = { partnerId, period: '2026-01', currency: 'RUB' };
  const options = { workflowId: payoutWorkflowId(req), taskQueue: t.worker.taskQueue, args: [req] } as const;
  const first = await startOnce(t.temporal, payoutWorkflow, options);
  const result = await first.result();
  expect(result).toMatchObject({ status: 'skipped' });

  const again = await startOnce(t.temporal, payoutWorkflow, options);
  expect(await again.result()).toEqual(result);
  const described = await again.describe();
  expect([described.runId, described.status.name]).toEqual([(await first.describe()).runId, 'COMPLETED']);
});
