// Temporal for tests: the time-skipping server (a provisioned binary where there is one, the
// SDK's download otherwise) and a worker on the prebuilt workflow bundle.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { connect } from 'node:net';
import { Client, Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { NativeConnection, Worker } from '@temporalio/worker';
import type { LeadActivities } from '../../activities';
import type { Db } from '../../platform/db';
import { memoryLeadKeyStore } from '../../platform/lead-keys';
import { codecFor, dataConverterOf, encryptionCodec, type EncryptionCodec } from '../../platform/payload-codec';
import { loadPayloadKeys } from '../../platform/payload-keys';
import { testServerPath } from '../../scripts/lib/binaries';
import { freePort } from '../../scripts/lib/ports';
import { allSearchAttributes } from '../../workflows/search-attributes';
import { createWorker } from '../../worker';
import { isolatedDb, testDb } from './db';

/** The payload codec of tests: the tests' key (test/setup/payload-keys.ts), lead keys in `db`. */
export const testCodec = (db: Db): EncryptionCodec => codecFor(db);
/** `dataConverter` for a test's Client: it must read what the worker encrypted. */
export const testDataConverter = (db: Db) => dataConverterOf(testCodec(db));

/** The tests' key with lead keys kept in memory: for workflow tests with no database. */
export const memoryCodec = (): EncryptionCodec => encryptionCodec(loadPayloadKeys(), memoryLeadKeyStore());

/**
 * The time-skipping server, its client encrypting payloads with `codec` (lead keys in the test
 * database). The provisioned server is started here rather than by the SDK, which gives the JVM
 * 5 s to listen: a 2-core machine busy with other work often misses that ("ephemeral server …
 * did not start within 5s", 18 times in a row once). Here it gets as long as it needs; the SDK's
 * environment attaches to it, and its teardown stops the server too.
 */
export async function timeSkippingEnv(codec: EncryptionCodec): Promise<TestWorkflowEnvironment> {
  const path = testServerPath();
  const client = { dataConverter: dataConverterOf(codec) };
  if (!path) {
    // Not provisioned (a laptop with internet): the SDK downloads and starts the server itself.
    const env = await TestWorkflowEnvironment.createTimeSkipping({ client });
    await registerSearchAttributes(env.connection);
    return env;
  }
  const server = await startJavaServer(path);
  try {
    const create = (TestWorkflowEnvironment as unknown as { create: CreateOnExisting }).create.bind(TestWorkflowEnvironment);
    const env = await create({
      server: { type: 'existing' },
      address: `127.0.0.1:${server.port}`,
      namespace: 'default',
      supportsTimeSkipping: true,
      client,
    });
    await registerSearchAttributes(env.connection);
    const teardown = env.teardown.bind(env);
    Object.assign(env, {
      teardown: async () => {
        try {
          await teardown();
        } finally {
          await server.stop();
        }
      },
    });
    return env;
  } catch (err) {
    await server.stop();
    throw err;
  }
}

/** `TestWorkflowEnvironment.create` is what createTimeSkipping calls; it also takes a server already running. */
type CreateOnExisting = (opts: {
  server: { type: 'existing' };
  address: string;
  namespace: string;
  supportsTimeSkipping: true;
  client: { dataConverter: ReturnType<typeof dataConverterOf> };
}) => Promise<TestWorkflowEnvironment>;

/** Starts the Java time-skipping server on a free port and waits (up to 3 minutes) until it listens. */
async function startJavaServer(path: string): Promise<{ port: number; stop(): Promise<void> }> {
  const port = await freePort();
  const java: ChildProcess = spawn(path, [String(port)], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  java.stderr?.on('data', (b: Buffer) => {
    stderr = (stderr + b.toString()).slice(-2000);
  });
  // A test process that exits without its teardown (a crash, jest's forced exit) takes the JVM along.
  const kill = () => {
    if (java.exitCode === null) java.kill('SIGKILL');
  };
  process.once('exit', kill);
  const stop = async () => {
    process.removeListener('exit', kill);
    if (java.exitCode === null && java.signalCode === null) {
      const exited = new Promise((r) => java.once('exit', r));
      java.kill('SIGKILL');
      await exited;
    }
  };
  const deadline = Date.now() + 180_000;
  for (;;) {
    if (java.exitCode !== null) throw new Error(`the time-skipping server exited with ${java.exitCode}: ${stderr}`);
    const open = await new Promise<boolean>((resolve) => {
      const sock = connect(port, '127.0.0.1');
      sock.once('connect', () => {
        sock.destroy();
        resolve(true);
      });
      sock.once('error', () => resolve(false));
    });
    if (open) return { port, stop };
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`the time-skipping server did not listen on :${port} within 180 s: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The time-skipping server, like a real cluster, rejects search attributes it was not told about. */
export async function registerSearchAttributes(connection: Connection, namespace = 'default'): Promise<void> {
  const indexed: Record<string, temporal.api.enums.v1.IndexedValueType> = {
    KEYWORD: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
    BOOL: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_BOOL,
    INT: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_INT,
    DATETIME: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
  };
  await connection.operatorService.addSearchAttributes({
    namespace,
    searchAttributes: Object.fromEntries(allSearchAttributes.map((k) => [k.name, indexed[k.type]!])),
  });
}

export interface RunningWorker {
  taskQueue: string;
  stop(): Promise<void>;
}

export async function runWorker(
  connection: NativeConnection,
  db: Db,
  namespace = 'default',
  extra: Pick<Parameters<typeof createWorker>[0], 'paymentRail' | 'shutdownGraceTime' | 'shutdownForceTime' | 'codec' | 'tracing'> & {
    taskQueue?: string;
    /** A bundle of its own (a tracing one: helpers/tracing); the run's shared one by default. */ workflowBundlePath?: string;
  } = {},
): Promise<RunningWorker> {
  const { workflowBundlePath, ...options } = extra;
  const taskQueue = options.taskQueue ?? `test-${randomUUID()}`;
  const worker = await createWorker({
    connection,
    namespace,
    taskQueue,
    db,
    ...options,
    workflowBundle: { codePath: workflowBundlePath ?? process.env.WORKFLOW_BUNDLE_PATH! },
  });
  const running = worker.run();
  return {
    taskQueue,
    stop: async () => {
      worker.shutdown();
      await running;
    },
  };
}

/**
 * A worker on the prebuilt bundle whose activities are the given functions (in-memory fakes): the
 * workflow's own logic under time-skipping, without PostgreSQL. Only the activities a test's paths
 * call need be given; another one fails its activity task, and the test with it.
 */
export async function runMockedWorker(
  connection: NativeConnection,
  activities: Partial<LeadActivities>,
  codec: EncryptionCodec,
): Promise<RunningWorker> {
  const taskQueue = `test-${randomUUID()}`;
  const worker = await Worker.create({
    connection,
    namespace: 'default',
    taskQueue,
    activities,
    dataConverter: dataConverterOf(codec),
    workflowBundle: { codePath: process.env.WORKFLOW_BUNDLE_PATH! },
  });
  const running = worker.run();
  return {
    taskQueue,
    stop: async () => {
      worker.shutdown();
      await running;
    },
  };
}

export interface TimeSkippingStack {
  env: TestWorkflowEnvironment;
  db: Db;
  worker: RunningWorker;
}

/**
 * The hooks of a file of workflow tests: a time-skipping server, a worker on the prebuilt bundle,
 * and the test database — or a database of its own (`isolated`) for tests that compare all rows
 * of a kind. `seed` runs once, before the tests.
 */
export function timeSkippingStack(opts: { isolated?: boolean; seed?: (db: Db) => Promise<unknown> } = {}): TimeSkippingStack {
  // A test that hangs fails after a minute instead of holding CI. (The hangs once seen here came
  // from the Java test server leaking its time lock when a child workflow outlived its parent —
  // the lead's abandoned commission child, replaced by an activity under a patch.) Another race
  // of that server: a timer that fires while the workflow task cancelling it is in flight makes it
  // reject the task ("invalid history builder state for action") and stall, where a real server
  // drops the buffered firing; tests therefore let time pass only on an idle workflow
  // (helpers/lead `skip`). One retry, on fresh leads, stays as a backstop.
  jest.retryTimes(1, { logErrorsBeforeRetry: true });
  jest.setTimeout(60_000);
  const stack = {} as TimeSkippingStack;
  const start = async () => {
    const codec = testCodec(stack.db);
    stack.env = await timeSkippingEnv(codec);
    stack.worker = await runWorker(stack.env.nativeConnection, stack.db, 'default', { codec });
  };
  const stop = async () => {
    await within(15_000, stack.worker?.stop());
    await within(15_000, stack.env?.teardown());
  };
  beforeAll(async () => {
    stack.db = opts.isolated ? await isolatedDb() : testDb();
    await start();
    await opts.seed?.(stack.db);
  });
  afterAll(async () => {
    await stop();
    await stack.db?.$disconnect();
  });
  return stack;
}

/** The promise's value, or undefined when it does not settle within `ms` (it is left behind). */
async function within<T>(ms: number, p: Promise<T> | undefined): Promise<T | undefined> {
  if (!p) return undefined;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  try {
    return await Promise.race([p.catch(() => undefined), late]);
  } finally {
    clearTimeout(timer);
  }
}

export interface DevServerPair {
  native: NativeConnection;
  connection: Connection;
  worker: RunningWorker;
  temporal: Client;
  /** Stops the worker, then closes both connections (the stacks built on a pair close it last but the database). */
  close(): Promise<void>;
}

/**
 * A worker on the test run's dev server (TEMPORAL_ADDRESS, or another at `address`) and a client of it, sharing one codec,
 * as one key cache: what the API erases, neither reads (lead keys in `db`).
 */
export async function devServerPair(db: Db, address = process.env.TEMPORAL_ADDRESS!): Promise<DevServerPair> {
  const native = await NativeConnection.connect({ address });
  const codec = testCodec(db);
  const worker = await runWorker(native, db, 'default', { codec });
  const connection = await Connection.connect({ address });
  return {
    native,
    connection,
    worker,
    temporal: new Client({ connection, dataConverter: dataConverterOf(codec) }),
    close: async () => {
      await worker.stop();
      await native.close();
      await connection.close();
    },
  };
}
