// The API against the real backend (Temporal dev server + PostgreSQL), through inject.
import { randomUUID } from 'node:crypto';
import * as M from '../../workflows/messages';
import { leadWorkflowId } from '../../workflows/lead';
import { seedManager, uid } from '../helpers/db';
import { apiStack, type ApiStack, leadBody, randomPhone } from '../helpers/api';

let s: ApiStack;
beforeAll(async () => {
  s = await apiStack();
  await seedManager(s.db);
});
afterAll(async () => s?.close());

const lead = leadBody;

test('intake creates a lead and its workflow; the same Idempotency-Key replays the first answer', async () => {
  const key = randomUUID();
  // A number nobody else in the run has (900 variants of one number met another test's lead), typed
  // the way people write it.
  const d = randomPhone().slice(5);
  const body = lead({ phone: `8 (916) ${d.slice(0, 3)}-${d.slice(3, 5)}-${d.slice(5)}` });
  const first = await s.inject({ method: 'POST', url: '/leads', payload: body, headers: { 'idempotency-key': key } });
  expect(first.statusCode).toBe(201);
  const created = first.json();
  expect(created).toMatchObject({ status: 'created', replayed: false, workflowId: `lead-${created.leadId}` });
  expect(first.headers['x-request-id']).toBeTruthy();

  const again = await s.inject({ method: 'POST', url: '/leads', payload: body, headers: { 'idempotency-key': key } });
  expect(again.statusCode).toBe(200);
  expect(again.json()).toMatchObject({ leadId: created.leadId, replayed: true });
  expect(await s.db.lead.count({ where: { intakeKey: `key:${key}` } })).toBe(1);

  const row = await s.db.lead.findUniqueOrThrow({ where: { id: created.leadId } });
  expect(row.phone).toMatch(/^\+7916\d{7}$/); // normalised to E.164

  const state = await s.inject({ method: 'GET', url: `/leads/${created.leadId}` });
  expect(state.statusCode).toBe(200);
  expect(state.json()).toMatchObject({ leadId: created.leadId, stage: 'awaiting_first_contact' });
  const desc = await s.temporal.workflow.getHandle(leadWorkflowId(created.leadId)).describe();
  expect(desc.status.name).toBe('RUNNING');
});

test('a partner’s external id makes intake idempotent without any header', async () => {
  const body = lead({ source: { channel: 'partner', partnerId: uid('ptn'), externalId: 'crm-42' } });
  const a = (await s.inject({ method: 'POST', url: '/leads', payload: body })).json();
  const b = await s.inject({ method: 'POST', url: '/leads', payload: body });
  expect(b.statusCode).toBe(200);
  expect(b.json()).toMatchObject({ leadId: a.leadId, replayed: true });
});

test('a repeat inquiry from a known contact is attached to the existing lead and recorded there', async () => {
  const body = lead();
  const first = (await s.inject({ method: 'POST', url: '/leads', payload: body })).json();
  const repeat = await s.inject({ method: 'POST', url: '/leads', payload: { ...lead(), phone: body.phone, source: { channel: 'email' } } });
  expect(repeat.statusCode).toBe(200);
  expect(repeat.json()).toMatchObject({ leadId: first.leadId, status: 'attached', matchedOn: 'phone' });
  const history = await s.temporal.workflow.getHandle(leadWorkflowId(first.leadId)).query(M.getHistory);
  expect(history.map((t) => t.type)).toContain('repeat_inquiry');
});

test('racing identical requests create exactly one lead', async () => {
  const body = lead();
  const answers = await Promise.all(Array.from({ length: 6 }, () => s.inject({ method: 'POST', url: '/leads', payload: body })));
  const ids = new Set(answers.map((a) => a.json().leadId));
  expect(ids.size).toBe(1);
  expect(answers.filter((a) => a.statusCode === 201)).toHaveLength(1);
  expect(await s.db.lead.count({ where: { phone: body.phone } })).toBe(1);
});

test('bad input is a 400 problem+json naming each field; nothing is stored', async () => {
  const before = await s.db.lead.count();
  const res = await s.inject({ method: 'POST', url: '/leads', payload: { source: { channel: 'fax' }, phone: 'call me', email: 'nope' } });
  expect(res.statusCode).toBe(400);
  expect(res.headers['content-type']).toContain('application/problem+json');
  const problem = res.json();
  expect(problem).toMatchObject({ status: 400, type: expect.stringContaining('invalid-request') });
  const paths = problem.errors.map((e: { path: string }) => e.path);
  expect(paths).toEqual(expect.arrayContaining(['body.source.channel', 'body.phone', 'body.email']));
  expect(await s.db.lead.count()).toBe(before);
});

