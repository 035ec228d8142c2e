// The API on the real stack: Temporal dev server and PostgreSQL from global setup, and a worker
// on a task queue of its own.
import { randomUUID } from 'node:crypto';
import { Client } from '@temporalio/client';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import type { Db } from '../../platform/db';
import { buildApp } from '../../api/app';
import type { ApiKey } from '../../api/auth';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { isolatedDb, testDb } from './db';
import { devServerPair, runWorker, testCodec, timeSkippingEnv, type RunningWorker } from './temporal';
import { dataConverterOf } from '../../platform/payload-codec';

export interface ApiStack {
  app: FastifyInstance;
  db: Db;
  temporal: Client;
  worker: RunningWorker;
  /** Headers of a caller with this role (two partners: `partner` and `partner2`). */
  as(who: Caller): { 'x-api-key': string };
  partnerIds: [string, string];
  /** `app.inject` as `who` (a sales manager unless said otherwise). */
  inject(opts: InjectOptions & { who?: Caller | 'nobody' }): Promise<LightMyRequestResponse>;
  close(): Promise<void>;
}

export type Caller = 'sales' | 'team_lead' | 'ops' | 'admin' | 'partner' | 'partner2';

/** An API key per caller, fresh for each stack; partners `ptn-a-<run>` and `ptn-b-<run>`. */
function testCallers(): { callers: Record<Caller, ApiKey>; partnerIds: [string, string] } {
  const run = randomUUID().slice(0, 8);
  const partnerIds: [string, string] = [`ptn-a-${run}`, `ptn-b-${run}`];
  const callers: Record<Caller, ApiKey> = {
    sales: { key: `sales-key-${run}-0000`, role: 'sales', subject: 'anna' },
    team_lead: { key: `tl-key-${run}-00000000`, role: 'team_lead', subject: 'tatiana' },
    ops: { key: `ops-key-${run}-0000000`, role: 'ops', subject: 'oleg' },
    admin: { key: `admin-key-${run}-00000`, role: 'admin', subject: 'root' },
    partner: { key: `partner-a-${run}-00000`, role: 'partner', subject: partnerIds[0] },
    partner2: { key: `partner-b-${run}-00000`, role: 'partner', subject: partnerIds[1] },
  };
  return { callers, partnerIds };
}

/** `as` and `inject` of a stack: each caller's key on its requests. */
function callersOf(app: FastifyInstance, callers: Record<Caller, ApiKey>): Pick<ApiStack, 'as' | 'inject'> {
  return {
    as: (who) => ({ 'x-api-key': callers[who].key }),
    inject: ({ who = 'sales', headers, ...opts }) =>
      app.inject({ ...opts, headers: { ...(who === 'nobody' ? {} : { 'x-api-key': callers[who].key }), ...(headers ?? {}) } }),
  };
}

export async function apiStack(): Promise<ApiStack> {
  const db = testDb();
  const { callers, partnerIds } = testCallers();
  const pair = await devServerPair(db);
  const { worker, temporal } = pair;
  let app: FastifyInstance;
  try {
    app = await buildApp({
      db,
      temporal,
      taskQueue: worker.taskQueue,
      logLevel: 'silent',
      apiKeys: Object.values(callers),
      rateLimitPerMinute: 100_000,
    });
    await app.ready();
  } catch (err) {
    await pair.close();
    await db.$disconnect();
    throw err;
  }
  return {
    app,
    db,
    temporal,
    worker,
    partnerIds,
    ...callersOf(app, callers),
    close: async () => {
      await app.close();
      await pair.close();
      await db.$disconnect();
    },
  };
}

/** A mobile number nobody else in the run has, so intake does not attach to another test's lead. */
export const randomPhone = () => `+7916${Math.floor(1_000_000 + Math.random() * 8_999_999)}`;

/** A valid intake body from a web form: a person with a fresh phone and e-mail. */
export const leadBody = (over: Record<string, unknown> = {}) => ({
  source: { channel: 'web_form' },
  person: { name: 'Ivan Petrov' },
  phone: randomPhone(),
  email: `${randomUUID()}@example.com`,
  topic: 'crm',
  ...over,
});

export interface TimeSkippingApi extends Omit<ApiStack, 'temporal'> {
  env: TestWorkflowEnvironment;
  /**
   * A plain client of the time-skipping server: waiting on it never lets time skip (the
   * environment's own client unlocks time while it waits for a result, and a lead's next timer
   * would fire then). Time passes only through `env.sleep` (helpers/lead `skip`).
   */
  temporal: Client;
}

/**
 * The API on the time-skipping server, with its own worker and a database of its own (the alarm
 * sweep judges every row of a kind; after skipping days, other files' open tasks would be overdue).
 */
export async function timeSkippingApi(): Promise<TimeSkippingApi> {
  const db = await isolatedDb();
  // The worker, the API and the environment share one codec (lead keys in this file's database).
  const codec = testCodec(db);
  const env = await timeSkippingEnv(codec);
  const { callers, partnerIds } = testCallers();
  const worker = await runWorker(env.nativeConnection, db, 'default', { codec });
  const temporal = new Client({ connection: env.connection, namespace: env.namespace ?? 'default', dataConverter: dataConverterOf(codec) });
  const app = await buildApp({
    db,
    temporal,
    taskQueue: worker.taskQueue,
    logLevel: 'silent',
    apiKeys: Object.values(callers),
    rateLimitPerMinute: 100_000,
  });
  await app.ready();
  return {
    app,
    db,
    temporal,
    worker,
    partnerIds,
    env,
    ...callersOf(app, callers),
    close: async () => {
      await app.close();
      await worker.stop();
      await env.teardown();
      await db.$disconnect();
    },
  };
}
