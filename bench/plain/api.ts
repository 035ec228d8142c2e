// BENCH_CODEC=off: the API with no payload codec — api/main.ts with a Temporal client that does not
// encrypt (so no codec server and no erasure routes either) — to measure what the codec costs.
// Never for production: payloads go to Temporal in plaintext.
import { Client, Connection } from '@temporalio/client';
import { createDb } from '../../platform/db';
import { buildApp } from '../../api/app';
import { parseApiKeys } from '../../api/auth';
import { databaseTimeouts, deadlineAwareRetryInterceptor } from '../../api/deadline';
import { loadConfig, requireDatabaseUrl } from '../../platform/config';

async function main(): Promise<void> {
  const cfg = loadConfig();
  const db = createDb(requireDatabaseUrl(cfg), 10, databaseTimeouts(cfg.REQUEST_DEADLINE_MS));
  const connection = Connection.lazy({ address: cfg.TEMPORAL_ADDRESS, interceptors: [deadlineAwareRetryInterceptor()] });
  const temporal = new Client({ connection, namespace: cfg.TEMPORAL_NAMESPACE });
  const app = await buildApp({
    db,
    temporal,
    taskQueue: cfg.TASK_QUEUE,
    apiKeys: parseApiKeys(cfg.API_KEYS),
    logLevel: cfg.LOG_LEVEL,
    rateLimitPerMinute: cfg.RATE_LIMIT_PER_MINUTE,
    requestDeadlineMs: cfg.REQUEST_DEADLINE_MS,
    temporalUiUrl: cfg.TEMPORAL_UI_URL,
    temporalNamespace: cfg.TEMPORAL_NAMESPACE,
    intakeMaxBacklog: cfg.INTAKE_MAX_BACKLOG,
  });
  await app.listen({ host: cfg.API_HOST, port: cfg.API_PORT });
  const stop = async () => {
    await app.close();
    await connection.close();
    await db.$disconnect();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
