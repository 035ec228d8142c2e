// Worker entry point: `npm run worker` (scale out by running more of them).
import { Client } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, type LogLevel } from '@temporalio/worker';
import { createDb } from '../platform/db';
import { loadConfig, requireDatabaseUrl } from '../platform/config';
import { codecFor, dataConverterOf } from '../platform/payload-codec';
import { ensureSchedules } from '../platform/schedules';
import { describeTemporalConnection, temporalConnectionOptions } from '../platform/temporal-connection';
import { startTracing } from '../platform/tracing';
import { createWorker } from './index';

const SDK_LEVEL: Record<ReturnType<typeof loadConfig>['LOG_LEVEL'], LogLevel> = {
  fatal: 'ERROR',
  error: 'ERROR',
  warn: 'WARN',
  info: 'INFO',
  debug: 'DEBUG',
  trace: 'TRACE',
  silent: 'ERROR',
};

async function main(): Promise<void> {
  const cfg = loadConfig();
  // LOG_LEVEL governs the SDK's logger too (worker state, workflow and activity logs), and
  // Temporal's own worker metrics (task latencies, slots, poll results, …) go to Prometheus.
  Runtime.install({
    logger: new DefaultLogger(SDK_LEVEL[cfg.LOG_LEVEL]),
    ...(cfg.WORKER_METRICS_ADDRESS ? { telemetryOptions: { metrics: { prometheus: { bindAddress: cfg.WORKER_METRICS_ADDRESS } } } } : {}),
  });
  // A real cluster's TLS, mTLS certificate or API key (platform/temporal-connection.ts), read before anything starts.
  const temporalOptions = temporalConnectionOptions(cfg);
  // OpenTelemetry traces when an OTLP endpoint is configured (platform/tracing.ts); nothing at all otherwise.
  const tracing = startTracing('leads-worker');
  const db = createDb(requireDatabaseUrl(cfg), cfg.DATABASE_POOL_SIZE, {}, cfg.DATABASE_POOL_KEEP_OPEN);
  const connection = await NativeConnection.connect(temporalOptions);
  const codec = codecFor(db);
  const worker = await createWorker({
    connection,
    namespace: cfg.TEMPORAL_NAMESPACE,
    taskQueue: cfg.TASK_QUEUE,
    db,
    assignmentScheme: cfg.ASSIGNMENT_SCHEME,
    codec,
    tracing,
  });
  // Schedule actions carry payloads (their workflows' arguments): encrypted like the rest.
  await ensureSchedules(
    new Client({ connection, namespace: cfg.TEMPORAL_NAMESPACE, dataConverter: dataConverterOf(codec) }),
    cfg.TASK_QUEUE,
  );
  console.log(
    `worker polling task queue "${cfg.TASK_QUEUE}" in namespace "${cfg.TEMPORAL_NAMESPACE}" on ${describeTemporalConnection(temporalOptions)}${cfg.WORKER_METRICS_ADDRESS ? `; metrics on http://${cfg.WORKER_METRICS_ADDRESS}/metrics` : ''}` +
      `${tracing ? `; traces to ${tracing.url} as ${tracing.serviceName}` : ''}`,
  );
  // Worker.run() installs SIGINT/SIGTERM handlers and drains in-flight tasks before resolving.
  await worker.run();
  await connection.close();
  await db.$disconnect();
  // The spans of the last tasks, before the process exits.
  await tracing?.shutdown().catch((err: unknown) => console.warn('traces not exported:', err));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
