// Personal data on the real stack (Temporal dev server, PostgreSQL, worker, API): what reaches
// Temporal is encrypted, only ops and admins decode it (the Web UI's codec server), and erasure
// leaves no trace of the person in PostgreSQL and an unreadable history in Temporal, while the
// funnel and the ledger keep their figures.
import { randomUUID } from 'node:crypto';
import type { Payload } from '@temporalio/common';
import { temporal as proto } from '@temporalio/proto';
import { defaultPayloadConverter } from '@temporalio/common';
import { leadWorkflowId } from '../../workflows/lead';
import { LeadDataErased } from '../../platform/lead-keys';
import { isEncrypted, KEY_ID } from '../../platform/payload-codec';
import { apiStack, type ApiStack, randomPhone } from '../helpers/api';
import { seedManager, seedPartner } from '../helpers/db';
import { waitFor } from '../helpers/lead';
import { testCodec } from '../helpers/temporal';

let s: ApiStack;
beforeAll(async () => {
  s = await apiStack();
  await seedManager(s.db);
  await seedPartner(s.db, { id: s.partnerIds[0], expertise: ['crm'] });
});
afterAll(async () => s?.close());

/** A person nobody else in the run is: their name, phone, e-mail and the note a manager wrote. */
function person() {
  const tag = randomUUID().slice(0, 8);
  const name = `Ivan Erasov-${tag}`;
  const phone = randomPhone();
  const email = `ivan.${tag}@example.com`;
  return { name, phone, email, note: `called ${name} on ${phone}, asked about ${email}` };
}

async function leadWithNote(p: ReturnType<typeof person>, source: Record<string, unknown> = { channel: 'web_form' }): Promise<string> {
  const taken = await s.inject({
    method: 'POST',
    url: '/leads',
    payload: { source, person: { name: p.name }, phone: p.phone, email: p.email, topic: 'crm' },
  });
  expect(taken.statusCode).toBe(201);
  const leadId = taken.json().leadId as string;
  for (let i = 0; i < 100 && !(await s.db.lead.findUnique({ where: { id: leadId } }))?.managerId; i++)
    await new Promise((r) => setTimeout(r, 100));
  const contacted = await s.inject({ method: 'POST', url: `/leads/${leadId}/contact`, payload: { outcome: 'reached', note: p.note } });
  expect(contacted.statusCode).toBe(200);
  return leadId;
}

/**
 * Every payload anywhere in the history (inputs, Update arguments, activities, memo, results), but
 * search attributes: indexed values the server reads, which the codec never touches (and which
 * hold no personal data: stage, manager, partner, source).
 */
function payloadsOf(node: unknown, out: Payload[] = []): Payload[] {
  if (!node || typeof node !== 'object' || node instanceof Uint8Array) return out;
  const o = node as Record<string, unknown>;
  if (o.metadata && typeof o.metadata === 'object' && o.data instanceof Uint8Array) out.push(o as Payload);
  else {
    for (const [k, v] of Object.entries(o)) {
      if (k === 'searchAttributes' || isPatchMarker(v)) continue;
      // A local activity's marker: its `data` is the SDK's own record (activity type, attempt, times), no codec sees it; its `result` is ours.
      if (k === 'details' && o.markerName === 'core_local_activity' && v && typeof v === 'object') {
        for (const [dk, dv] of Object.entries(v)) if (dk !== 'data') payloadsOf(dv, out);
        continue;
      }
      payloadsOf(v, out);
    }
  }
  return out;
}

/** The SDK's own record of a patched() call: the patch's name, which no codec ever sees. */
const isPatchMarker = (v: unknown) => (v as { markerName?: string } | null)?.markerName === 'core_patch';

const historyOf = (leadId: string) => s.temporal.workflow.getHandle(leadWorkflowId(leadId)).fetchHistory();
const rawBytes = (h: proto.api.history.v1.IHistory) => Buffer.from(proto.api.history.v1.History.encode(h).finish()).toString('latin1');
const asJson = (p: Payload) => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
  data: Buffer.from(p.data ?? []).toString('base64'),
});

