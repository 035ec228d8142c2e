// Dependency outages, for real: a Temporal dev server of this file's own is killed, and a
// PostgreSQL of its own is hung (SIGSTOP) and then stopped. Every route answers 503
// dependency-unavailable with Retry-After, within the request deadline, and says which dependency
// without its host or port; /ready does too. A change refused for an outage is not made, and an
// accepted one has its audit row.
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { createDb, type Db } from '../../platform/db';
import { buildApp } from '../../api/app';
import { CoreStarts } from '../../api/core-starts';
import { databaseTimeouts, deadlineAwareRetryInterceptor } from '../../api/deadline';
import * as M from '../../workflows/messages';
import { leadWorkflowId } from '../../workflows/lead';
import { migrate } from '../../scripts/lib/migrate';
import { freePort } from '../../scripts/lib/ports';
import { type RunningPostgres, startEmbeddedPostgres } from '../../scripts/lib/postgres';
import { type RunningTemporal, startTemporalDevServer } from '../../scripts/lib/temporal';
import { seedManager, testDb } from '../helpers/db';
import { waitFor } from '../helpers/lead';
import { runWorker, testDataConverter, type RunningWorker } from '../helpers/temporal';

/** Short, so the suite stays quick; production's default is 10 s. */
const DEADLINE_MS = 3_000;
/**
 * Measured at the client, a 503 sent at the deadline arrives a little after it on a loaded
 * machine (3,171 ms seen in CI); the fault suite allows the same second for measuring.
 */
const ANSWERED_BY_MS = DEADLINE_MS + 1_000;
const KEY = 'outage-test-key-0000000000';
const sales = { 'x-api-key': KEY };

const newLead = () => ({
  source: { channel: 'web_form' },
  person: { name: 'Olga Ivanova' },
  phone: `+7926${Math.floor(1_000_000 + Math.random() * 8_999_999)}`,
  topic: 'crm',
});

async function appOn(
  db: Db,
  temporal: Client,
  taskQueue: string,
  extra?: (app: FastifyInstance) => void,
  startClient?: () => Client | undefined,
): Promise<FastifyInstance> {
  const app = await buildApp({
    db,
    temporal,
    ...(startClient ? { startClient } : {}),
    taskQueue,
    logLevel: 'silent',
    rateLimitPerMinute: 100_000,
    requestDeadlineMs: DEADLINE_MS,
    apiKeys: [{ key: KEY, role: 'sales', subject: 'anna' }],
  });
  extra?.(app);
  await app.ready();
  return app;
}

/** The request, timed from the client's side. */
async function timed(app: FastifyInstance, opts: InjectOptions): Promise<{ res: LightMyRequestResponse; ms: number }> {
  const t = performance.now();
  const res = await app.inject({ ...opts, headers: { ...sales, ...(opts.headers ?? {}) } });
  return { res, ms: performance.now() - t };
}

/** The answer a client gets while `dependency` is down: 503 problem+json, Retry-After, in time, no internals. */
function expectUnavailable(
  { res, ms }: { res: LightMyRequestResponse; ms: number },
  dependency: 'postgres' | 'temporal' | undefined,
  port: number,
) {
  expect({ status: res.statusCode, body: res.json() }).toMatchObject({
    status: 503,
    body: { type: expect.stringMatching(/\/dependency-unavailable$/), status: 503, ...(dependency ? { dependency } : {}) },
  });
  expect(res.headers['content-type']).toContain('application/problem+json');
  expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
  expect(res.body).not.toContain(String(port));
  expect(res.body).not.toMatch(/127\.0\.0\.1|ECONNREFUSED|localhost/);
  expect(ms).toBeLessThan(ANSWERED_BY_MS);
}

