// Who may do what: API keys, roles, partner isolation, contact data only after a consented
// acceptance, and an audit row for every change.
import { randomUUID } from 'node:crypto';
import { seedManager, seedPartner, uid } from '../helpers/db';
import { apiStack, type ApiStack, type Caller } from '../helpers/api';
import { waitFor } from '../helpers/lead';

let s: ApiStack;
beforeAll(async () => {
  s = await apiStack();
  await seedManager(s.db);
});
afterAll(async () => s?.close());

const newLead = (over: Record<string, unknown> = {}) => ({
  source: { channel: 'web_form' },
  person: { name: 'Maria Sokolova' },
  phone: `+7925${Math.floor(1_000_000 + Math.random() * 8_999_999)}`,
  topic: 'crm',
  ...over,
});

test('no key or a wrong key is a 401 problem; health and docs stay public', async () => {
  const none = await s.inject({ who: 'nobody', method: 'GET', url: '/leads' });
  expect(none.statusCode).toBe(401);
  expect(none.headers['content-type']).toContain('application/problem+json');
  const wrong = await s.inject({ who: 'nobody', method: 'GET', url: '/leads', headers: { 'x-api-key': 'not-a-key-of-ours-at-all' } });
  expect(wrong.statusCode).toBe(401);
  expect((await s.inject({ who: 'nobody', method: 'GET', url: '/health' })).statusCode).toBe(200);
  expect((await s.inject({ who: 'nobody', method: 'GET', url: '/openapi.json' })).statusCode).toBe(200);
  expect((await s.inject({ who: 'nobody', method: 'GET', url: '/docs/' })).statusCode).toBe(200);
});

test('role matrix: who may take in, list, batch and reassign', async () => {
  const { leadId } = (await s.inject({ method: 'POST', url: '/leads', payload: newLead() })).json();
  const [pa] = s.partnerIds;
  const batch = (who: Caller, partnerId: string) =>
    s.inject({
      who,
      method: 'POST',
      url: '/leads/batch',
      payload: { leads: [newLead({ source: { channel: 'partner', partnerId, externalId: randomUUID() } })] },
    });
  const expectStatus = async (
    label: string,
    call: (who: Caller) => Promise<{ statusCode: number }>,
    expected: Partial<Record<Caller, number>>,
  ) => {
    for (const [who, status] of Object.entries(expected) as [Caller, number][]) {
      const res = await call(who);
      expect(`${label} as ${who}: ${res.statusCode}`).toBe(`${label} as ${who}: ${status}`);
    }
  };
  await expectStatus('GET /leads', (who) => s.inject({ who, method: 'GET', url: '/leads?limit=1' }), {
    sales: 200,
    team_lead: 200,
    ops: 200,
    admin: 200,
    partner: 200,
  });
  await expectStatus('POST /leads/batch', (who) => batch(who, pa), { sales: 403, team_lead: 403, ops: 200, admin: 200, partner: 200 });
  await expectStatus('POST /leads/batch for another partner', (who) => batch(who, `${pa}-other`), { partner: 403 });
  // Each caller reassigns to a manager of its own, who exists (an unknown one is a 422: leads.test.ts).
  const managers: Partial<Record<Caller, string>> = {};
  for (const who of ['sales', 'team_lead', 'ops', 'admin', 'partner'] as const) managers[who] = await seedManager(s.db, { id: uid(who) });
  await expectStatus(
    'reassign',
    (who) => s.inject({ who, method: 'POST', url: `/leads/${leadId}/reassign`, payload: { managerId: managers[who], reason: 'vacation' } }),
    { sales: 403, team_lead: 200, ops: 200, admin: 200, partner: 403 },
  );
  await expectStatus('a partner intake not as itself', (who) => s.inject({ who, method: 'POST', url: '/leads', payload: newLead() }), {
    partner: 403,
    sales: 201,
  });
});