test('the history of a lead with a known note holds no plaintext of it: every payload is encrypted, and decodes to it', async () => {
  const p = person();
  const leadId = await leadWithNote(p);
  const history = await historyOf(leadId);
  const raw = rawBytes(history);
  for (const secret of [p.note, p.name, p.phone, p.email]) expect(raw).not.toContain(secret);
  const payloads = payloadsOf(history.events);
  const decoded = await testCodec(s.db).decode(payloads);
  const text = decoded.map((d) => JSON.stringify(defaultPayloadConverter.fromPayload(d))).join('\n');
  expect(text).toContain(p.note); // it is in there, encrypted: the search is not vacuous
  const lead = payloads.filter((x) => isEncrypted(x)).map((x) => Buffer.from(x.metadata![KEY_ID]!).toString());
  expect(lead.length).toBeGreaterThan(5);
  expect(new Set(lead)).toEqual(new Set([`lead:${leadId}`]));
  expect(payloads.filter((x) => !isEncrypted(x)).map((x) => Buffer.from(x.data ?? []).toString())).toEqual([]);
});

test('the codec server decodes for ops and admins, and refuses sales, team leads, partners and anonymous callers', async () => {
  const p = person();
  const leadId = await leadWithNote(p);
  const payloads = payloadsOf((await historyOf(leadId)).events)
    .filter(isEncrypted)
    .map(asJson);
  for (const who of ['ops', 'admin'] as const) {
    const res = await s.inject({ who, method: 'POST', url: '/codec/decode', headers: { 'x-namespace': 'default' }, payload: { payloads } });
    expect(res.statusCode).toBe(200);
    const texts = (res.json().payloads as Array<{ data: string }>).map((x) => Buffer.from(x.data, 'base64').toString());
    expect(texts.join('\n')).toContain(p.note);
  }
  for (const [who, status] of [
    ['sales', 403],
    ['team_lead', 403],
    ['partner', 403],
    ['nobody', 401],
  ] as const) {
    const res = await s.inject({ who, method: 'POST', url: '/codec/decode', payload: { payloads } });
    expect([who, res.statusCode, res.body]).toEqual([who, status, expect.not.stringContaining(p.phone)]);
  }
  // encode → decode is the identity (the UI encodes what it sends, e.g. a signal's input).
  const plain = { metadata: { encoding: Buffer.from('json/plain').toString('base64') }, data: Buffer.from('"hello"').toString('base64') };
  const enc = await s.inject({ who: 'ops', method: 'POST', url: '/codec/encode', payload: { payloads: [plain] } });
  expect(Buffer.from(enc.json().payloads[0].metadata.encoding, 'base64').toString()).toBe('binary/encrypted');
  const back = await s.inject({ who: 'ops', method: 'POST', url: '/codec/decode', payload: enc.json() });
  expect(back.json().payloads).toEqual([plain]);
});

test('ops sign a browser in at /codec/login: the session cookie decodes, on /codec only; others get no session', async () => {
  const p = person();
  const leadId = await leadWithNote(p);
  const payloads = payloadsOf((await historyOf(leadId)).events)
    .filter(isEncrypted)
    .map(asJson);
  const form = await s.inject({ who: 'nobody', method: 'GET', url: '/codec/login' });
  expect([form.statusCode, form.headers['content-type'], form.body]).toEqual([
    200,
    expect.stringContaining('text/html'),
    expect.stringContaining('<form method="post"'),
  ]);
  const login = (key: string) =>
    s.inject({
      who: 'nobody',
      method: 'POST',
      url: '/codec/login',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: `key=${encodeURIComponent(key)}`,
    });
  const signedIn = await login(s.as('ops')['x-api-key']);
  expect(signedIn.statusCode).toBe(200);
  const setCookie = String(signedIn.headers['set-cookie']);
  expect(setCookie).toMatch(/^lead_engine_codec=[\w-]+\.[\w-]+; Path=\/codec; HttpOnly; SameSite=Strict; Max-Age=28800$/);
  const cookie = setCookie.split(';')[0]!;

  const decoded = await s.inject({ who: 'nobody', method: 'POST', url: '/codec/decode', headers: { cookie }, payload: { payloads } });
  expect(decoded.statusCode).toBe(200);
  expect(
    decoded
      .json()
      .payloads.map((x: { data: string }) => Buffer.from(x.data, 'base64').toString())
      .join('\n'),
  ).toContain(p.note);
  // Reads of the codec are audited; the status is completed just after the response.
  const decodeAudited = () => s.db.auditLog.findFirst({ where: { path: '/codec/decode', actor: 'ops:oleg', status: 200 } });
  await waitFor(async () => (await decodeAudited()) !== null, 5_000);
  expect(await decodeAudited()).toMatchObject({ role: 'ops', method: 'POST' });
  // Only on the codec server; a tampered cookie is nobody.
  expect((await s.inject({ who: 'nobody', method: 'GET', url: '/leads', headers: { cookie } })).statusCode).toBe(401);
  const forged = cookie.replace(/\.[\w-]+$/, '.AAAA');
  expect(
    (await s.inject({ who: 'nobody', method: 'POST', url: '/codec/decode', headers: { cookie: forged }, payload: { payloads } }))
      .statusCode,
  ).toBe(401);

  for (const [who, status] of [
    ['sales', 403],
    ['partner', 403],
  ] as const) {
    const refused = await login(s.as(who)['x-api-key']);
    expect([who, refused.statusCode, refused.headers['set-cookie']]).toEqual([who, status, undefined]);
  }
  expect((await login('not-a-key-at-all-0000')).statusCode).toBe(401);
});