describe('Temporal is down', () => {
  let temporal: RunningTemporal;
  let connection: Connection;
  let core: CoreStarts;
  let db: Db;
  let app: FastifyInstance;
  let port: number;
  let leadId: string;

  beforeAll(async () => {
    port = await freePort();
    temporal = await startTemporalDevServer({ port });
    connection = await Connection.connect({ address: temporal.address, interceptors: [deadlineAwareRetryInterceptor()] });
    db = testDb();
    // No worker: nothing here needs the lead to move, only Temporal to answer or not.
    const dataConverter = testDataConverter(db);
    const client = new Client({ connection, dataConverter });
    // Intake starts through the core connection, as api/main.ts does by default: its retries of a
    // dead server outlast any deadline, so intake must end the wait itself.
    core = new CoreStarts(
      () => NativeConnection.connect({ address: temporal.address }),
      (c) => new Client({ connection: c, dataConverter }),
    ).start({ info: () => undefined, warn: () => undefined });
    await waitFor(async () => core.client() !== undefined, 10_000);
    app = await appOn(
      db,
      client,
      `outage-${port}`,
      (a) => {
        // Code that sets a deadline of its own (as intake does) is still held to the request's.
        a.get('/probe/own-deadline', async () =>
          client.connection.withDeadline(Date.now() + 60_000, () => client.workflowService.getSystemInfo({})),
        );
      },
      () => core.client(),
    );
    const created = await timed(app, { method: 'POST', url: '/leads', payload: newLead() });
    expect(created.res.statusCode).toBe(201);
    leadId = created.res.json().leadId;
    temporal.process.kill('SIGKILL');
    await new Promise((resolve) => temporal.process.once('exit', resolve));
  });
  afterAll(async () => {
    await app?.close();
    await core?.close();
    await connection?.close();
    await db?.$disconnect();
    // Killed above: stop() would wait for an exit that has already happened.
    if (temporal && temporal.process.exitCode === null && temporal.process.signalCode === null) await temporal.stop();
  });

  test('an Update and a read are a 503 naming Temporal, with Retry-After, within the deadline', async () => {
    expectUnavailable(
      await timed(app, { method: 'POST', url: `/leads/${leadId}/contact`, payload: { outcome: 'reached' } }),
      'temporal',
      port,
    );
    expectUnavailable(await timed(app, { method: 'GET', url: `/leads/${leadId}` }), 'temporal', port);
    // The list is the read model's: PostgreSQL alone answers it.
    expect((await timed(app, { method: 'GET', url: '/leads?limit=1' })).res.statusCode).toBe(200);
  });

  test('a longer deadline set inside a request is cut to the request deadline', async () => {
    expectUnavailable(await timed(app, { method: 'GET', url: '/probe/own-deadline' }), 'temporal', port);
  });

  test('intake is never a 500 and never late: a 503, or an answer that names the registered lead', async () => {
    const { res, ms } = await timed(app, { method: 'POST', url: '/leads', payload: newLead() });
    expect(ms).toBeLessThan(ANSWERED_BY_MS);
    // Intake may answer for itself when the lead row committed and the workflow start failed (a
    // sweeper starts it later: api/intake.ts); otherwise the outage is a 503 like everywhere else.
    if (res.statusCode === 503) expectUnavailable({ res, ms }, 'temporal', port);
    else expect({ status: res.statusCode < 300, leadId: typeof res.json().leadId }).toEqual({ status: true, leadId: 'string' });
  });

  test('through the core connection, a new lead is registered (202) by the request deadline, and its row kept for the sweep', async () => {
    expect(core.client()).toBeDefined();
    const { res, ms } = await timed(app, { method: 'POST', url: '/leads', payload: newLead() });
    // Not the backstop's 503 at the deadline's end: intake gave up on the start at the dependency
    // budget (2.7 s of 3) and answered for itself.
    expect({ status: res.statusCode, body: res.json() }).toMatchObject({ status: 202, body: { status: 'registered' } });
    expect(ms).toBeLessThan(ANSWERED_BY_MS);
    const row = await db.lead.findUniqueOrThrow({ where: { id: res.json().leadId }, select: { workflowStartedAt: true } });
    expect(row.workflowStartedAt).toBeNull();
  });

  test('/ready says Temporal is unavailable, without its address or the error text', async () => {
    const { res, ms } = await timed(app, { method: 'GET', url: '/ready', headers: { 'x-api-key': '' } });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toEqual({
      status: 'unavailable',
      checks: { temporal: { ok: false, ms: expect.any(Number) }, postgres: { ok: true, ms: expect.any(Number) } },
    });
    expect(res.headers['retry-after']).toBeDefined();
    expect(res.body).not.toContain(String(port));
    expect(ms).toBeLessThan(ANSWERED_BY_MS);
  });
});

