// The partner registry API on the real stack: who may change and read partners, agreements that
// replace and never edit, client feedback and conflicts moving the grade, manual grades with a
// reason, notice, and the partner's sent-leads list as JSON and CSV.
import { randomUUID } from 'node:crypto';
import { reconcilePartner } from '../../activities/reconciliation';
import { sweepPeriod } from '../../domain/reconcile';
import { apiStack, type ApiStack, type Caller } from '../helpers/api';
import { seedLead, uid } from '../helpers/db';

let s: ApiStack;
beforeAll(async () => {
  s = await apiStack();
});
afterAll(async () => s?.close());

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

const newPartner = (over: Record<string, unknown> = {}) => ({
  id: uid('ptn'),
  name: 'Mobile Studio',
  expertise: [uid('mobile')],
  regions: ['msk'],
  priceNicheMinor: 500_000_00,
  capacity: 5,
  handoffEmail: ' Leads@Studio.RU ',
  handoffPhone: '8 495 123-45-67',
  ...over,
});

async function register(over: Record<string, unknown> = {}) {
  const res = await s.inject({ who: 'ops', method: 'POST', url: '/partners', payload: newPartner(over) });
  expect(res.statusCode).toBe(201);
  return res.json() as { id: string; expertise: string[]; grade: number };
}

/** Leads the partner accepted (answered an hour after the offer), ready for the client's feedback. */
async function acceptedLeads(partnerId: string, n: number): Promise<string[]> {
  const ids = [];
  const now = Date.now();
  for (let i = 0; i < n; i++) {
    const leadId = await seedLead(s.db, { topic: 'mobile' });
    await s.db.partnerOffer.create({
      data: { leadId, partnerId, status: 'accepted', offeredAt: new Date(now - 2 * HOUR), respondedAt: new Date(now - HOUR) },
    });
    ids.push(leadId);
  }
  return ids;
}

const feedback = (leadId: string, body: Record<string, unknown>, who: Caller = 'sales') =>
  s.inject({ who, method: 'POST', url: `/leads/${leadId}/feedback`, payload: body });

async function expectStatus(
  label: string,
  call: (who: Caller) => Promise<{ statusCode: number }>,
  expected: Partial<Record<Caller, number>>,
) {
  for (const [who, status] of Object.entries(expected) as [Caller, number][]) {
    const res = await call(who);
    expect(`${label} as ${who}: ${res.statusCode}`).toBe(`${label} as ${who}: ${status}`);
  }
}

