// What one intake costs the database (issue 16: intake through the API ≥ 0.85× a bare start).
// A POST /leads of a new contact is one statement — the contact's locks, the de-duplication
// checks, the lead, its inquiry and the request's audit row — then the workflow start, and nothing
// more: no audit INSERT before it, no `workflow_started_at` UPDATE after the start, no audit
// completion after the response; a known contact is decided in one transaction with its audit row. The lead's workflow marks itself started with its first read-model write; a
// refused intake is still audited, after the response.
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import type { FastifyInstance } from 'fastify';
import type { PoolClient } from 'pg';
import { createDb, poolOf, type Db } from '../../platform/db';
import { pgLeadKeyStore, type LeadKeyStore } from '../../platform/lead-keys';
import { dataConverterOf, encryptionCodec } from '../../platform/payload-codec';
import { loadPayloadKeys } from '../../platform/payload-keys';
import { buildApp } from '../../api/app';
import { leadBody } from '../helpers/api';
import { seedManager, testDb } from '../helpers/db';
import { runWorker, type RunningWorker } from '../helpers/temporal';

const sales = { key: `sales-key-${randomUUID()}`, role: 'sales' as const, subject: 'anna' };
const partner = { key: `partner-key-${randomUUID()}`, role: 'partner' as const, subject: `ptn-${randomUUID().slice(0, 8)}` };
let workerDb: Db;
let apiDb: Db;
let native: NativeConnection;
let connection: Connection;
let worker: RunningWorker;
let app: FastifyInstance;
/** Every statement the API's pool sent, in order (the worker has a pool of its own). */
const statements: string[] = [];
/** What the API's codec asked of its key store (a pool of its own), by call. */
const keyStoreCalls: string[] = [];

beforeAll(async () => {
  workerDb = testDb();
  await seedManager(workerDb);
  native = await NativeConnection.connect({ address: process.env.TEMPORAL_ADDRESS! });
  worker = await runWorker(native, workerDb);
  connection = await Connection.connect({ address: process.env.TEMPORAL_ADDRESS! });
  apiDb = createDb(process.env.DATABASE_URL!, 4);
  poolOf(apiDb).on('connect', (client: PoolClient) => {
    const query = client.query.bind(client) as (...args: unknown[]) => unknown;
    (client as unknown as { query: unknown }).query = (...args: unknown[]) => {
      const first = args[0] as string | { text?: string };
      statements.push((typeof first === 'string' ? first : (first?.text ?? '')).replace(/\s+/g, ' ').trim());
      return query(...args);
    };
  });
  app = await buildApp({
    db: apiDb,
    temporal: new Client({ connection, dataConverter: dataConverterOf(encryptionCodec(loadPayloadKeys(), countingKeyStore(apiDb))) }),
    taskQueue: worker.taskQueue,
    apiKeys: [sales, partner],
    logLevel: 'silent',
    rateLimitPerMinute: 100_000,
  });
});

afterAll(async () => {
  await app?.close();
  await worker?.stop();
  await Promise.all([native?.close(), connection?.close(), apiDb?.$disconnect(), workerDb?.$disconnect()]);
});

/** The key store of the API's codec, in PostgreSQL as in production, noting each call. */
function countingKeyStore(db: Db): LeadKeyStore {
  const store = pgLeadKeyStore(db);
  return {
    find: (leadId) => (keyStoreCalls.push('find'), store.find(leadId)),
    insertOrGet: (leadId, candidate) => (keyStoreCalls.push('insertOrGet'), store.insertOrGet(leadId, candidate)),
    erase: (leadId) => (keyStoreCalls.push('erase'), store.erase(leadId)),
  };
}

/** The statements one request made, its onResponse hooks included. */
async function statementsOf(run: () => Promise<unknown>): Promise<string[]> {
  statements.length = 0;
  keyStoreCalls.length = 0;
  await run();
  await new Promise((r) => setTimeout(r, 300)); // onResponse runs after inject has its answer
  return [...statements];
}

const post = (body: unknown, key = sales.key) =>
  app.inject({ method: 'POST', url: '/leads', payload: body as object, headers: { 'x-api-key': key } });

