// The floor workflow's worker, a process of its own like the lead's (TEMPORAL_ADDRESS, TASK_QUEUE).
import { NativeConnection, Worker } from '@temporalio/worker';

async function main(): Promise<void> {
  const connection = await NativeConnection.connect({ address: process.env.TEMPORAL_ADDRESS! });
  const worker = await Worker.create({
    connection, taskQueue: process.env.TASK_QUEUE!, workflowsPath: require.resolve('./workflow'),
    activities: { record: async () => undefined },
  });
  console.log('floor worker polling');
  await worker.run();
  await connection.close();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
