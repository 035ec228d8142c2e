// BENCH_CODEC=off: the lead worker with no payload codec — worker/main.ts without encryption — so
// the bench can measure what the codec costs. Never for production: payloads go to Temporal in plaintext.
import { Client } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { createDb } from '../../platform/db';
import { loadConfig, requireDatabaseUrl } from '../../platform/config';
import { ensureSchedules } from '../../platform/schedules';
import { createWorker } from '../../worker';

async function main(): Promise<void> {
  const cfg = loadConfig();
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const db = createDb(requireDatabaseUrl(cfg));
  const connection = await NativeConnection.connect({ address: cfg.TEMPORAL_ADDRESS });
  const worker = await createWorker({
    connection,
    namespace: cfg.TEMPORAL_NAMESPACE,
    taskQueue: cfg.TASK_QUEUE,
    db,
    assignmentScheme: cfg.ASSIGNMENT_SCHEME,
    codec: null,
  });
  // The same Schedules as the production worker: their runs are part of the load in both bench modes.
  await ensureSchedules(new Client({ connection, namespace: cfg.TEMPORAL_NAMESPACE }), cfg.TASK_QUEUE);
  console.log(`worker polling task queue "${cfg.TASK_QUEUE}" (payload codec OFF: bench only)`);
  await worker.run();
  await connection.close();
  await db.$disconnect();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