test('the Web UI’s origin gets CORS on the codec server (preflight without a key), other origins do not', async () => {
  const preflight = await s.inject({
    who: 'nobody',
    method: 'OPTIONS',
    url: '/codec/decode',
    headers: {
      origin: 'http://127.0.0.1:8233',
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'content-type,x-namespace',
    },
  });
  expect(preflight.statusCode).toBe(204);
  expect(preflight.headers).toMatchObject({
    'access-control-allow-origin': 'http://127.0.0.1:8233',
    'access-control-allow-credentials': 'true',
  });
  expect(String(preflight.headers['access-control-allow-headers'])).toContain('x-namespace');
  const post = await s.inject({
    who: 'ops',
    method: 'POST',
    url: '/codec/decode',
    headers: { origin: 'http://127.0.0.1:8233' },
    payload: { payloads: [] },
  });
  expect(post.headers['access-control-allow-origin']).toBe('http://127.0.0.1:8233');
  const evil = await s.inject({ who: 'nobody', method: 'OPTIONS', url: '/codec/decode', headers: { origin: 'https://evil.example' } });
  expect(evil.headers['access-control-allow-origin']).toBeUndefined();
});

test('a browser without an ops session reads the codec server’s refusal (401 with CORS), not a CORS error', async () => {
  // The refusal comes from the authentication hook, before any route: without CORS on it the
  // browser hides the 401 and the UI's console says "blocked by CORS policy", a wrong lead for ops.
  const refused = await s.inject({
    who: 'nobody',
    method: 'POST',
    url: '/codec/decode',
    headers: { origin: 'http://127.0.0.1:8233' },
    payload: { payloads: [] },
  });
  expect(refused.statusCode).toBe(401);
  expect(refused.headers).toMatchObject({
    'access-control-allow-origin': 'http://127.0.0.1:8233',
    'access-control-allow-credentials': 'true',
  });
  const forbidden = await s.inject({
    who: 'sales',
    method: 'POST',
    url: '/codec/decode',
    headers: { origin: 'http://127.0.0.1:8233' },
    payload: { payloads: [] },
  });
  expect([forbidden.statusCode, forbidden.headers['access-control-allow-origin']]).toEqual([403, 'http://127.0.0.1:8233']);
  const evil = await s.inject({
    who: 'nobody',
    method: 'POST',
    url: '/codec/decode',
    headers: { origin: 'https://evil.example' },
    payload: { payloads: [] },
  });
  expect(evil.headers['access-control-allow-origin']).toBeUndefined();
});

