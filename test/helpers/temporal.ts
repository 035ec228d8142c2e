// Temporal for tests: the time-skipping server (a provisioned binary where there is one, the
// SDK's download otherwise) and a worker on the prebuilt workflow bundle.
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { NativeConnection } from '@temporalio/worker';
import type { Db } from '../../activities/db';
import { codecFor, dataConverterOf, type EncryptionCodec } from '../../platform/payload-codec';
import { testServerPath } from '../../scripts/lib/binaries';
import { allSearchAttributes } from '../../workflows/search-attributes';
import { createWorker } from '../../worker';
import { isolatedDb, testDb } from './db';

/** The payload codec of tests: the tests' key (test/setup/payload-keys.ts), lead keys in `db`. */
export const testCodec = (db: Db): EncryptionCodec => codecFor(db);
/** `dataConverter` for a test's Client: it must read what the worker encrypted. */
export const testDataConverter = (db: Db) => dataConverterOf(testCodec(db));

/** The time-skipping server, its client encrypting payloads with `codec` (lead keys in the test database). */
export async function timeSkippingEnv(codec: EncryptionCodec): Promise<TestWorkflowEnvironment> {
  const path = testServerPath();
  const client = { dataConverter: dataConverterOf(codec) };
  // The SDK gives the server 5 s to listen; a JVM starting on a loaded 2-core machine can take
  // longer ("ephemeral server … did not start within 5s"), so it is given three chances.
  for (let attempt = 1; ; attempt++) {
    try {
      const env = await TestWorkflowEnvironment.createTimeSkipping(path ? { server: { executable: { type: 'existing-path', path } }, client } : { client });
      await registerSearchAttributes(env.connection);
      return env;
    } catch (err) {
      if (attempt >= 3 || !/did not start within/.test(String(err))) throw err;
    }
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

export interface RunningWorker { taskQueue: string; stop(): Promise<void> }

export async function runWorker(
  connection: NativeConnection, db: Db, namespace = 'default',
  extra: Pick<Parameters<typeof createWorker>[0], 'paymentRail' | 'shutdownGraceTime' | 'shutdownForceTime' | 'codec' | 'tracing'>
    & { taskQueue?: string; /** A bundle of its own (a tracing one: helpers/tracing); the run's shared one by default. */ workflowBundlePath?: string } = {},
): Promise<RunningWorker> {
  const { workflowBundlePath, ...options } = extra;
  const taskQueue = options.taskQueue ?? `test-${randomUUID()}`;
  const worker = await createWorker({
    connection, namespace, taskQueue, db, ...options,
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

export interface TimeSkippingStack { env: TestWorkflowEnvironment; db: Db; worker: RunningWorker }

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
  const late = new Promise<undefined>((resolve) => { timer = setTimeout(() => resolve(undefined), ms); });
  try {
    return await Promise.race([p.catch(() => undefined), late]);
  } finally {
    clearTimeout(timer);
  }
}

export interface DevServerPair { native: NativeConnection; connection: Connection; worker: RunningWorker; temporal: Client }

/**
 * A worker on the test run's dev server (TEMPORAL_ADDRESS, or another at `address`) and a client of it, sharing one codec,
 * as one key cache: what the API erases, neither reads (lead keys in `db`).
 */
export async function devServerPair(db: Db, address = process.env.TEMPORAL_ADDRESS!): Promise<DevServerPair> {
  const native = await NativeConnection.connect({ address });
  const codec = testCodec(db);
  const worker = await runWorker(native, db, 'default', { codec });
  const connection = await Connection.connect({ address });
  return { native, connection, worker, temporal: new Client({ connection, dataConverter: dataConverterOf(codec) }) };
}