test('registry: ops register and change partners, staff read them, a partner reads only itself', async () => {
  await expectStatus('POST /partners', (who) => s.inject({ who, method: 'POST', url: '/partners', payload: newPartner() }), {
    sales: 403,
    team_lead: 403,
    partner: 403,
    admin: 201,
  });

  const topic = uid('mobile');
  const p = await register({ expertise: [topic] });
  expect(p).toMatchObject({
    status: 'active',
    grade: 3,
    handoffEmail: 'leads@studio.ru',
    handoffPhone: '+74951234567',
    agreement: null,
    priceNicheMinor: 500_000_00,
  });
  const again = await s.inject({ who: 'ops', method: 'POST', url: '/partners', payload: newPartner({ id: p.id }) });
  expect([again.statusCode, again.json().reason]).toEqual([409, `partner ${p.id} is already registered`]);
  const bad = await s.inject({
    who: 'ops',
    method: 'POST',
    url: '/partners',
    payload: newPartner({ capacity: -1, expertise: [], handoffPhone: 'call me' }),
  });
  expect(bad.statusCode).toBe(400);
  expect(
    bad
      .json()
      .errors.map((e: { path: string }) => e.path)
      .sort(),
  ).toEqual(['body.capacity', 'body.expertise', 'body.handoffPhone']);

  await expectStatus('GET /partners', (who) => s.inject({ who, method: 'GET', url: `/partners?expertise=${topic}` }), {
    sales: 200,
    team_lead: 200,
    ops: 200,
    admin: 200,
    partner: 200,
  });
  expect((await s.inject({ method: 'GET', url: `/partners?expertise=${topic}` })).json().items.map((x: { id: string }) => x.id)).toEqual([
    p.id,
  ]);
  expect((await s.inject({ method: 'GET', url: `/partners?expertise=${topic}&status=leaving` })).json().items).toEqual([]);

  // The partner caller's own record.
  const [own] = s.partnerIds;
  await register({ id: own, expertise: [topic] });
  expect((await s.inject({ who: 'partner', method: 'GET', url: `/partners/${own}` })).statusCode).toBe(200);
  expect((await s.inject({ who: 'partner', method: 'GET', url: `/partners/${p.id}` })).statusCode).toBe(404);
  expect(
    (await s.inject({ who: 'partner', method: 'GET', url: `/partners?expertise=${topic}` })).json().items.map((x: { id: string }) => x.id),
  ).toEqual([own]);
  expect((await s.inject({ who: 'partner', method: 'GET', url: `/partners/${p.id}/grades` })).statusCode).toBe(404);

  await expectStatus(
    'PATCH /partners/:id',
    (who) => s.inject({ who, method: 'PATCH', url: `/partners/${p.id}`, payload: { capacity: 7 } }),
    { sales: 403, partner: 403, ops: 200 },
  );
  const patched = await s.inject({
    who: 'ops',
    method: 'PATCH',
    url: `/partners/${p.id}`,
    payload: { capacity: 8, regions: ['spb'], priceNicheMinor: null, reserveFor: ['web'], expertise: [topic, 'web'] },
  });
  expect(patched.json()).toMatchObject({
    capacity: 8,
    regions: ['spb'],
    priceNicheMinor: null,
    reserveFor: ['web'],
    expertise: [topic, 'web'],
    name: 'Mobile Studio',
  });
  expect((await s.inject({ who: 'ops', method: 'PATCH', url: `/partners/${p.id}`, payload: {} })).statusCode).toBe(400);
  expect((await s.inject({ who: 'ops', method: 'PATCH', url: `/partners/${uid('nobody')}`, payload: { capacity: 1 } })).statusCode).toBe(
    404,
  );
});

test('a new agreement replaces the one in force; the old row is kept as it was, inactive', async () => {
  const p = await register();
  const first = await s.inject({
    who: 'ops',
    method: 'POST',
    url: `/partners/${p.id}/agreements`,
    payload: { model: 'percent_of_paid', percentBps: 2000, currency: 'RUB', holdingDays: 14 },
  });
  expect(first.statusCode).toBe(201);
  expect(first.json()).toMatchObject({
    model: 'percent_of_paid',
    percentBps: 2000,
    fixedFeeMinor: null,
    holdingDays: 14,
    minPayoutMinor: 0,
    active: true,
  });
  const tiers = [
    { minGrade: 1, percentBps: 1000 },
    { minGrade: 4, percentBps: 2500 },
  ];
  const second = await s.inject({
    who: 'admin',
    method: 'POST',
    url: `/partners/${p.id}/agreements`,
    payload: { model: 'tiered_by_grade', tiers, currency: 'RUB', minPayoutMinor: 5_000_00 },
  });
  expect(second.statusCode).toBe(201);

  const list = (await s.inject({ method: 'GET', url: `/partners/${p.id}/agreements` })).json().items;
  expect(list).toHaveLength(2);
  const old = list.find((a: { id: string }) => a.id === first.json().id);
  expect(old).toEqual({ ...first.json(), active: false }); // only the flag moved
  expect(list.find((a: { id: string }) => a.id === second.json().id)).toMatchObject({
    model: 'tiered_by_grade',
    tiers,
    active: true,
    holdingDays: 30,
    minPayoutMinor: 5_000_00,
  });
  expect((await s.inject({ method: 'GET', url: `/partners/${p.id}` })).json().agreement.id).toBe(second.json().id);

  expect(
    (
      await s.inject({
        who: 'ops',
        method: 'POST',
        url: `/partners/${p.id}/agreements`,
        payload: { model: 'percent_of_paid', percentBps: 20_000, currency: 'RUB' },
      })
    ).statusCode,
  ).toBe(400);
  const badCurrency = await s.inject({
    who: 'ops',
    method: 'POST',
    url: `/partners/${p.id}/agreements`,
    payload: { model: 'fixed_per_lead', fixedFeeMinor: 5_000_00, currency: 'rub!' },
  });
  expect([badCurrency.statusCode, badCurrency.json().errors]).toEqual([
    400,
    [{ path: 'body.currency', message: 'an ISO 4217 currency code, e.g. RUB' }],
  ]);
  expect(
    (await s.inject({ who: 'ops', method: 'POST', url: `/partners/${p.id}/agreements`, payload: { model: 'barter', currency: 'RUB' } }))
      .statusCode,
  ).toBe(400);
  expect(
    (
      await s.inject({
        who: 'sales',
        method: 'POST',
        url: `/partners/${p.id}/agreements`,
        payload: { model: 'fixed_per_lead', fixedFeeMinor: 1, currency: 'RUB' },
      })
    ).statusCode,
  ).toBe(403);
  expect(await s.db.partnerAgreement.count({ where: { partnerId: p.id, active: true } })).toBe(1);
});

