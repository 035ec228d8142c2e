// The floor workflow's worker, a process of its own like the lead's (TEMPORAL_ADDRESS, TASK_QUEUE).
import { NativeConnection, Worker } from '@temporalio/worker';
import { memoryLeadKeyStore } from '../../platform/lead-keys';
import { dataConverterOf, encryptionCodec } from '../../platform/payload-codec';
import { loadPayloadKeys } from '../../platform/payload-keys';

// Run like the lead's worker (bench/stack.ts, BENCH_RUNTIME): compiled, it has no source maps,
// which tsx's loader turns on for this process.
process.setSourceMapsEnabled(process.env.BENCH_RUNTIME === 'tsx');

async function main(): Promise<void> {
  const connection = await NativeConnection.connect({ address: process.env.TEMPORAL_ADDRESS! });
  const worker = await Worker.create({
    connection,
    taskQueue: process.env.TASK_QUEUE!,
    workflowsPath: require.resolve('./workflow'),
    activities: { record: async () => undefined, assign: async () => 'floor-manager', task: async () => undefined },
    // The same codec as the lead's worker (its payloads are no lead's: the master key, no key store),
    // or none with BENCH_CODEC=off, like the lead's worker then.
    ...(process.env.BENCH_CODEC === 'off'
      ? {}
      : { dataConverter: dataConverterOf(encryptionCodec(loadPayloadKeys(), memoryLeadKeyStore())) }),
  });
  console.log('floor worker polling');
  await worker.run();
  await connection.close();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