test('a partner sees only leads offered to it, and the contact only after accepting a consented lead', async () => {
  const topic = uid('crm');
  const [pa, pb] = s.partnerIds;
  await seedPartner(s.db, { id: pa, expertise: [topic], grade: 5 }).catch(() =>
    s.db.partner.update({ where: { id: pa }, data: { expertise: { push: topic } } }),
  );
  await seedPartner(s.db, { id: pb, expertise: ['other'], grade: 5 }).catch(() => undefined);

  const { leadId } = (await s.inject({ method: 'POST', url: '/leads', payload: newLead({ topic }) })).json();
  await waitFor(async () => !!(await s.inject({ method: 'GET', url: `/leads/${leadId}` })).json().managerId);
  expect((await s.inject({ method: 'POST', url: `/leads/${leadId}/contact`, payload: { outcome: 'reached' } })).statusCode).toBe(200);
  expect(
    (
      await s.inject({
        method: 'POST',
        url: `/leads/${leadId}/qualify`,
        payload: { target: true, route: 'partner', reason: 'not ours', compare: 1 },
      })
    ).statusCode,
  ).toBe(200);

  // Before consent nothing is offered: the partner cannot see the lead at all.
  expect((await s.inject({ who: 'partner', method: 'GET', url: `/leads/${leadId}` })).statusCode).toBe(404);
  const consent = await s.inject({
    method: 'POST',
    url: `/leads/${leadId}/consent`,
    payload: {
      given: true,
      askedBy: 'sales:anna',
      channel: 'phone',
      wording: 'May I pass your contacts to a colleague? The consultation is free.',
    },
  });
  expect(consent.statusCode).toBe(200);
  await waitFor(async () => (await s.inject({ method: 'GET', url: `/leads/${leadId}` })).json().offers.length === 1);

  expect((await s.inject({ who: 'partner', method: 'GET', url: `/leads/${leadId}` })).statusCode).toBe(200);
  expect((await s.inject({ who: 'partner2', method: 'GET', url: `/leads/${leadId}` })).statusCode).toBe(404);
  const listB = (await s.inject({ who: 'partner2', method: 'GET', url: '/leads?limit=200' })).json();
  expect(listB.items.map((i: { id: string }) => i.id)).not.toContain(leadId);
  const listA = (await s.inject({ who: 'partner', method: 'GET', url: '/leads?limit=200' })).json();
  expect(listA.items.map((i: { id: string }) => i.id)).toContain(leadId);

  const early = await s.inject({ who: 'partner', method: 'GET', url: `/leads/${leadId}/contact` });
  expect(early.statusCode).toBe(403);
  expect(
    (await s.inject({ who: 'partner', method: 'POST', url: `/leads/${leadId}/qualify`, payload: { target: false, reason: 'x' } }))
      .statusCode,
  ).toBe(403);
  expect(
    (
      await s.inject({
        who: 'partner',
        method: 'POST',
        url: `/leads/${leadId}/partner-response`,
        payload: { partnerId: pb, accepted: true },
      })
    ).statusCode,
  ).toBe(403);
  // An offer only pending is no deal to lose (the read model names the partner of a pending offer).
  await waitFor(async () => (await s.db.lead.findUnique({ where: { id: leadId } }))?.partnerId === pa);
  const lost = await s.inject({ who: 'partner', method: 'POST', url: `/leads/${leadId}/lost`, payload: { reason: 'not for us' } });
  expect([lost.statusCode, lost.json().reason]).toEqual([
    409,
    `partner ${pa} does not own this deal (its offer is pending); only the deal's owner marks it lost`,
  ]);

  const accept = await s.inject({
    who: 'partner',
    method: 'POST',
    url: `/leads/${leadId}/partner-response`,
    payload: { partnerId: pa, accepted: true },
  });
  expect(accept.statusCode).toBe(200);
  expect(accept.json().stage).toBe('deal');
  const contact = await s.inject({ who: 'partner', method: 'GET', url: `/leads/${leadId}/contact` });
  expect(contact.statusCode).toBe(200);
  expect(contact.json()).toMatchObject({ personName: 'Maria Sokolova', phone: expect.stringMatching(/^\+7925/) });

  // Withdrawal closes the door again.
  expect(
    (await s.inject({ method: 'POST', url: `/leads/${leadId}/consent/withdraw`, payload: { reason: 'client asked' } })).statusCode,
  ).toBe(200);
  expect((await s.inject({ who: 'partner', method: 'GET', url: `/leads/${leadId}/contact` })).statusCode).toBe(403);

  // Every change is audited with its caller.
  const audit = await s.db.auditLog.findMany({ where: { leadId }, orderBy: { id: 'asc' } });
  expect(audit.map((a) => [a.actor, a.path.split('/').slice(3).join('/'), a.status])).toEqual(
    expect.arrayContaining([
      ['sales:anna', 'qualify', 200],
      ['sales:anna', 'consent', 200],
      [`partner:${pa}`, 'qualify', 403],
      [`partner:${pa}`, 'partner-response', 200],
    ]),
  );
  // …and when: written in UTC, so it reads back as this instant whatever the server's time zone.
  for (const a of audit) expect(Math.abs(a.at.getTime() - Date.now())).toBeLessThan(120_000);
});

test('security headers and rate-limit headers are on every response', async () => {
  const res = await s.inject({ method: 'GET', url: '/leads?limit=1' });
  expect(res.headers['x-content-type-options']).toBe('nosniff');
  expect(res.headers['content-security-policy']).toContain("default-src 'self'");
  expect(res.headers['strict-transport-security']).toMatch(/max-age=\d+/);
  expect(res.headers['x-frame-options']).toBe('SAMEORIGIN');
  expect(res.headers['x-ratelimit-limit']).toBeDefined();
});