test('client feedback moves the grade; a conflict counts against it and its resolution restores it', async () => {
  const p = await register();
  const leads = await acceptedLeads(p.id, 4);
  const declined = await seedLead(s.db);
  await s.db.partnerOffer.create({
    data: { leadId: declined, partnerId: p.id, status: 'declined', offeredAt: new Date(), respondedAt: new Date() },
  });

  expect((await feedback(declined, { partnerId: p.id, score: 5, deadlinesKept: true })).statusCode).toBe(409);
  expect((await feedback(randomUUID(), { partnerId: p.id, score: 5, deadlinesKept: true })).statusCode).toBe(404);
  expect((await feedback(leads[0]!, { partnerId: p.id, score: 6, deadlinesKept: true })).statusCode).toBe(400);
  expect((await feedback(leads[0]!, { partnerId: p.id, score: 5, deadlinesKept: true }, 'partner')).statusCode).toBe(403);

  // Two feedbacks are too few to move a grade; the third is enough.
  const grades = [];
  for (const leadId of leads.slice(0, 3)) {
    const res = await feedback(leadId, { partnerId: p.id, score: 5, deadlinesKept: true, comment: 'on time, clear' });
    expect(res.statusCode).toBe(200);
    grades.push(res.json().partnerGrade);
  }
  expect(grades.map((g) => [g.grade, g.sampled])).toEqual([
    [3, false],
    [3, false],
    [4, true],
  ]);
  const twice = await feedback(leads[0]!, { partnerId: p.id, score: 1, deadlinesKept: false });
  expect([twice.statusCode, twice.json().reason]).toEqual([
    409,
    `the client's feedback on partner ${p.id} for lead ${leads[0]} is already recorded`,
  ]);

  const opened = await s.inject({
    method: 'POST',
    url: `/partners/${p.id}/conflicts`,
    payload: { leadId: leads[1], description: 'Missed the kick-off meeting twice' },
  });
  expect(opened.statusCode).toBe(201);
  expect(opened.json()).toMatchObject({ status: 'open', fixes: [], partnerGrade: { grade: 3 } });
  const conflictUrl = `/partners/${p.id}/conflicts/${opened.json().id}`;

  const discussed = await s.inject({
    who: 'ops',
    method: 'PATCH',
    url: conflictUrl,
    payload: { status: 'discussed', fixes: ['a named account manager', 'meeting reminders'] },
  });
  expect(discussed.json()).toMatchObject({
    status: 'discussed',
    fixes: ['a named account manager', 'meeting reminders'],
    partnerGrade: { grade: 3 },
  });
  expect(
    (await s.inject({ who: 'sales', method: 'PATCH', url: conflictUrl, payload: { status: 'resolved', resolution: 'x' } })).statusCode,
  ).toBe(403);
  expect((await s.inject({ who: 'ops', method: 'PATCH', url: conflictUrl, payload: { status: 'resolved' } })).statusCode).toBe(400);
  const resolved = await s.inject({
    who: 'ops',
    method: 'PATCH',
    url: conflictUrl,
    payload: { status: 'resolved', resolution: 'Account manager assigned; the client confirmed' },
  });
  expect(resolved.json()).toMatchObject({ status: 'resolved', resolvedAt: expect.any(String), partnerGrade: { grade: 4 } });
  expect((await s.inject({ who: 'ops', method: 'PATCH', url: conflictUrl, payload: { status: 'discussed' } })).statusCode).toBe(409);

  expect((await s.inject({ method: 'GET', url: `/partners/${p.id}` })).json().grade).toBe(4);
  expect((await s.inject({ method: 'GET', url: `/partners/${p.id}/conflicts` })).json().items).toHaveLength(1);
  const history = (await s.inject({ method: 'GET', url: `/partners/${p.id}/grades` })).json().items;
  expect(history.map((h: { grade: number; source: string }) => [h.grade, h.source])).toEqual([
    [4, 'computed'],
    [3, 'computed'],
    [3, 'computed'],
    [4, 'computed'],
    [3, 'computed'],
    [3, 'computed'],
  ]);
  expect(history[0]).toMatchObject({
    actor: 'ops:oleg',
    inputs: { feedbacks: 3, averageScore: 5, deadlinesKeptShare: 1, medianAnswerHours: 1, accepted: 4, won: 0, unresolvedConflicts: 0 },
  });
  expect(history[2].inputs.unresolvedConflicts).toBe(1);
});

