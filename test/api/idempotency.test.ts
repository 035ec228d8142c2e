// Idempotency-Key on the POSTs that are not idempotent by themselves: the first answer is
// replayed to a repeat and nothing runs twice; a key reused for another request is a 422.
import { apiStack, type ApiStack } from '../helpers/api';
import { uid } from '../helpers/db';

let s: ApiStack;
let partnerId: string;
beforeAll(async () => {
  s = await apiStack();
  partnerId = uid('ptn');
  const res = await s.inject({
    who: 'ops',
    method: 'POST',
    url: '/partners',
    payload: { id: partnerId, name: 'Studio', expertise: [uid('web')] },
  });
  expect(res.statusCode).toBe(201);
});
afterAll(async () => s?.close());

const complain = (description: string, key?: string, who: 'sales' | 'ops' = 'sales') =>
  s.inject({
    who,
    method: 'POST',
    url: `/partners/${partnerId}/conflicts`,
    payload: { description },
    headers: key ? { 'idempotency-key': key } : {},
  });
const conflicts = () => s.db.partnerConflict.count({ where: { partnerId } });

test('a repeated request with the same key gets the first answer and records nothing new', async () => {
  const before = await conflicts();
  const key = uid('key');
  const first = await complain('the partner never called back', key);
  expect(first.statusCode).toBe(201);
  expect(first.headers['idempotent-replayed']).toBeUndefined();
  const again = await complain('the partner never called back', key);
  expect(again.statusCode).toBe(201);
  expect(again.headers['idempotent-replayed']).toBe('true');
  expect(again.json()).toEqual(first.json());
  expect(await conflicts()).toBe(before + 1);
});

test('without a key every request counts; the same key from another caller is that caller’s own', async () => {
  const before = await conflicts();
  await complain('rude on the phone');
  await complain('rude on the phone');
  const key = uid('key');
  const bySales = await complain('missed the meeting', key, 'sales');
  const byOps = await complain('missed the meeting', key, 'ops');
  expect(byOps.headers['idempotent-replayed']).toBeUndefined();
  expect(byOps.json().id).not.toBe(bySales.json().id);
  expect(await conflicts()).toBe(before + 4);
});

test('a key reused for a different request is a 422 problem, and nothing is recorded', async () => {
  const key = uid('key');
  expect((await complain('late proposal', key)).statusCode).toBe(201);
  const before = await conflicts();
  const other = await complain('a different complaint', key);
  expect(other.statusCode).toBe(422);
  expect(other.headers['content-type']).toContain('application/problem+json');
  expect(other.json()).toMatchObject({
    type: expect.stringMatching(/idempotency-key-reused$/),
    detail: expect.stringContaining('first used here with another body'),
  });
  const elsewhere = await s.inject({
    method: 'POST',
    url: `/leads/${'0'.repeat(8)}-0000-4000-8000-${'0'.repeat(12)}/feedback`,
    payload: { partnerId, score: 5, deadlinesKept: true },
    headers: { 'idempotency-key': key },
  });
  expect([elsewhere.statusCode, elsewhere.json().detail]).toEqual([
    422,
    expect.stringContaining(`first used for POST /partners/${partnerId}/conflicts`),
  ]);
  expect(await conflicts()).toBe(before);
});

test('a retried registration replays its 201 instead of answering "already registered"', async () => {
  const id = uid('ptn');
  const key = uid('key');
  const body = { id, name: 'Retry Studio', expertise: [uid('crm')] };
  const first = await s.inject({ who: 'ops', method: 'POST', url: '/partners', payload: body, headers: { 'idempotency-key': key } });
  const retry = await s.inject({ who: 'ops', method: 'POST', url: '/partners', payload: body, headers: { 'idempotency-key': key } });
  expect([first.statusCode, retry.statusCode, retry.headers['idempotent-replayed']]).toEqual([201, 201, 'true']);
  const plain = await s.inject({ who: 'ops', method: 'POST', url: '/partners', payload: body });
  expect(plain.statusCode).toBe(409);
});

test('a refused caller reserves no key', async () => {
  const key = uid('key');
  const refused = await s.inject({
    who: 'partner',
    method: 'POST',
    url: `/partners/${partnerId}/conflicts`,
    payload: { description: 'x' },
    headers: { 'idempotency-key': key },
  });
  expect(refused.statusCode).toBe(403);
  expect(await s.db.idempotentRequest.count({ where: { key } })).toBe(0);
});

test('while the first request runs a repeat is told to wait (409); a first request that died long ago is taken over', async () => {
  const key = uid('key');
  const path = `/partners/${partnerId}/conflicts`;
  // The caller's actor and the hash the API computes for this exact request, learnt from a
  // throw-away key; then a first request with the real key that is still running.
  const probe = uid('probe');
  await complain('still open?', probe);
  const { actor, requestHash } = await s.db.idempotentRequest.findFirstOrThrow({ where: { key: probe } });
  await s.db.idempotentRequest.create({ data: { actor, key, method: 'POST', path, requestHash } });
  const busy = await complain('still open?', key);
  expect([busy.statusCode, busy.json().type]).toEqual([409, expect.stringMatching(/idempotency-key-in-flight$/)]);

  await s.db.idempotentRequest.update({ where: { actor_key: { actor, key } }, data: { createdAt: new Date(Date.now() - 5 * 60_000) } });
  const before = await conflicts();
  const takeover = await complain('still open?', key);
  expect(takeover.statusCode).toBe(201);
  expect(await conflicts()).toBe(before + 1);
  expect((await s.db.idempotentRequest.findUniqueOrThrow({ where: { actor_key: { actor, key } } })).status).toBe(201);
});

test('the OpenAPI document offers the header and the 422 on every POST and PATCH', async () => {
  const doc = (await s.inject({ method: 'GET', url: '/openapi.json' })).json() as {
    paths: Record<string, Record<string, { parameters?: Array<{ in: string; name: string }>; responses: Record<string, unknown> }>>;
  };
  const writes = Object.entries(doc.paths).flatMap(([path, ops]) =>
    Object.entries(ops)
      .filter(([m]) => m === 'post' || m === 'patch')
      .map(([m, op]) => ({ route: `${m} ${path}`, op })),
  );
  expect(writes.length).toBeGreaterThan(15);
  for (const { route, op } of writes) {
    expect({ route, header: op.parameters?.some((p) => p.in === 'header' && p.name === 'idempotency-key') }).toEqual({
      route,
      header: true,
    });
  }
  const generic = writes.filter(({ route }) => !/^post \/leads(\/\{id\}\/(?!refunds|feedback)[\w/-]+)?$/.test(route));
  for (const { route, op } of generic) expect({ route, has422: '422' in op.responses }).toEqual({ route, has422: true });
});
