// A worker process killed (SIGKILL) in the middle of a payout transfer: the real Temporal server
// notices the missing heartbeats, retries the transfer on another worker with the same
// idempotency key, and the partner is paid exactly once. Runs on the dev server: the
// time-skipping server does not move workflow tasks off a dead worker's sticky queue.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { commissionActivities } from '../../activities/commission';
import { payoutWorkflow, payoutWorkflowId } from '../../workflows/payout';
import { apiStack, type ApiStack } from '../helpers/api';
import { seedPartner, uid } from '../helpers/db';
import { runWorker } from '../helpers/temporal';
import { NativeConnection } from '@temporalio/worker';

let s: ApiStack;
beforeAll(async () => {
  s = await apiStack();
});
afterAll(async () => s?.close());

const inTwoMonths = () => {
  const d = new Date();
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 2, 1)).toISOString().slice(0, 7);
};

test('a worker killed in the middle of a transfer still pays exactly once', async () => {
  const partner = await seedPartner(s.db, { expertise: [uid('x')] });
  await commissionActivities(s.db).bookCommission({
    leadId: uid('lead'),
    paymentId: 'p1',
    partnerId: partner,
    direction: 'payable',
    paidMinor: 100_000_00,
    currency: 'RUB',
    firstPayment: true,
  });
  const req = { partnerId: partner, period: inTwoMonths(), currency: 'RUB' };
  const queue = `payout-crash-${uid('q')}`;

  // A worker in its own process hands the order to the bank and is killed before it hears back.
  const doomed = spawn(
    process.execPath,
    ['--import', 'tsx', join(__dirname, '..', 'helpers', 'crashing-payout-worker.ts'), process.env.TEMPORAL_ADDRESS!, queue],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const said = (word: string) =>
    new Promise<void>((resolve, reject) => {
      doomed.stdout!.on('data', (d: Buffer) => {
        if (d.toString().includes(word)) resolve();
      });
      doomed.once('exit', (code) => reject(new Error(`crashing worker exited early (${code})`)));
    });
  const sent = said('SENT');
  await said('READY');
  const handle = await s.temporal.workflow.start(payoutWorkflow, { workflowId: payoutWorkflowId(req), taskQueue: queue, args: [req] });
  await sent;
  doomed.kill('SIGKILL');
  expect(await s.db.payoutTransfer.count({ where: { partnerId: partner } })).toBe(1); // the money left once already

  const native = await NativeConnection.connect({ address: process.env.TEMPORAL_ADDRESS! });
  const survivor = await runWorker(native, s.db, 'default', { taskQueue: queue });
  try {
    expect(await handle.result()).toMatchObject({ status: 'paid', amountMinor: 10_000_00 });
  } finally {
    await survivor.stop();
    await native.close();
  }
  expect(await s.db.payoutTransfer.count({ where: { partnerId: partner } })).toBe(1);
  expect(await s.db.ledgerEntry.count({ where: { partnerId: partner, kind: 'payout' } })).toBe(1);
  const history = await handle.fetchHistory();
  const timedOut = history.events?.filter((e) => e.activityTaskTimedOutEventAttributes || e.activityTaskFailedEventAttributes).length ?? 0;
  const retried = history.events?.find(
    (e) => e.activityTaskStartedEventAttributes && (e.activityTaskStartedEventAttributes.attempt ?? 1) > 1,
  );
  expect(timedOut + (retried ? 1 : 0)).toBeGreaterThan(0); // the transfer really was attempted twice
});
