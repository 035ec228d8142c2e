// API entry point: `npm run api` (scale out behind a load balancer).
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { createDb } from '../platform/db';
import { loadConfig, requireDatabaseUrl } from '../platform/config';
import { codecFor, dataConverterOf } from '../platform/payload-codec';
import { temporalConnectionOptions } from '../platform/temporal-connection';
import { startTracing, tracingClientInterceptors } from '../platform/tracing';
import { buildApp } from './app';
import { CoreStarts, installCoreRuntime } from './core-starts';
import { parseApiKeys } from './auth';
import { databaseTimeouts, deadlineAwareRetryInterceptor } from './deadline';

async function main(): Promise<void> {
  const cfg = loadConfig();
  // A real cluster's TLS, mTLS certificate or API key (platform/temporal-connection.ts), read before anything starts.
  const temporalOptions = temporalConnectionOptions(cfg);
  // OpenTelemetry traces when an OTLP endpoint is configured (platform/tracing.ts); nothing at all otherwise.
  const tracing = startTracing('leads-api');
  const db = createDb(
    requireDatabaseUrl(cfg),
    cfg.DATABASE_POOL_SIZE,
    databaseTimeouts(cfg.REQUEST_DEADLINE_MS),
    cfg.DATABASE_POOL_KEEP_OPEN,
  );
  // Lazy: the API comes up (and answers 503 for Temporal, /ready says so) while Temporal is down.
  const connection = Connection.lazy({ ...temporalOptions, interceptors: [deadlineAwareRetryInterceptor()] });
  // Every payload the API sends or reads is encrypted (platform/payload-codec.ts); with tracing, each call is a span of its request.
  const clientOptions = {
    namespace: cfg.TEMPORAL_NAMESPACE,
    dataConverter: dataConverterOf(codecFor(db)),
    interceptors: tracingClientInterceptors(tracing),
  };
  const temporal = new Client({ connection, ...clientOptions });
  // New leads' workflows start through the Rust core's connection once it is up (api/core-starts.ts):
  // the same options, the same codec (one key cache). Uncompressed, as grpc-js sends.
  const coreStarts =
    cfg.TEMPORAL_START_CONNECTION === 'core'
      ? new CoreStarts(
          () => NativeConnection.connect({ ...temporalOptions, grpcCompression: { codec: 'none' } }),
          (core) => new Client({ connection: core, ...clientOptions }),
        )
      : undefined;
  const apiKeys = parseApiKeys(cfg.API_KEYS);
  if (apiKeys.length === 0) throw new Error('API_KEYS is empty: no caller could authenticate (format <key>:<role>:<subject>,…)');
  const app = await buildApp({
    db,
    temporal,
    ...(coreStarts ? { startClient: () => coreStarts.client() } : {}),
    taskQueue: cfg.TASK_QUEUE,
    apiKeys,
    logLevel: cfg.LOG_LEVEL,
    rateLimitPerMinute: cfg.RATE_LIMIT_PER_MINUTE,
    rateLimitStore: cfg.RATE_LIMIT_STORE,
    requestDeadlineMs: cfg.REQUEST_DEADLINE_MS,
    temporalUiUrl: cfg.TEMPORAL_UI_URL,
    temporalNamespace: cfg.TEMPORAL_NAMESPACE,
    intakeMaxBacklog: cfg.INTAKE_MAX_BACKLOG,
    tracing,
    ...(cfg.CODEC_CORS_ORIGINS
      ? {
          codecCorsOrigins: cfg.CODEC_CORS_ORIGINS.split(',')
            .map((o) => o.trim())
            .filter(Boolean),
        }
      : {}),
  });
  if (coreStarts) {
    installCoreRuntime(app.log);
    coreStarts.start(app.log);
  }
  await app.listen({ host: cfg.API_HOST, port: cfg.API_PORT });
  if (tracing) app.log.info({ url: tracing.url, service: tracing.serviceName }, 'exporting traces over OTLP');

  // Graceful shutdown: stop taking requests, finish those in flight, then close connections.
  const stop = async (signal: string) => {
    app.log.info({ signal }, 'shutting down');
    await app.close();
    await coreStarts?.close();
    await connection.close();
    await db.$disconnect();
    await tracing?.shutdown().catch((err: unknown) => app.log.warn({ err }, 'traces not exported'));
    process.exit(0);
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
