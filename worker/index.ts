// The worker: runs every workflow of the engine (the leads, money, the sweeps Schedules start, policy
// rollouts) and their activities on one task queue; with OTEL_EXPORTER_OTLP_ENDPOINT set, traced.
import { Client } from '@temporalio/client';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities } from '../activities';
import type { AssignmentScheme } from '../activities/assignment';
import { poolOf, type Db } from '../platform/db';
import type { PaymentRail } from '../activities/payouts';
import { codecFor, dataConverterOf, type EncryptionCodec } from '../platform/payload-codec';
import { tracingClientInterceptors, workerTracingOptions, type Tracing } from '../platform/tracing';
import { workflowBundle } from './bundle';
import { workerSizing } from './sandbox';

export async function createWorker(opts: {
  connection: NativeConnection;
  namespace?: string;
  taskQueue: string;
  db: Db;
  assignmentScheme?: AssignmentScheme;
  paymentRail?: PaymentRail;
  /** How long in-flight activities get on shutdown before they are abandoned. */
  shutdownGraceTime?: WorkerOptions['shutdownGraceTime'];
  shutdownForceTime?: WorkerOptions['shutdownForceTime'];
  /** A prebuilt bundle (tests build it once); otherwise this code's bundle file, built first if missing (worker/bundle.ts). */
  workflowBundle?: WorkerOptions['workflowBundle'];
  /**
   * The payload codec (platform/payload-codec.ts); by default from PAYLOAD_KEYS(_FILE), lead keys in `db`.
   * `null`: payloads in plaintext — only for `BENCH_CODEC=off` (bench/plain/), to put a figure on encryption.
   */
  codec?: EncryptionCodec | null;
  /** Workflows kept cached; WORKER_MAX_CACHED_WORKFLOWS by default (worker/sandbox.ts). */
  maxCachedWorkflows?: number;
  /**
   * OpenTelemetry (platform/tracing.ts): RunWorkflow, StartActivity and RunActivity spans. A given `workflowBundle`
   * must then have been bundled with TRACING_WORKFLOW_MODULES (the default one is: its `traced` variant).
   */
  tracing?: Tracing;
}): Promise<Worker> {
  const namespace = opts.namespace ?? 'default';
  // One codec (and one key cache) for the worker's payloads and its own client's.
  const dataConverter = opts.codec === null ? undefined : dataConverterOf(opts.codec ?? codecFor(opts.db));
  // The intake sweeper starts lead workflows on this worker's own cluster and task queue.
  const client = new Client({
    connection: opts.connection,
    namespace,
    dataConverter,
    interceptors: tracingClientInterceptors(opts.tracing),
  });
  const temporal = { client, taskQueue: opts.taskQueue };
  const sizing = workerSizing();
  return Worker.create({
    connection: opts.connection,
    namespace,
    dataConverter,
    taskQueue: opts.taskQueue,
    // A lead's next workflow task goes to the worker that has it cached (its sticky queue); when that
    // worker was killed, the task waits this long before any other worker may take it. The SDK's
    // 10 s default kept the read model behind for 10 s more after a crash; 2 s costs at most a
    // replay from history when the cached worker is merely busy.
    stickyQueueScheduleToStartTimeout: '2 seconds',
    // Sized on purpose, not from the heap limit (worker/sandbox.ts).
    maxCachedWorkflows: opts.maxCachedWorkflows ?? sizing.maxCachedWorkflows,
    workflowThreadPoolSize: sizing.workflowThreads,
    maxConcurrentWorkflowTaskExecutions: sizing.workflowTaskSlots,
    // Local activities (a lead's database writes, workflows/lead-run.ts) each take a database
    // connection: no more run at once than the pool has connections, so the rest queue here, not in the pool
    // (where a transaction that waits 2 s for a connection fails and retries, and a burst thrashes).
    maxConcurrentLocalActivityExecutions: connectionsOf(opts.db),
    activities: createActivities(opts.db, { assignmentScheme: opts.assignmentScheme, paymentRail: opts.paymentRail, temporal }),
    // Tracing on: the activity interceptor, the sink for the workflows' spans and the workflow interceptor module.
    ...workerTracingOptions(opts.tracing),
    ...(opts.shutdownGraceTime ? { shutdownGraceTime: opts.shutdownGraceTime } : {}),
    ...(opts.shutdownForceTime ? { shutdownForceTime: opts.shutdownForceTime } : {}),
    // Never bundled in this process: webpack would stay resident for the worker's life (worker/bundle.ts).
    workflowBundle: opts.workflowBundle ?? (await workflowBundle(opts.tracing ? 'traced' : 'plain')),
  });
}

/** The connections the worker's activities share (10 when the client was not made by createDb). */
function connectionsOf(db: Db): number {
  try {
    return poolOf(db).options.max ?? 10;
  } catch {
    return 10;
  }
}