test('a manual grade needs a reason, wins over the computed one until lifted, and the history keeps both', async () => {
  const p = await register();
  const leads = await acceptedLeads(p.id, 4);
  for (const leadId of leads.slice(0, 3)) await feedback(leadId, { partnerId: p.id, score: 5, deadlinesKept: true });
  expect((await s.inject({ method: 'GET', url: `/partners/${p.id}` })).json().grade).toBe(4);

  const url = `/partners/${p.id}/grade`;
  expect((await s.inject({ who: 'ops', method: 'POST', url, payload: { grade: 2 } })).statusCode).toBe(400);
  expect((await s.inject({ who: 'sales', method: 'POST', url, payload: { grade: 2, reason: 'missed a launch' } })).statusCode).toBe(403);
  expect((await s.inject({ who: 'ops', method: 'POST', url, payload: { grade: null, reason: 'nothing to lift' } })).statusCode).toBe(409);
  const set = await s.inject({
    who: 'ops',
    method: 'POST',
    url,
    payload: { grade: 2, reason: 'Missed the client’s launch date; on probation' },
  });
  expect(set.json()).toMatchObject({ grade: 2, gradeOverride: 2, gradeOverrideReason: 'Missed the client’s launch date; on probation' });

  // Feedback is still computed and recorded, but the manual grade stays in force.
  const fb = await feedback(leads[3]!, { partnerId: p.id, score: 5, deadlinesKept: true });
  expect(fb.json().partnerGrade).toEqual({ grade: 2, computed: 4, overridden: true, sampled: true });
  expect((await s.inject({ method: 'GET', url: `/partners/${p.id}` })).json().grade).toBe(2);

  const lifted = await s.inject({ who: 'ops', method: 'POST', url, payload: { grade: null, reason: 'Probation over' } });
  expect(lifted.json()).toMatchObject({ grade: 4, gradeOverride: null, gradeOverrideReason: null });

  const history = (await s.inject({ method: 'GET', url: `/partners/${p.id}/grades?limit=4` })).json().items;
  expect(history.map((h: { grade: number; source: string; reason: string | null }) => [h.grade, h.source, h.reason])).toEqual([
    [4, 'computed', null],
    [4, 'override', 'override lifted: Probation over'],
    [4, 'computed', 'computed only: the manual grade 2 stays in force'],
    [2, 'override', 'Missed the client’s launch date; on probation'],
  ]);
  expect(history[3]).toMatchObject({ actor: 'ops:oleg', inputs: { previous: 4 } });
});

