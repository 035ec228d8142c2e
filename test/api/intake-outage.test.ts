// Intake while Temporal is unreachable (README, "During an outage"): the lead is registered and
// answered 202 `registered` with its id, a retry with the same key gets the same lead, and the
// intake sweeper starts its workflow once Temporal is back — once, however often it sweeps. The
// `intake-sweep` Schedule that runs the sweeper exists on the dev server (the time-skipping test
// server has no Schedules).
import { randomUUID } from 'node:crypto';
import { Client, Connection, ScheduleNotFoundError, ScheduleOverlapPolicy } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import type { FastifyInstance } from 'fastify';
import type { Db } from '../../platform/db';
import { buildApp } from '../../api/app';
import { leadWorkflowId } from '../../workflows/lead';
import { ensureSchedules, scheduleSpecs } from '../../platform/schedules';
import { freePort } from '../../scripts/lib/ports';
import { intakeSweepWorkflow } from '../../workflows/intake-sweep';
import { isolatedDb, seedManager } from '../helpers/db';
import { runWorker, testDataConverter, type RunningWorker } from '../helpers/temporal';

const key = { key: `ops-key-${randomUUID()}`, role: 'ops' as const, subject: 'oleg' };
let db: Db;
let native: NativeConnection;
let up: Connection;
let client: Client;
let down: Connection;
let worker: RunningWorker;
let offline: FastifyInstance;
let online: FastifyInstance;

beforeAll(async () => {
  // The sweeper judges every registered lead: keep other files' rows out of its database.
  db = await isolatedDb();
  await seedManager(db);
  native = await NativeConnection.connect({ address: process.env.TEMPORAL_ADDRESS! });
  worker = await runWorker(native, db);
  up = await Connection.connect({ address: process.env.TEMPORAL_ADDRESS! });
  client = new Client({ connection: up, dataConverter: testDataConverter(db) });
  // Temporal "down": nothing listens on this port.
  down = await Connection.lazy({ address: `127.0.0.1:${await freePort()}` });
  const app = (temporal: Client) =>
    buildApp({ db, temporal, taskQueue: worker.taskQueue, apiKeys: [key], logLevel: 'silent', rateLimitPerMinute: 100_000 });
  offline = await app(new Client({ connection: down, dataConverter: testDataConverter(db) }));
  online = await app(client);
});

afterAll(async () => {
  for (const { scheduleId } of scheduleSpecs(worker?.taskQueue ?? '')) {
    await client?.schedule
      .getHandle(scheduleId)
      .delete()
      .catch((err: unknown) => {
        if (!(err instanceof ScheduleNotFoundError)) throw err;
      });
  }
  await offline?.close();
  await online?.close();
  await worker?.stop();
  await Promise.all([native?.close(), up?.close(), down?.close()]);
  await db?.$disconnect();
});

const post = (app: FastifyInstance, payload: unknown, headers: Record<string, string> = {}) =>
  app.inject({ method: 'POST', url: '/leads', payload: payload as object, headers: { 'x-api-key': key.key, ...headers } });
const lead = () => ({
  source: { channel: 'web_form' },
  person: { name: 'Ivan Petrov' },
  phone: `+7916${Math.floor(1_000_000 + Math.random() * 8_999_999)}`,
  email: `${randomUUID()}@example.com`,
  topic: 'crm',
});
const sweep = () =>
  client.workflow.execute(intakeSweepWorkflow, {
    workflowId: `sweep-${randomUUID()}`,
    taskQueue: worker.taskQueue,
    args: [{ olderThanMs: 0 }],
  });