describe('PostgreSQL is hung, then stopped', () => {
  let dir: string;
  let pg: RunningPostgres;
  let pgPort: number;
  let db: Db;
  let workerDb: Db;
  let native: NativeConnection;
  let connection: Connection;
  let temporal: Client;
  let worker: RunningWorker;
  let app: FastifyInstance;
  /** An app on a pool without timeouts, that has only ever run SQL of its own (no Prisma query). */
  let bare: FastifyInstance;
  let untimed: Db;
  let leadId: string;

  /** The cluster's processes: the postmaster (first line of postmaster.pid) and its children. */
  const clusterPids = () => {
    let main: number;
    try {
      main = Number(readFileSync(join(dir, 'pg', 'postmaster.pid'), 'utf8').split('\n')[0]);
    } catch {
      return []; // stopped
    }
    const children = readdirSync('/proc')
      .filter((p) => /^\d+$/.test(p))
      .filter((p) => {
        try {
          return (
            Number(
              readFileSync(`/proc/${p}/stat`, 'utf8')
                .replace(/^.*\) /, '')
                .split(' ')[1],
            ) === main
          );
        } catch {
          return false;
        }
      })
      .map(Number);
    return [main, ...children];
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lead-engine-outage-'));
    chmodSync(dir, 0o755); // the embedded PostgreSQL may run as its own unprivileged user
    pgPort = await freePort();
    pg = await startEmbeddedPostgres({ dataDir: join(dir, 'pg'), port: pgPort, database: 'outage', persistent: false });
    await migrate(pg.url);
    // The API's pool as api/main.ts makes it: bounded by the request deadline.
    db = createDb(pg.url, 4, databaseTimeouts(DEADLINE_MS));
    workerDb = createDb(pg.url, 4);
    await seedManager(workerDb);
    native = await NativeConnection.connect({ address: process.env.TEMPORAL_ADDRESS! });
    worker = await runWorker(native, workerDb);
    connection = await Connection.connect({ address: process.env.TEMPORAL_ADDRESS!, interceptors: [deadlineAwareRetryInterceptor()] });
    temporal = new Client({ connection, dataConverter: testDataConverter(workerDb) });
    app = await appOn(db, temporal, worker.taskQueue);
    const created = await timed(app, { method: 'POST', url: '/leads', payload: newLead() });
    expect(created.res.statusCode).toBe(201);
    leadId = created.res.json().leadId;
    await waitFor(async () => !!(await temporal.workflow.getHandle(leadWorkflowId(leadId)).query(M.getState)).managerId);
    untimed = createDb(pg.url, 2);
    bare = await appOn(untimed, temporal, worker.taskQueue);
    expect((await timed(bare, { method: 'GET', url: '/leads?limit=1' })).res.statusCode).toBe(200);
  });
  afterAll(async () => {
    for (const pid of dir ? clusterPids() : []) process.kill(pid, 'SIGCONT');
    await Promise.all([app?.close(), bare?.close()]);
    await worker?.stop();
    await Promise.all([native?.close(), connection?.close()]);
    await Promise.all([db, workerDb, untimed].map((d) => d?.$disconnect().catch(() => undefined)));
    await pg?.stop().catch(() => undefined);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('hung: intake, an Update, a read and a list answer 503 within the deadline', async () => {
    const pids = clusterPids();
    for (const pid of pids) process.kill(pid, 'SIGSTOP');
    try {
      const all = await Promise.all([
        timed(app, { method: 'POST', url: '/leads', payload: newLead() }),
        timed(app, { method: 'POST', url: `/leads/${leadId}/contact`, payload: { outcome: 'reached' } }),
        timed(app, { method: 'GET', url: `/leads/${leadId}/history` }),
        timed(app, { method: 'GET', url: '/leads?limit=5' }),
      ]);
      for (const answer of all) expectUnavailable(answer, undefined, pgPort);
      // A pool with no timeouts of its own (as tests and embedders make them) is cut off by the
      // request's own timer: still a 503 within the deadline.
      expectUnavailable(await timed(bare, { method: 'GET', url: '/leads?limit=5' }), undefined, pgPort);
      expectUnavailable(await timed(bare, { method: 'POST', url: '/leads', payload: newLead() }), undefined, pgPort);
    } finally {
      for (const pid of pids) process.kill(pid, 'SIGCONT');
    }
  });

  test('stopped: every route is a 503 naming the database; a refused change is not made; /ready hides the address', async () => {
    // The change accepted before the outage has its audit row, completed with its status.
    await waitFor(async () => (await db.auditLog.findFirst({ where: { path: '/leads', actor: 'sales:anna', status: 201 } })) !== null);
    await pg.stop();
    expectUnavailable(await timed(app, { method: 'POST', url: '/leads', payload: newLead() }), 'postgres', pgPort);
    expectUnavailable(
      await timed(app, { method: 'POST', url: `/leads/${leadId}/contact`, payload: { outcome: 'reached' } }),
      'postgres',
      pgPort,
    );
    expectUnavailable(await timed(app, { method: 'GET', url: `/leads/${leadId}/history` }), 'postgres', pgPort);
    expectUnavailable(await timed(app, { method: 'GET', url: '/leads?limit=5' }), 'postgres', pgPort);
    // Its idle connections were dropped by the shutdown: the process lives on and says so too.
    expectUnavailable(await timed(bare, { method: 'GET', url: '/leads?limit=5' }), 'postgres', pgPort);

    // Refused means not done: the lead (Temporal still answers) was never contacted.
    const state = await temporal.workflow.getHandle(leadWorkflowId(leadId)).query(M.getState);
    expect(state.stage).toBe('awaiting_first_contact');

    const ready = await timed(app, { method: 'GET', url: '/ready', headers: { 'x-api-key': '' } });
    expect(ready.res.statusCode).toBe(503);
    expect(ready.res.json()).toEqual({
      status: 'unavailable',
      checks: { temporal: { ok: true, ms: expect.any(Number) }, postgres: { ok: false, ms: expect.any(Number) } },
    });
    expect(ready.res.body).not.toContain(String(pgPort));
  });
});