test('notice: the partner is leaving at once and its exit workflow runs; a second notice returns the first', async () => {
  const p = await register();
  expect((await s.inject({ who: 'sales', method: 'POST', url: `/partners/${p.id}/notice` })).statusCode).toBe(403);
  const first = await s.inject({ who: 'ops', method: 'POST', url: `/partners/${p.id}/notice` });
  expect(first.statusCode).toBe(201);
  const n = first.json();
  expect(n).toMatchObject({ status: 'leaving', workflowId: `partner-exit-${p.id}`, replayed: false });
  expect(Date.parse(n.exitAt) - Date.parse(n.noticeAt)).toBe(40 * DAY);
  expect((await s.inject({ method: 'GET', url: `/partners/${p.id}` })).json()).toMatchObject({
    status: 'leaving',
    leavingNoticeAt: n.noticeAt,
  });

  const handle = s.temporal.workflow.getHandle(n.workflowId);
  const run = (await handle.describe()).runId;
  const second = await s.inject({ who: 'ops', method: 'POST', url: `/partners/${p.id}/notice` });
  expect([second.statusCode, second.json()]).toEqual([200, { ...n, replayed: true }]);
  expect(await handle.describe()).toMatchObject({ runId: run, status: { name: 'RUNNING' } });
  expect((await s.inject({ who: 'ops', method: 'POST', url: `/partners/${uid('nobody')}/notice` })).statusCode).toBe(404);
});