test('erasure (admin): no trace of the person in PostgreSQL, the history unreadable, the funnel and ledger totals unchanged', async () => {
  const p = person();
  const partnerId = s.partnerIds[0];
  const externalId = `ext-${randomUUID().slice(0, 8)}`;
  const leadId = await leadWithNote(p, { channel: 'partner', partnerId, externalId });
  // Won directly, partly paid (so it still runs): a commission for the referring partner in the ledger.
  const act = async (path: string, payload: Record<string, unknown>) => {
    const res = await s.inject({ method: 'POST', url: `/leads/${leadId}/${path}`, payload });
    expect([path, res.statusCode]).toEqual([path, 200]);
  };
  await act('qualify', { target: true, route: 'ours', reason: `fits; ${p.name} wants a CRM`, compare: 1 });
  await act('deal', { to: 'contract', valueMinor: 100_000_00, currency: 'RUB' });
  await act('payments', { paymentId: 'p1', amountMinor: 40_000_00, currency: 'RUB' });
  for (let i = 0; i < 100 && !(await s.db.ledgerEntry.count({ where: { leadId } })); i++) await new Promise((r) => setTimeout(r, 100));
  // The partner's own list of what it sent us names the person too.
  await s.db.partnerSentLead.create({ data: { partnerId, externalId, sentAt: new Date(), phone: p.phone, email: p.email } });

  const day = new Date().toISOString().slice(0, 10);
  const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
  const funnel = async () =>
    (await s.inject({ who: 'ops', method: 'GET', url: `/reports/funnel?from=${day}&to=${tomorrow}&groupBy=partner` })).json();
  const ledger = () =>
    s.db.ledgerEntry.findMany({
      where: { leadId },
      orderBy: { idempotencyKey: 'asc' },
      select: { idempotencyKey: true, amountMinor: true, kind: true, status: true },
    });
  const [funnelBefore, ledgerBefore] = [await funnel(), await ledger()];
  expect(ledgerBefore.length).toBeGreaterThan(0);
  const history = await historyOf(leadId);
  const leadPayloads = payloadsOf(history.events).filter(isEncrypted);

  expect((await s.inject({ who: 'ops', method: 'POST', url: `/leads/${leadId}/erase` })).statusCode).toBe(403);
  const erased = await s.inject({ who: 'admin', method: 'POST', url: `/leads/${leadId}/erase` });
  expect([erased.statusCode, erased.statusCode === 200 ? '' : erased.body]).toEqual([200, '']);
  expect(erased.json()).toMatchObject({ leadIds: [leadId], workflowsTerminated: 1 });
  // The audit row is written before the erasure and completed with its status after the response.
  const audited = () => s.db.auditLog.findFirst({ where: { leadId, path: `/leads/${leadId}/erase`, status: 200 } });
  await waitFor(async () => (await audited()) !== null, 5_000);
  const audit = await audited();
  expect(audit).toMatchObject({ actor: 'admin:root', method: 'POST' });

  // PostgreSQL: no table holds the name, phone, e-mail or note any more.
  const tables = await s.db.$queryRaw<
    Array<{ t: string }>
  >`SELECT table_name AS t FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`;
  const traces: string[] = [];
  for (const { t } of tables) {
    for (const secret of [p.name, p.phone, p.email, p.note]) {
      const [row] = await s.db.$queryRawUnsafe<Array<{ n: bigint }>>(
        `SELECT count(*) AS n FROM "${t}" x WHERE x::text LIKE $1`,
        `%${secret}%`,
      );
      if (row!.n > 0n) traces.push(`${t}: ${secret}`);
    }
  }
  expect(traces).toEqual([]);
  expect(await s.db.lead.findUnique({ where: { id: leadId } })).toMatchObject({
    personName: null,
    phone: null,
    email: null,
    stage: 'deal',
    erasureReason: 'request',
  });

  // Temporal: the run was stopped; its payloads cannot be decoded, by this process or a fresh one.
  // (Raw: the SDK's describe() decodes the memo, which nothing can any more.)
  const described = await s.temporal.workflowService.describeWorkflowExecution({
    namespace: 'default',
    execution: { workflowId: leadWorkflowId(leadId) },
  });
  expect(described.workflowExecutionInfo?.status).toBe(proto.api.enums.v1.WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_TERMINATED);
  await expect(s.temporal.workflow.getHandle(leadWorkflowId(leadId)).describe()).rejects.toBeInstanceOf(LeadDataErased);
  for (const codec of [testCodec(s.db)]) {
    for (const x of leadPayloads) await expect(codec.decode([x])).rejects.toBeInstanceOf(LeadDataErased);
  }
  const viaServer = await s.inject({ who: 'ops', method: 'POST', url: '/codec/decode', payload: { payloads: leadPayloads.map(asJson) } });
  expect(viaServer.json().payloads).toEqual(leadPayloads.map(asJson)); // handed back still encrypted
  expect(await s.db.leadDataKey.findUnique({ where: { leadId } })).toMatchObject({ wrapped: null, erasedAt: expect.any(Date) });

  // The API says so instead of failing on a history it cannot read.
  const gone = await s.inject({ method: 'GET', url: `/leads/${leadId}` });
  expect([gone.statusCode, gone.json().type]).toEqual([410, expect.stringMatching(/lead-erased$/)]);

  // What reports and money need is kept.
  expect(await funnel()).toEqual(funnelBefore);
  expect(await ledger()).toEqual(ledgerBefore);
  // Repeating the erasure changes nothing.
  expect((await s.inject({ who: 'admin', method: 'POST', url: `/leads/${leadId}/erase` })).json()).toMatchObject({
    leadIds: [leadId],
    workflowsTerminated: 0,
  });
});