test('control characters (NUL) are refused at the door, never stored or sent to a workflow', async () => {
  const bad = await s.inject({ method: 'POST', url: '/leads', payload: lead({ person: { name: 'Iv\u0000an' } }) });
  expect(bad.statusCode).toBe(400);
  expect(bad.json().errors[0].path).toBe('body.person.name');
  const { leadId } = (await s.inject({ method: 'POST', url: '/leads', payload: lead() })).json();
  const action = await s.inject({ method: 'POST', url: `/leads/${leadId}/opt-out`, payload: { reason: 'stop\u0000' } });
  expect(action.statusCode).toBe(400);
  expect((await s.inject({ method: 'GET', url: '/leads?managerId=%00' })).statusCode).toBe(400);
  const batch = await s.inject({ who: 'ops', method: 'POST', url: '/leads/batch', payload: { leads: [lead(), lead()] } });
  expect(batch.json().errors.map((e: { path: string }) => e.path)).toEqual([
    'body.leads.0.source.externalId',
    'body.leads.1.source.externalId',
  ]);
});

test('an action that does not fit the stage is a 409 with the workflow’s reason; unknown leads are 404', async () => {
  const { leadId } = (await s.inject({ method: 'POST', url: '/leads', payload: lead() })).json();
  const res = await s.inject({
    method: 'POST',
    url: `/leads/${leadId}/payments`,
    payload: { paymentId: 'p1', amountMinor: 100, currency: 'RUB' },
  });
  expect(res.statusCode).toBe(409);
  expect(res.json().reason).toMatch(/recordPayment is not possible while the lead is awaiting_first_contact/);

  const ok = await s.inject({ method: 'POST', url: `/leads/${leadId}/contact`, payload: { outcome: 'reached' } });
  expect(ok.statusCode).toBe(200);
  expect(ok.json().stage).toBe('qualifying');

  const missing = await s.inject({ method: 'GET', url: `/leads/${randomUUID()}` });
  expect(missing.statusCode).toBe(404);
  expect(missing.headers['content-type']).toContain('application/problem+json');
  const badId = await s.inject({ method: 'GET', url: '/leads/not-a-uuid' });
  expect(badId.statusCode).toBe(400);

  const history = await s.inject({ method: 'GET', url: `/leads/${leadId}/history` });
  expect(history.json().items.map((e: { type: string }) => e.type)).toEqual(expect.arrayContaining(['received']));

  const noSuchLead = await s.inject({ method: 'POST', url: `/leads/${randomUUID()}/contact`, payload: { outcome: 'reached' } });
  expect([noSuchLead.statusCode, noSuchLead.json().type]).toEqual([404, expect.stringContaining('not-found')]);
});

test('reassigning to a manager who does not exist or is not active is a 422 unknown-manager naming the field; the lead keeps its owner', async () => {
  const { leadId } = (await s.inject({ method: 'POST', url: '/leads', payload: lead() })).json();
  const owner = await waitForOwner(leadId);
  const inactive = await seedManager(s.db, { active: false });
  for (const [managerId, message] of [
    [uid('ghost'), /no manager ghost-/],
    [inactive, /is not active/],
  ] as const) {
    const res = await s.inject({
      who: 'team_lead',
      method: 'POST',
      url: `/leads/${leadId}/reassign`,
      payload: { managerId, reason: 'vacation' },
    });
    expect([res.statusCode, res.headers['content-type'], res.json().type]).toEqual([
      422,
      expect.stringContaining('application/problem+json'),
      expect.stringMatching(/unknown-manager$/),
    ]);
    expect(res.json().errors).toEqual([{ path: 'body.managerId', message: expect.stringMatching(message) }]);
  }
  expect((await s.inject({ method: 'GET', url: `/leads/${leadId}` })).json().managerId).toBe(owner);
  const real = await seedManager(s.db);
  const ok = await s.inject({
    who: 'team_lead',
    method: 'POST',
    url: `/leads/${leadId}/reassign`,
    payload: { managerId: real, reason: 'vacation' },
  });
  expect([ok.statusCode, ok.json().managerId]).toEqual([200, real]);
});

async function waitForOwner(leadId: string): Promise<string> {
  for (let i = 0; i < 200; i += 1) {
    const managerId = (await s.inject({ method: 'GET', url: `/leads/${leadId}` })).json().managerId as string | undefined;
    if (managerId) return managerId;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`lead ${leadId} was never assigned`);
}

test('an action on a closed lead is a 409 that says it is closed, not a 404', async () => {
  const { leadId } = (await s.inject({ method: 'POST', url: '/leads', payload: lead() })).json();
  const out = await s.inject({ method: 'POST', url: `/leads/${leadId}/opt-out`, payload: { reason: 'asked us to stop' } });
  expect(out.statusCode).toBe(200);
  await s.temporal.workflow.getHandle(leadWorkflowId(leadId)).result();
  const after = await s.inject({ method: 'POST', url: `/leads/${leadId}/contact`, payload: { outcome: 'reached' } });
  expect(after.statusCode).toBe(409);
  expect(after.json().reason ?? after.json().detail).toMatch(/closed/);
});