test('sent-leads: JSON and CSV uploads upsert by external id; a bad CSV is a 400 naming every bad row', async () => {
  const own = s.partnerIds[1];
  await register({ id: own });
  const url = `/partners/${own}/sent-leads`;
  const json = await s.inject({
    who: 'partner2',
    method: 'POST',
    url,
    payload: {
      leads: [
        { externalId: 'A-1', sentAt: '2026-11-17T10:00:00+03:00', phone: '8 916 123-45-67' },
        { externalId: 'A-2', sentAt: '2026-11-18', email: 'Olga@Example.com' },
      ],
    },
  });
  expect([json.statusCode, json.json()]).toEqual([200, { received: 2, created: 2, updated: 0, unchanged: 0 }]);

  const csv = (body: string, who: Caller = 'ops') =>
    s.inject({ who, method: 'POST', url, headers: { 'content-type': 'text/csv; charset=utf-8' }, payload: body });
  const good = await csv(
    'externalId,sentAt,phone,email\nA-1,2026-11-17T09:00:00Z,+7 916 123 45 67,\nA-2,2026-11-18,,olga@example.com\n"A-3, web",2026-11-19,,\n',
  );
  expect([good.statusCode, good.json()]).toEqual([200, { received: 3, created: 1, updated: 1, unchanged: 1 }]);
  const rows = await s.db.partnerSentLead.findMany({ where: { partnerId: own }, orderBy: { externalId: 'asc' } });
  expect(rows.map((r) => [r.externalId, r.sentAt.toISOString(), r.phone, r.email])).toEqual([
    ['A-1', '2026-11-17T09:00:00.000Z', '+79161234567', null],
    ['A-2', '2026-11-18T00:00:00.000Z', null, 'olga@example.com'],
    ['A-3, web', '2026-11-19T00:00:00.000Z', null, null],
  ]);

  const bad = await csv(
    'externalId,sentAt,phone,email\nB-1,2026-11-17,,\nB-2,yesterday,,\nB-3,2026-11-17\nB-1,2026-11-18,,\nB-5,2026-11-18,12,\n',
  );
  expect(bad.statusCode).toBe(400);
  expect(bad.headers['content-type']).toContain('application/problem+json');
  expect(bad.json().errors.map((e: { path: string }) => e.path)).toEqual(['row 3.sentAt', 'row 4', 'row 6.phone', 'row 5.externalId']);
  expect(bad.json().detail).toContain('row 5.externalId: duplicates row 2');
  expect(await s.db.partnerSentLead.count({ where: { partnerId: own } })).toBe(3); // nothing of a bad file is stored

  const dupes = await s.inject({
    who: 'ops',
    method: 'POST',
    url,
    payload: {
      leads: [
        { externalId: 'C', sentAt: '2026-11-17' },
        { externalId: 'C', sentAt: '2026-11-18' },
      ],
    },
  });
  expect([dupes.statusCode, dupes.json().errors]).toEqual([400, [{ path: 'body.leads.1.externalId', message: 'duplicates body.leads.0' }]]);
  const badJson = await s.inject({ who: 'ops', method: 'POST', url, payload: { leads: [{ externalId: 'D', sentAt: 'last week' }] } });
  expect(badJson.json().errors.map((e: { path: string }) => e.path)).toEqual(['body.leads.0.sentAt']);

  expect((await csv('externalId,sentAt\nX,2026-11-17\n', 'partner')).statusCode).toBe(404); // not its own list
  expect((await csv('externalId,sentAt\nX,2026-11-17\n', 'sales')).statusCode).toBe(403);

  // The weekly report and its disputes, as the partner and staff read them.
  const period = sweepPeriod(Date.parse('2026-11-21T12:00:00Z'), 7);
  const summary = await reconcilePartner(s.db, own, period);
  expect(summary).toMatchObject({ submitted: 3, matched: 0, missing: 3, extra: 0, mismatched: 0, openDisputes: 3 });
  // (The weekly sweep of a test running alongside may add this week's report: look for ours.)
  const reports = (await s.inject({ who: 'partner2', method: 'GET', url: `/partners/${own}/reconciliations` })).json().items;
  expect(reports).toContainEqual(
    expect.objectContaining({
      id: summary.reportId,
      periodFrom: period.from.toISOString(),
      submitted: 3,
      missing: expect.arrayContaining([expect.objectContaining({ externalId: 'A-3, web' })]),
    }),
  );
  const disputes = (await s.inject({ method: 'GET', url: `/partners/${own}/disputes?status=open` }))
    .json()
    .items.filter((d: { reportId: string }) => d.reportId === summary.reportId);
  expect(disputes.map((d: { externalId: string; kind: string }) => [d.externalId, d.kind]).sort()).toEqual([
    ['A-1', 'missing'],
    ['A-2', 'missing'],
    ['A-3, web', 'missing'],
  ]);
  expect((await s.inject({ who: 'partner', method: 'GET', url: `/partners/${own}/disputes` })).statusCode).toBe(404);

  // Ops close one with what was agreed; it stays closed, also when the weekly run comes again.
  const a2 = disputes.find((d: { externalId: string }) => d.externalId === 'A-2').id as string;
  const resolve = (resolution: string, who: Caller = 'ops', id = a2) =>
    s.inject({ who, method: 'POST', url: `/partners/${own}/disputes/${encodeURIComponent(id)}/resolve`, payload: { resolution } });
  expect((await resolve('came by phone', 'sales')).statusCode).toBe(403);
  const closed = await resolve('reached us by phone on 18 Nov; credited to the partner');
  expect([closed.statusCode, closed.json()]).toEqual([
    200,
    expect.objectContaining({
      id: a2,
      status: 'resolved',
      resolvedBy: 'ops:oleg',
      resolution: 'reached us by phone on 18 Nov; credited to the partner',
    }),
  ]);
  const again = await resolve('something else');
  expect(again.json()).toMatchObject({ resolution: 'reached us by phone on 18 Nov; credited to the partner' });
  expect((await resolve('x', 'ops', 'no-such-dispute')).statusCode).toBe(404);
  expect(await reconcilePartner(s.db, own, period)).toMatchObject({ missing: 3, openDisputes: 2 });
  expect(await s.db.dispute.findUniqueOrThrow({ where: { id: a2 } })).toMatchObject({ status: 'resolved', resolvedBy: 'ops:oleg' });
});
