// Input the API must refuse rather than quietly change: bytes that are not UTF-8 and lone UTF-16
// surrogates (both would be stored as U+FFFD under a 201); and a caller whose role may never use a
// route hears 403 before anything about its body.
import { randomUUID } from 'node:crypto';
import { seedManager } from '../helpers/db';
import { apiStack, type ApiStack, type Caller, randomPhone } from '../helpers/api';

let s: ApiStack;
beforeAll(async () => {
  s = await apiStack();
  await seedManager(s.db);
});
afterAll(async () => s?.close());

const phone = randomPhone;
const json = { 'content-type': 'application/json' };

test('a JSON body that is not valid UTF-8 is a 400 and no lead is taken', async () => {
  const externalId = randomUUID();
  const body = Buffer.concat([
    Buffer.from(`{"source":{"channel":"web_form","partnerId":"web","externalId":"${externalId}"},"person":{"name":"Iv`),
    Buffer.from([0xc3, 0x28]), // a lead byte followed by one that cannot continue it
    Buffer.from(`an"},"phone":"${phone()}","topic":"crm"}`),
  ]);
  const res = await s.inject({ method: 'POST', url: '/leads', headers: json, payload: body });
  expect([res.statusCode, res.headers['content-type'], res.json().errors]).toEqual([
    400,
    expect.stringContaining('application/problem+json'),
    [{ path: 'body', message: 'body is not valid UTF-8' }],
  ]);
  expect(await s.db.lead.count({ where: { externalId } })).toBe(0);
});

test('a lone surrogate escape in a JSON string is a 400 naming the field; a proper pair is kept as sent', async () => {
  const lone = `{"source":{"channel":"web_form"},"person":{"name":"Ivan \\ud800 Petrov"},"phone":"${phone()}","topic":"crm"}`;
  const res = await s.inject({ method: 'POST', url: '/leads', headers: json, payload: lone });
  expect([res.statusCode, res.json().errors?.map((e: { path: string }) => e.path)]).toEqual([400, ['body.person.name']]);
  const lowFirst = await s.inject({ method: 'POST', url: '/leads', headers: json, payload: lone.replace('\\ud800', '\\udc00\\ud800') });
  expect(lowFirst.statusCode).toBe(400);

  const pair = await s.inject({ method: 'POST', url: '/leads', headers: json, payload: lone.replace('\\ud800', '\\ud83d\\ude00') });
  expect(pair.statusCode).toBe(201);
  const row = await s.db.lead.findUniqueOrThrow({ where: { id: pair.json().leadId } });
  expect(row.personName).toBe('Ivan \u{1F600} Petrov');
});

test('a CSV upload that is not valid UTF-8 is a 400, not a list with U+FFFD in it', async () => {
  const url = `/partners/${s.partnerIds[0]}/sent-leads`;
  const payload = Buffer.concat([Buffer.from('externalId,sentAt\nA-'), Buffer.from([0xff]), Buffer.from(',2026-11-17\n')]);
  const res = await s.inject({ who: 'ops', method: 'POST', url, headers: { 'content-type': 'text/csv' }, payload });
  expect([res.statusCode, res.json().errors]).toEqual([400, [{ path: 'body', message: 'body is not valid UTF-8' }]]);
});

test('a caller whose role may not use a route gets 403 whatever its body: malformed, invalid or empty', async () => {
  const lead = (
    await s.inject({
      method: 'POST',
      url: '/leads',
      payload: { source: { channel: 'web_form' }, person: { name: 'Anna' }, phone: phone(), topic: 'crm' },
    })
  ).json();
  const cases: Array<[Caller, string]> = [
    ['partner', '/partners'], // ops only
    ['partner', `/partners/${s.partnerIds[0]}/conflicts`], // staff only
    ['partner', `/leads/${lead.leadId}/qualify`], // a partner never qualifies
    ['sales', `/leads/${lead.leadId}/reassign`], // team leads and ops
    ['sales', `/partners/${s.partnerIds[0]}/payouts`], // ops only
  ];
  for (const [who, url] of cases) {
    for (const payload of ['{"broken', '{"unexpected": [1, 2]}', '{}']) {
      const res = await s.inject({ who, method: 'POST', url, headers: json, payload });
      expect(`${who} POST ${url} ${payload}: ${res.statusCode} ${res.json().type}`).toBe(
        `${who} POST ${url} ${payload}: 403 https://lead-engine.dev/problems/forbidden`,
      );
    }
  }
  // The roles that may use the route still get the 400 about their body.
  const own = await s.inject({ who: 'ops', method: 'POST', url: '/partners', headers: json, payload: '{"broken' });
  expect(own.statusCode).toBe(400);
});

test('a path parameter longer than the router would take by default reaches its schema: a 400 naming it, not a bare 414', async () => {
  const res = await s.inject({ method: 'GET', url: `/leads/${'a'.repeat(300)}` });
  expect([res.statusCode, res.headers['content-type'], res.json().errors]).toEqual([
    400,
    expect.stringContaining('application/problem+json'),
    [expect.objectContaining({ path: 'params.id' })],
  ]);
});