test('lists filter by stage and page with a cursor', async () => {
  const source = 'event';
  for (let i = 0; i < 3; i++) await s.inject({ method: 'POST', url: '/leads', payload: lead({ source: { channel: source } }) });
  const page1 = (await s.inject({ method: 'GET', url: `/leads?source=${source}&limit=2` })).json();
  expect(page1.items).toHaveLength(2);
  expect(page1.nextCursor).toBeTruthy();
  const page2 = (await s.inject({ method: 'GET', url: `/leads?source=${source}&limit=2&cursor=${page1.nextCursor}` })).json();
  const ids = [...page1.items, ...page2.items].map((i: { id: string }) => i.id);
  expect(new Set(ids).size).toBe(ids.length);
  expect(ids.length).toBeGreaterThanOrEqual(3);
  const bad = await s.inject({ method: 'GET', url: '/leads?cursor=garbage' });
  expect(bad.statusCode).toBe(400);
});

test('a date-bounded list walks every page once, in order, in both directions, as the read model has it', async () => {
  const source = 'outbound';
  const from = new Date(Date.now() - 1000);
  for (let i = 0; i < 5; i++)
    expect((await s.inject({ method: 'POST', url: '/leads', payload: lead({ source: { channel: source } }) })).statusCode).toBe(201);
  const to = new Date(Date.now() + 1000);
  for (const dir of ['asc', 'desc'] as const) {
    const expected = await s.db.lead.findMany({
      where: { sourceChannel: source, createdAt: { gte: from, lt: to } },
      orderBy: [{ createdAt: dir }, { id: dir }],
      select: { id: true, createdAt: true },
    });
    expect(expected).toHaveLength(5);
    const seen: Array<{ id: string; createdAt: string }> = [];
    let cursor: string | null = null;
    do {
      const q = new URLSearchParams({
        source,
        createdFrom: from.toISOString(),
        createdTo: to.toISOString(),
        sort: dir === 'asc' ? 'createdAt' : '-createdAt',
        limit: '2',
      });
      if (cursor) q.set('cursor', cursor);
      const page = (await s.inject({ method: 'GET', url: `/leads?${q}` })).json();
      seen.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen.map((r) => [r.id, r.createdAt])).toEqual(expected.map((r) => [r.id, r.createdAt.toISOString()]));
  }
});

test('a well-formed body with a __proto__ key is taken without that key, and pollutes nothing', async () => {
  const payload = `{"__proto__": {"polluted": true}, ${JSON.stringify(lead()).slice(1)}`;
  const res = await s.inject({ method: 'POST', url: '/leads', headers: { 'content-type': 'application/json' }, payload });
  expect(res.statusCode).toBe(201);
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
});

test('a date or period in a year PostgreSQL cannot store (0000) is a 400 that names the field, never a 500', async () => {
  const cases: Array<[string, string, unknown, string]> = [
    ['GET', '/leads?createdFrom=0000-01-01T00:00:00Z', undefined, 'querystring.createdFrom'],
    ['GET', '/reports/funnel?from=0000-01-01&to=0000-02-01', undefined, 'querystring.from'],
    ['POST', `/partners/${randomUUID()}/sent-leads`, { leads: [{ externalId: 'x', sentAt: '0000-01-01' }] }, 'body.leads.0.sentAt'],
    ['POST', `/partners/${randomUUID()}/payouts`, { period: '0000-01' }, 'body.period'],
  ];
  for (const [method, url, payload, path] of cases) {
    const res = await s.inject({ who: 'admin', method: method as 'GET' | 'POST', url, ...(payload ? { payload } : {}) });
    expect([url, res.statusCode, res.json().errors?.map((e: { path: string }) => e.path)]).toEqual([
      url,
      400,
      expect.arrayContaining([path]),
    ]);
  }
});

test('a known path with a method it lacks is a 405 that says what is allowed; an unknown path is a 404', async () => {
  const put = await s.inject({ method: 'PUT', url: '/leads' });
  expect([put.statusCode, put.headers.allow, put.json().type]).toEqual([
    405,
    'GET, HEAD, POST',
    expect.stringMatching(/method-not-allowed$/),
  ]);
  const del = await s.inject({ method: 'DELETE', url: `/leads/${randomUUID()}/contact` });
  expect([del.statusCode, del.headers.allow]).toEqual([405, 'GET, HEAD, POST']);
  const batch = await s.inject({ method: 'OPTIONS', url: '/leads/batch' });
  expect([batch.statusCode, batch.headers.allow]).toEqual([405, 'POST']); // its own resource, not a lead id
  const trace = await s.inject({ method: 'TRACE', url: '/alarms' });
  expect([trace.statusCode, trace.headers.allow]).toEqual([405, 'GET, HEAD']);
  const nowhere = await s.inject({ method: 'GET', url: '/nowhere' });
  expect([nowhere.statusCode, nowhere.headers['content-type']]).toEqual([404, expect.stringContaining('application/problem+json')]);
});

test('health, readiness and the OpenAPI document', async () => {
  expect((await s.inject({ method: 'GET', url: '/health' })).json()).toEqual({ status: 'ok' });
  const ready = await s.inject({ method: 'GET', url: '/ready' });
  expect(ready.statusCode).toBe(200);
  expect(ready.json().checks.postgres.ok).toBe(true);
  const doc = (await s.inject({ method: 'GET', url: '/openapi.json' })).json();
  expect(doc.openapi).toBe('3.0.3');
  expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/leads', '/leads/{id}', '/leads/{id}/qualify', '/leads/{id}/payments']));
});
