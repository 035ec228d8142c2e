// A worker process for the "killed mid-payout" test: its payment rail hands the transfer to the
// bank, prints SENT, and never answers — then the test SIGKILLs this process.
import { NativeConnection } from '@temporalio/worker';
import { createDb } from '../../platform/db';
import { outboxRail } from '../../activities/payouts';
import { createWorker } from '../../worker';

async function main(): Promise<void> {
  const [address, taskQueue] = process.argv.slice(2) as [string, string];
  const db = createDb(process.env.DATABASE_URL!, 2);
  const outbox = outboxRail(db);
  const connection = await NativeConnection.connect({ address });
  const worker = await createWorker({
    connection,
    taskQueue,
    db,
    workflowBundle: { codePath: process.env.WORKFLOW_BUNDLE_PATH! },
    paymentRail: {
      transfer: async (order) => {
        await outbox.transfer(order);
        process.stdout.write('SENT\n');
        return new Promise(() => undefined);
      },
    },
  });
  process.stdout.write('READY\n');
  await worker.run();
}

void main();