test('an intake is one transaction with its audit row in it, and nothing is written after the workflow start', async () => {
  let res: Awaited<ReturnType<typeof post>> | undefined;
  const sent = await statementsOf(async () => {
    res = await post(leadBody());
  });
  expect(res!.statusCode).toBe(201);
  const { leadId } = res!.json() as { leadId: string };

  // A contact never seen: one statement (locks, checks, lead, inquiry, audit row; migration
  // 20261201030000) and nothing else — no audit INSERT before it, no UPDATE after the start.
  expect(sent).toEqual([expect.stringMatching(/^SELECT .* FROM intake_register_new\(/)]);
  // The lead's payload key went with it (migration 20261207010000): the workflow start encrypted
  // from the codec's cache and asked the key store nothing.
  expect(keyStoreCalls).toEqual([]);
  const keyRows = await workerDb.$queryRaw<
    Array<{ wrapped: Uint8Array | null }>
  >`SELECT wrapped FROM lead_data_keys WHERE lead_id = ${leadId}`;
  expect(keyRows.map((r) => r.wrapped?.length)).toEqual([12 + 32 + 16]); // iv, the wrapped key, tag

  // The row says who, what, the answer, and — now that it is written with the lead — which lead.
  const audit = await workerDb.auditLog.findMany({ where: { requestId: res!.headers['x-request-id'] as string } });
  expect(audit).toEqual([
    expect.objectContaining({ actor: 'sales:anna', role: 'sales', method: 'POST', path: '/leads', status: 201, leadId }),
  ]);
  expect(Math.abs(audit[0]!.at.getTime() - Date.now())).toBeLessThan(120_000); // UTC, as every audit row

  // The workflow marks its lead started with its first read-model write, so the intake sweeper leaves it alone.
  const started = await eventually(async () => (await workerDb.lead.findUniqueOrThrow({ where: { id: leadId } })).workflowStartedAt);
  expect(started).toBeInstanceOf(Date);
});

test('an API of the release before (a rolling deploy) still registers through the 23-argument form, without a key', async () => {
  const id = randomUUID();
  const key = `key:${randomUUID()}`;
  const rows = await workerDb.$queryRawUnsafe<Array<{ created: boolean }>>(
    'SELECT created FROM intake_register_new($1::text[], $2, NULL, NULL, $3, $4, $5, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, $6, ' +
      'NULL, NULL, NULL, NULL, NULL, 201)',
    [key],
    key,
    id,
    'interest',
    'web_form',
    'RUB',
  );
  expect(rows).toEqual([{ created: true }]);
  expect(await workerDb.lead.findUnique({ where: { id }, select: { intakeKey: true } })).toEqual({ intakeKey: key });
  // Its key is made by its workflow start's first encryption, as that release expects.
  expect(await workerDb.$queryRaw`SELECT 1 FROM lead_data_keys WHERE lead_id = ${id}`).toEqual([]);
  // No workflow was started for it: removed, so no other test counts it as a lead waiting for one.
  await workerDb.$executeRaw`DELETE FROM inquiries WHERE lead_id = ${id}`;
  await workerDb.$executeRaw`DELETE FROM leads WHERE id = ${id}`;
});

test('a replayed intake (same Idempotency-Key) of a running lead starts nothing and is audited as 200 in its transaction', async () => {
  const body = leadBody();
  const headers = { 'x-api-key': sales.key, 'idempotency-key': randomUUID() };
  const first = await app.inject({ method: 'POST', url: '/leads', payload: body, headers });
  expect(first.statusCode).toBe(201);
  const { leadId } = first.json() as { leadId: string };
  await eventually(async () => (await workerDb.lead.findUniqueOrThrow({ where: { id: leadId } })).workflowStartedAt);
  let again: Awaited<ReturnType<typeof post>> | undefined;
  const sent = await statementsOf(async () => {
    again = await app.inject({ method: 'POST', url: '/leads', payload: body, headers });
  });
  expect([again!.statusCode, again!.json().replayed]).toEqual([200, true]);
  expect(sent.filter((s) => /^UPDATE/i.test(s))).toEqual([]);
  expect(await workerDb.auditLog.findMany({ where: { requestId: again!.headers['x-request-id'] as string } })).toEqual([
    expect.objectContaining({ status: 200, leadId }),
  ]);
});

test('a refused intake is audited whole after the response: invalid (400) and another partner’s source (403)', async () => {
  const invalid = await post({ source: { channel: 'web_form' } });
  expect(invalid.statusCode).toBe(400);
  const foreign = await post(leadBody({ source: { channel: 'partner', partnerId: 'someone-else', externalId: 'x-1' } }), partner.key);
  expect(foreign.statusCode).toBe(403);
  for (const [res, actor, status] of [
    [invalid, 'sales:anna', 400],
    [foreign, `partner:${partner.subject}`, 403],
  ] as const) {
    const rows = await eventually(() => workerDb.auditLog.findMany({ where: { requestId: res.headers['x-request-id'] as string } }));
    expect(rows).toEqual([expect.objectContaining({ actor, method: 'POST', path: '/leads', status, leadId: null })]);
  }
});

/** The probe's value once it is there (a non-empty array, a value), polling for up to 20 s. */
async function eventually<T>(probe: () => Promise<T>, ms = 20_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + ms;
  for (;;) {
    const got = await probe();
    if (got && (!Array.isArray(got) || got.length)) return got as NonNullable<T>;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 100));
  }
}
