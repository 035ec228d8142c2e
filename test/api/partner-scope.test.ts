// "Not your partner" is one answer everywhere: a partner asking for what is another partner's gets
// the 404 it gets for a partner that does not exist — the same problem, the same title — on every
// route under /partners/:id, money and stop-contact orders included. Its own are answered.
import { randomUUID } from 'node:crypto';
import { apiStack, type ApiStack } from '../helpers/api';
import { seedPartner, uid } from '../helpers/db';

let s: ApiStack;
beforeAll(async () => {
  s = await apiStack();
  for (const id of s.partnerIds) await seedPartner(s.db, { id, expertise: [uid('crm')] });
});
afterAll(async () => s?.close());

/** A lead nobody has: the stop-contact route is refused on the partner before the lead is looked at. */
const someLead = randomUUID();

/** Every route a partner may call with a partner id in its path. */
const routes = (partnerId: string) =>
  [
    { method: 'GET', url: `/partners/${partnerId}` },
    { method: 'GET', url: `/partners/${partnerId}/agreements` },
    { method: 'GET', url: `/partners/${partnerId}/grades` },
    { method: 'GET', url: `/partners/${partnerId}/conflicts` },
    {
      method: 'POST',
      url: `/partners/${partnerId}/sent-leads`,
      payload: { leads: [{ externalId: 'X-1', sentAt: '2026-11-02T10:00:00Z' }] },
    },
    { method: 'GET', url: `/partners/${partnerId}/reconciliations` },
    { method: 'GET', url: `/partners/${partnerId}/disputes` },
    { method: 'GET', url: `/partners/${partnerId}/statement` },
    { method: 'GET', url: `/partners/${partnerId}/payouts` },
    { method: 'POST', url: `/partners/${partnerId}/stop-contact/${someLead}/confirm`, payload: {} },
  ] as const;

test("another partner's things are a 404, the same as a partner that does not exist", async () => {
  const [a] = s.partnerIds;
  const ghost = uid('ptn-none');
  const answers = [];
  for (const [theirs, none] of routes(a).map((r, i) => [r, routes(ghost)[i]!] as const)) {
    const other = await s.inject({ who: 'partner2', ...theirs });
    const missing = await s.inject({ who: 'partner2', ...none });
    answers.push(`${theirs.method} ${theirs.url.replace(a, ':id')}: ${other.statusCode} ${other.json().type} | ${missing.statusCode}`);
    // The same problem as for nobody at all, naming only the id the caller sent.
    expect(other.json()).toMatchObject({ status: 404, type: missing.json().type, title: `partner ${a} not found` });
    expect(missing.json()).toMatchObject({ status: 404, title: `partner ${ghost} not found` });
  }
  expect(answers).toEqual(
    routes(a).map((r) => `${r.method} ${r.url.replace(a, ':id')}: 404 https://lead-engine.dev/problems/not-found | 404`),
  );
});

test('a partner reads its own', async () => {
  const [a] = s.partnerIds;
  for (const r of routes(a).filter((x) => x.method === 'GET')) {
    const res = await s.inject({ who: 'partner', ...r });
    expect(`${r.url}: ${res.statusCode}`).toBe(`${r.url}: 200`);
  }
});