test(
  'with Temporal unreachable a lead is registered (202 with its id), ' + 'and the sweeper starts its workflow once, when Temporal is back',
  async () => {
    const body = lead();
    const idem = { 'idempotency-key': randomUUID() };
    const t0 = Date.now();
    const res = await post(offline, body, idem);
    expect(Date.now() - t0).toBeLessThan(10_000); // bounded: the start gives up after its deadline
    expect(res.statusCode).toBe(202);
    const taken = res.json();
    expect(taken).toMatchObject({ status: 'registered', replayed: false, leadId: expect.any(String), workflowId: `lead-${taken.leadId}` });
    expect(await db.lead.findUniqueOrThrow({ where: { id: taken.leadId } })).toMatchObject({ stage: 'received', workflowStartedAt: null });
    // Its audit row, written with the lead, says what the caller was answered.
    const audited = await waitFor(() => db.auditLog.findMany({ where: { requestId: res.headers['x-request-id'] as string, status: 202 } }));
    expect(audited).toEqual([expect.objectContaining({ path: '/leads', leadId: taken.leadId })]);

    // A retry with the same key is the same lead, still registered.
    const retry = await post(offline, body, idem);
    expect([retry.statusCode, retry.json()]).toEqual([202, { ...taken, replayed: true }]);
    // The same contact asking again cannot reach its lead's process: nothing is stored, retry later.
    const repeat = await post(offline, { ...lead(), phone: body.phone });
    expect([repeat.statusCode, repeat.headers['retry-after'], repeat.headers['content-type']]).toEqual([
      503,
      '5',
      expect.stringContaining('application/problem+json'),
    ]);
    expect(await db.inquiry.count({ where: { leadId: taken.leadId } })).toBe(1);
    expect(await db.lead.count()).toBe(1);

    // Temporal is back: the sweep starts the workflow and marks the lead.
    expect(await sweep()).toMatchObject({ started: 1, failed: 0, raiseFailed: 0 });
    const handle = client.workflow.getHandle(leadWorkflowId(taken.leadId));
    const first = await handle.describe();
    expect(first.status.name).toBe('RUNNING');
    expect((await db.lead.findUniqueOrThrow({ where: { id: taken.leadId } })).workflowStartedAt).toBeInstanceOf(Date);

    // A second sweep has nothing to do; a lead whose mark was lost is swept into the same run. (Its
    // workflow's first read-model write marks it too: waited for, so it cannot mark it meanwhile.)
    expect(await sweep()).toMatchObject({ started: 0, failed: 0, raiseFailed: 0 });
    const received = await waitFor(() => db.leadEvent.findMany({ where: { leadId: taken.leadId, type: 'received' } }));
    expect(received).toHaveLength(1);
    await db.lead.update({ where: { id: taken.leadId }, data: { workflowStartedAt: null } });
    expect(await sweep()).toMatchObject({ started: 1, failed: 0, raiseFailed: 0 });
    const after = await handle.describe();
    expect([after.runId, after.status.name]).toEqual([first.runId, 'RUNNING']);
    expect(await db.leadEvent.count({ where: { leadId: taken.leadId, type: 'received' } })).toBe(1);

    // The same request retried once Temporal is up: the same lead, created, nothing started twice.
    const healed = await post(online, body, idem);
    expect([healed.statusCode, healed.json()]).toEqual([200, { ...taken, status: 'created', replayed: true }]);
    expect((await handle.describe()).runId).toBe(first.runId);
    expect(await db.lead.count()).toBe(1);
  },
);

test('the intake-sweep Schedule runs the sweeper every minute on the worker’s task queue', async () => {
  await ensureSchedules(client, worker.taskQueue);
  const d = await client.schedule.getHandle('intake-sweep').describe();
  expect(d.spec.intervals).toEqual([expect.objectContaining({ every: 60_000 })]);
  expect(d.action).toMatchObject({
    type: 'startWorkflow',
    workflowType: 'intakeSweepWorkflow',
    workflowId: 'intake-sweep',
    taskQueue: worker.taskQueue,
    args: [{ olderThanMs: 60_000 }],
  });
  expect(d.policies).toMatchObject({ overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: 60_000 });
  expect(d.state.paused).toBe(false);
  const next = d.info.nextActionTimes.map((t) => t.getTime());
  expect(next[1]! - next[0]!).toBe(60_000);

  // Triggered now, it sweeps through this worker: a lead registered while Temporal was down gets its workflow.
  const registered = (await post(offline, lead())).json();
  expect(registered.status).toBe('registered');
  await db.lead.update({ where: { id: registered.leadId }, data: { createdAt: new Date(Date.now() - 120_000) } });
  await client.schedule.getHandle('intake-sweep').trigger();
  const started = await waitFor(async () => (await db.lead.findUniqueOrThrow({ where: { id: registered.leadId } })).workflowStartedAt);
  expect(started).toBeInstanceOf(Date);
  expect((await client.workflow.getHandle(leadWorkflowId(registered.leadId)).describe()).status.name).toBe('RUNNING');
});

async function waitFor<T>(probe: () => Promise<T>, ms = 20_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + ms;
  for (;;) {
    const got = await probe();
    if (got && (!Array.isArray(got) || got.length)) return got as NonNullable<T>;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 200));
  }
}
