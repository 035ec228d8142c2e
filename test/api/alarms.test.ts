// Alarms on the real PostgreSQL. The evaluation compares all rows of a kind (every lead, every
// manager, every partner), so its populations live in a database of their own and the activity
// is called directly with it: each alarm trips on a population built for it, opens once however
// often it is evaluated, opens again after ops resolved it, and reaches a webhook at least once.
// The API part (list, acknowledge, resolve, roles) runs on the shared stack.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { alarmActivities, type AlarmNotice, type Notifier, webhookNotifier } from '../../activities/alarms';
import type { Db } from '../../platform/db';
import type { ClosedReason } from '../../domain/vocabulary';
import { apiStack, type ApiStack, type Caller } from '../helpers/api';
import { isolatedDb, uid } from '../helpers/db';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** Evaluation instants, more than a window apart so their populations never meet; no low season. */
const OCT = new Date('2026-10-14T09:00:00Z');
const FEB = new Date('2027-02-10T09:00:00Z');
const APR = new Date('2027-04-14T09:00:00Z');
const ago = (now: Date, ms: number) => new Date(now.getTime() - ms);

let iso: Db;
let s: ApiStack;
beforeAll(async () => {
  [iso, s] = await Promise.all([isolatedDb(), apiStack()]);
});
afterAll(async () => {
  await iso?.$disconnect();
  await s?.close();
});

/** A notifier that remembers what it was told. */
function recorder(): Notifier & { notices: AlarmNotice[] } {
  const notices: AlarmNotice[] = [];
  return {
    notices,
    notify: async (a) => {
      notices.push(a);
    },
  };
}

// --- populations --------------------------------------------------------------------------------

async function lead(
  db: Db,
  l: {
    managerId?: string | null;
    stage?: string;
    stale?: boolean;
    createdAt?: Date;
    stageChangedAt?: Date;
    partnerId?: string;
    closedReason?: ClosedReason;
  } = {},
) {
  const id = randomUUID();
  await db.lead.create({
    data: {
      id,
      intakeKey: `test:${id}`,
      sourceChannel: l.partnerId ? 'partner' : 'web_form',
      sourcePartnerId: l.partnerId ?? null,
      stage: l.stage ?? 'qualifying',
      managerId: l.managerId ?? null,
      stale: l.stale ?? false,
      createdAt: l.createdAt ?? new Date(),
      stageChangedAt: l.stageChangedAt ?? l.createdAt ?? new Date(),
      closedReason: l.closedReason ?? null,
    },
  });
  return id;
}

async function events(db: Db, leadId: string, evs: Array<{ type: string; at: Date; stage: string; reason?: string }>) {
  await db.leadEvent.createMany({
    data: evs.map((e, i) => ({ leadId, seq: i + 1, type: e.type, stage: e.stage, actor: 'test', reason: e.reason ?? null, at: e.at })),
  });
}

/**
 * `n` leads of `managerId` reached in the 30 days before `now`, `target` of them qualified as target, the rest closed non-target;
 * `erased`: their events' reasons are gone, as after an erasure of the person's data (platform/erasure.ts).
 */
async function reached(db: Db, now: Date, managerId: string, n: number, target: number, erased = false) {
  for (let i = 0; i < n; i++) {
    const at = ago(now, (1 + (i % 25)) * DAY);
    const isTarget = i < target;
    const id = await lead(db, {
      managerId,
      stage: isTarget ? 'deal' : 'closed',
      createdAt: ago(now, 28 * DAY),
      closedReason: isTarget ? undefined : 'non_target',
    });
    const reason = (r: string) => (erased ? undefined : r);
    await events(db, id, [
      { type: 'received', at: ago(now, 28 * DAY), stage: 'awaiting_first_contact' },
      { type: 'contacted', at, stage: 'qualifying' },
      isTarget
        ? { type: 'qualified', at: new Date(at.getTime() + HOUR), stage: 'deal', reason: reason('budget and need confirmed') }
        : { type: 'closed', at: new Date(at.getTime() + HOUR), stage: 'closed', reason: reason('non_target: no budget') },
    ]);
  }
}

/** A partner's report of `sent` leads in the window, and `received` inquiries from it. */
async function partnerReport(db: Db, now: Date, partnerId: string, sent: number, received: number) {
  await db.partnerSentLead.createMany({
    data: Array.from({ length: sent }, (_, i) => ({
      partnerId,
      externalId: `E-${i}`,
      sentAt: ago(now, (2 + (i % 20)) * DAY),
      uploadedAt: ago(now, HOUR),
    })),
  });
  for (let i = 0; i < received; i++) {
    const at = ago(now, (2 + (i % 20)) * DAY + MINUTE);
    const id = await lead(db, { partnerId, stage: 'awaiting_first_contact', createdAt: at, managerId: 'someone' });
    await db.inquiry.create({
      data: { intakeKey: `partner:${partnerId}:E-${i}`, leadId: id, sourceChannel: 'partner', partnerId, receivedAt: at },
    });
  }
}

const alarmsOf = (kind: string) => iso.alarm.findMany({ where: { kind }, orderBy: { openedAt: 'asc' } });

/** What ops do through the API, straight on the isolated database. */
async function ackAndResolve(id: string) {
  await iso.alarm.update({ where: { id }, data: { state: 'acknowledged', acknowledgedAt: new Date(), acknowledgedBy: 'ops:test' } });
  await iso.alarm.update({ where: { id }, data: { state: 'resolved', resolvedAt: new Date(), resolvedBy: 'ops:test' } });
}

// --- evaluation ---------------------------------------------------------------------------------

test('not distributed: opens once while open, notifies once, and opens again after ops resolved it', async () => {
  const notifier = recorder();
  const acts = alarmActivities(iso, notifier);
  const waiting = await lead(iso, { stage: 'awaiting_first_contact', createdAt: ago(OCT, 2 * HOUR) }); // nobody took it
  const fresh = await lead(iso, { stage: 'awaiting_first_contact', createdAt: ago(OCT, 10 * MINUTE) }); // too fresh to count
  await lead(iso, { stage: 'qualifying', managerId: 'anna', createdAt: ago(OCT, 5 * HOUR) }); // distributed
  const bounced = await lead(iso, { stage: 'awaiting_first_contact', managerId: 'anna', createdAt: ago(OCT, 3 * HOUR) });
  await events(iso, bounced, [
    { type: 'not_distributed', at: ago(OCT, 20 * MINUTE), stage: 'awaiting_first_contact', reason: 'no active manager available' },
  ]);

  const first = await acts.evaluateAlarms('not_distributed', OCT.toISOString());
  expect(first).toMatchObject({ kind: 'not_distributed', at: OCT.toISOString(), season: null, firing: ['all'], notified: 1 });
  expect(first.opened).toHaveLength(1);
  const [alarm] = await alarmsOf('not_distributed');
  expect(alarm).toMatchObject({
    id: first.opened[0]!.id,
    subject: 'all',
    state: 'open',
    openedAt: OCT,
    evidence: { leads: 2, unassigned: 1, notDistributedEvents: 1, leadIds: [waiting, bounced].sort() },
    threshold: { minLeads: 1, olderThanMinutes: 60, windowMinutes: 60 },
  });
  expect(alarm!.notifiedAt).not.toBeNull();
  expect(notifier.notices).toEqual([
    expect.objectContaining({ id: alarm!.id, kind: 'not_distributed', subject: 'all', state: 'open', openedAt: OCT.toISOString() }),
  ]);

  // The next hour, and a retry of the same activity: still firing, still one alarm, told once.
  const later = new Date(OCT.getTime() + HOUR);
  expect(await acts.evaluateAlarms('not_distributed', later.toISOString())).toMatchObject({ firing: ['all'], opened: [], notified: 0 });
  expect(await acts.evaluateAlarms('not_distributed', later.toISOString())).toMatchObject({ opened: [], notified: 0 });
  expect(await alarmsOf('not_distributed')).toHaveLength(1);
  expect(notifier.notices).toHaveLength(1);

  // Acknowledged is still open for this purpose: no second alarm.
  await iso.alarm.update({
    where: { id: alarm!.id },
    data: { state: 'acknowledged', acknowledgedAt: new Date(), acknowledgedBy: 'ops:test' },
  });
  expect(await acts.evaluateAlarms('not_distributed', later.toISOString())).toMatchObject({ opened: [] });

  // Resolved by ops while the lead still waits: the next evaluation opens a new alarm and tells again.
  await iso.alarm.update({ where: { id: alarm!.id }, data: { state: 'resolved', resolvedAt: new Date(), resolvedBy: 'ops:test' } });
  const again = await acts.evaluateAlarms('not_distributed', later.toISOString());
  expect(again.opened).toHaveLength(1);
  expect(again.opened[0]!.id).not.toBe(alarm!.id);
  expect((await alarmsOf('not_distributed')).map((a) => a.state)).toEqual(['resolved', 'open']);
  expect(notifier.notices.map((n) => n.id)).toEqual([alarm!.id, again.opened[0]!.id]);

  // Once the lead is distributed and the events are old, nothing fires (and nothing is auto-resolved).
  await iso.lead.updateMany({ where: { id: { in: [waiting, fresh] } }, data: { managerId: 'boris' } });
  expect(await acts.evaluateAlarms('not_distributed', new Date(OCT.getTime() + 3 * HOUR).toISOString())).toMatchObject({
    firing: [],
    opened: [],
  });
  expect((await alarmsOf('not_distributed')).map((a) => a.state)).toEqual(['resolved', 'open']);
  await ackAndResolve(again.opened[0]!.id);
});

test('leads rotting: one alarm per manager whose open leads sat past 2 business days or were flagged stale', async () => {
  const acts = alarmActivities(iso, recorder());
  const [anna, boris, vera] = [uid('anna'), uid('boris'), uid('vera')];
  const old = await lead(iso, { managerId: anna, stage: 'qualifying', stageChangedAt: ago(OCT, 5 * DAY) });
  const flagged = await lead(iso, { managerId: anna, stage: 'awaiting_first_contact', stale: true, stageChangedAt: ago(OCT, HOUR) });
  await lead(iso, { managerId: anna, stage: 'deal', stageChangedAt: ago(OCT, 20 * DAY) }); // deals are not "untouched leads"
  await lead(iso, { managerId: boris, stage: 'qualifying', stageChangedAt: ago(OCT, DAY) }); // within 2 business days
  const consent = await lead(iso, { managerId: vera, stage: 'awaiting_consent', stageChangedAt: ago(OCT, 4 * DAY) });

  const res = await acts.evaluateAlarms('leads_rotting', OCT.toISOString());
  expect(res.firing).toEqual(expect.arrayContaining([anna, vera]));
  expect(res.firing).not.toContain(boris);
  const rows = await iso.alarm.findMany({
    where: { kind: 'leads_rotting', subject: { in: [anna, boris, vera] } },
    orderBy: { subject: 'asc' },
  });
  expect(rows.map((r) => [r.subject, r.evidence])).toEqual([
    [anna, expect.objectContaining({ leads: 2, flaggedStale: 1, leadIds: [old, flagged] })],
    [vera, expect.objectContaining({ leads: 1, flaggedStale: 0, leadIds: [consent] })],
  ]);
  expect(rows[0]!.threshold).toEqual({
    businessDays: 2,
    baseBusinessDays: 2,
    season: null,
    seasonFactor: 1,
    minLeads: 1,
    orStaleFlag: true,
  });
  expect((await acts.evaluateAlarms('leads_rotting', OCT.toISOString())).opened).toEqual([]);
  expect(await iso.alarm.count({ where: { kind: 'leads_rotting', subject: { in: [anna, vera] } } })).toBe(2);
});

test('low target share: 40% of the reached leads are target; a declared season (policy) moves the floor below it', async () => {
  const acts = alarmActivities(iso, recorder());
  await reached(iso, OCT, uid('anna'), 15, 6);
  await reached(iso, OCT, uid('boris'), 15, 6);
  const still = await lead(iso, { managerId: 'gleb', stage: 'qualifying' }); // reached, no verdict yet: not counted
  await events(iso, still, [{ type: 'contacted', at: ago(OCT, DAY), stage: 'qualifying' }]);

  // The same population judged in a declared low season whose factor halves the floor (0.6 → 0.3).
  const autumnLull = { seasonality: { lowSeasons: [{ name: 'autumn_lull', from: '10-01', to: '10-31' }], targetShareFloorFactor: 0.5 } };
  expect(await acts.evaluateAlarms('low_target_share', OCT.toISOString(), autumnLull)).toMatchObject({
    season: 'autumn_lull',
    firing: [],
    opened: [],
  });

  const res = await acts.evaluateAlarms('low_target_share', OCT.toISOString());
  expect(res).toMatchObject({ season: null, firing: ['all'] });
  const [alarm] = await alarmsOf('low_target_share');
  expect(alarm).toMatchObject({
    evidence: { share: 0.4, target: 12, reached: 31, counted: 30, nonTarget: 18, undecided: 1, otherOutcome: 0 },
    threshold: { floor: 0.6, baseFloor: 0.6, season: null, minReached: 30, windowDays: 30 },
  });
  // Two managers at the same rate (and below the minimum sample): no conversion anomaly here.
  expect(await acts.evaluateAlarms('manager_conversion_anomaly', OCT.toISOString())).toMatchObject({ firing: [] });
});

test('low target share: a non-target lead is told by its closed reason (a column), so an erased lead keeps its verdict', async () => {
  const acts = alarmActivities(iso, recorder());
  for (const open of await alarmsOf('low_target_share')) if (open.state !== 'resolved') await ackAndResolve(open.id); // a fresh alarm below
  // Every reason in these leads' histories was erased; the read model still says why each closed.
  await reached(iso, APR, uid('anna'), 15, 6, true);
  await reached(iso, APR, uid('boris'), 15, 6, true);

  expect(await acts.evaluateAlarms('low_target_share', APR.toISOString())).toMatchObject({ firing: ['all'] });
  const [alarm] = await iso.alarm.findMany({ where: { kind: 'low_target_share', openedAt: APR } });
  expect(alarm).toMatchObject({
    evidence: { share: 0.4, target: 12, reached: 30, counted: 30, nonTarget: 18, undecided: 0, otherOutcome: 0 },
  });
});

test('manager conversion anomaly: one manager far above the rest of the team (z-test), judged a window later', async () => {
  const acts = alarmActivities(iso, recorder());
  const team = [uid('anna'), uid('boris'), uid('vera'), uid('gleb')];
  for (const m of team) await reached(iso, FEB, m, 40, 24); // 60% each
  const dima = uid('dima');
  await reached(iso, FEB, dima, 40, 38); // 95%
  const small = uid('new');
  await reached(iso, FEB, small, 10, 10); // 100%, but too few leads to judge

  const res = await acts.evaluateAlarms('manager_conversion_anomaly', FEB.toISOString());
  expect(res.firing).toEqual([dima]);
  const [alarm] = await iso.alarm.findMany({ where: { kind: 'manager_conversion_anomaly' } });
  expect(alarm).toMatchObject({
    subject: dima,
    evidence: { direction: 'high', manager: { reached: 40, target: 38, conversion: 0.95 }, restOfTeam: { reached: 170, target: 106 } },
    threshold: { metric: 'target/reached', zAbs: 3, minSample: 20 },
  });
  expect((alarm!.evidence as { z: number }).z).toBeGreaterThanOrEqual(3);
  // The team's share (68%) is fine in this window.
  expect(await acts.evaluateAlarms('low_target_share', FEB.toISOString())).toMatchObject({ firing: [] });
  expect((await acts.evaluateAlarms('manager_conversion_anomaly', FEB.toISOString())).opened).toEqual([]);
});

test('partner report drift: sent vs received above 10%, through a webhook that fails first and is told once it is back', async () => {
  const [lossy, fine, small] = [uid('ptn-lossy'), uid('ptn-fine'), uid('ptn-small')];
  await partnerReport(iso, OCT, lossy, 20, 15); // 25% never reached us
  await partnerReport(iso, OCT, fine, 20, 19); // 5%
  await partnerReport(iso, OCT, small, 8, 0); // too few to judge

  const hook = await webhookServer();
  try {
    const acts = alarmActivities(iso, webhookNotifier(hook.url));
    hook.status = 503;
    await expect(acts.evaluateAlarms('partner_report_drift', OCT.toISOString())).rejects.toThrow(/could not notify 1 alarm.*503/);
    const [alarm] = await alarmsOf('partner_report_drift');
    expect(alarm).toMatchObject({
      subject: lossy,
      state: 'open',
      notifiedAt: null,
      evidence: { sent: 20, received: 15, drift: 0.25, direction: 'fewer_received' },
      threshold: { tolerance: 0.1, baseTolerance: 0.1, season: null, minSent: 10, windowDays: 30 },
    });

    // The retry finds the alarm open (no second one) and tells the webhook now that it answers.
    hook.status = 204;
    expect(await acts.evaluateAlarms('partner_report_drift', OCT.toISOString())).toMatchObject({
      firing: [lossy],
      opened: [],
      notified: 1,
    });
    expect(await acts.evaluateAlarms('partner_report_drift', OCT.toISOString())).toMatchObject({ opened: [], notified: 0 });
    expect(await alarmsOf('partner_report_drift')).toHaveLength(1);
    const delivered = hook.requests.filter((r) => r.status === 204);
    expect(delivered).toHaveLength(1);
    expect(delivered[0]).toMatchObject({ method: 'POST', contentType: 'application/json' });
    expect(delivered[0]!.body).toEqual({
      id: alarm!.id,
      kind: 'partner_report_drift',
      subject: lossy,
      state: 'open',
      openedAt: OCT.toISOString(),
      evidence: expect.objectContaining({ sent: 20, received: 15 }),
      threshold: expect.objectContaining({ tolerance: 0.1 }),
    });
    expect((await iso.alarm.findUniqueOrThrow({ where: { id: alarm!.id } })).notifiedAt).not.toBeNull();

    // A webhook that does not answer in time is a failure, not a hang.
    hook.status = 'hang';
    await expect(webhookNotifier(hook.url, { timeoutMs: 200 }).notify({ ...(delivered[0]!.body as AlarmNotice) })).rejects.toThrow(
      /timeout|abort/i,
    );
  } finally {
    await hook.close();
  }
});

interface Hook {
  url: string;
  status: number | 'hang';
  requests: Array<{ method: string; contentType: string | undefined; body: unknown; status: number | 'hang' }>;
  close(): Promise<void>;
}

/** A local webhook receiver on 127.0.0.1:0 that answers with `status` (or never). */
async function webhookServer(): Promise<Hook> {
  const hook = { status: 204 as Hook['status'], requests: [] as Hook['requests'] };
  const read = async (req: IncomingMessage) => {
    const parts: Buffer[] = [];
    for await (const c of req) parts.push(c as Buffer);
    return Buffer.concat(parts).toString('utf8');
  };
  const server: Server = createServer((req, res) => {
    void read(req).then((text) => {
      hook.requests.push({ method: req.method!, contentType: req.headers['content-type'], body: JSON.parse(text), status: hook.status });
      if (hook.status !== 'hang') res.writeHead(hook.status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(hook, {
    url: `http://127.0.0.1:${port}/alarms`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}

// --- the API (shared database) ------------------------------------------------------------------

async function openAlarm(over: { kind?: string; subject?: string } = {}) {
  const id = randomUUID();
  // Already notified, so no sweep running against the shared database tells anyone about it.
  await s.db.alarm.create({
    data: {
      id,
      kind: over.kind ?? 'leads_rotting',
      subject: over.subject ?? uid('mgr'),
      state: 'open',
      evidence: { leads: 2, leadIds: ['a', 'b'] },
      threshold: { days: 3 },
      notifiedAt: new Date(),
    },
  });
  return id;
}

async function expectStatus(
  label: string,
  call: (who: Caller | 'nobody') => Promise<{ statusCode: number }>,
  expected: Partial<Record<Caller | 'nobody', number>>,
) {
  for (const [who, status] of Object.entries(expected) as [Caller | 'nobody', number][]) {
    const res = await call(who);
    expect(`${label} as ${who}: ${res.statusCode}`).toBe(`${label} as ${who}: ${status}`);
  }
}

test('API: ops, team leads and admins list alarms by state and kind; others may not', async () => {
  const subject = uid('mgr');
  const id = await openAlarm({ subject });
  const list = (who: Caller | 'nobody', query = `state=open&kind=leads_rotting&subject=${subject}`) =>
    s.inject({ who, method: 'GET', url: `/alarms?${query}` });
  await expectStatus('GET /alarms', (who) => list(who), { ops: 200, team_lead: 200, admin: 200, sales: 403, partner: 403, nobody: 401 });

  const res = await list('ops');
  expect(res.json()).toEqual({
    items: [
      {
        id,
        kind: 'leads_rotting',
        subject,
        state: 'open',
        evidence: { leads: 2, leadIds: ['a', 'b'] },
        threshold: { days: 3 },
        openedAt: expect.any(String),
        acknowledgedAt: null,
        acknowledgedBy: null,
        resolvedAt: null,
        resolvedBy: null,
        notifiedAt: expect.any(String),
      },
    ],
  });
  expect((await list('ops', `state=resolved&subject=${subject}`)).json()).toEqual({ items: [] });
  expect((await list('ops', `kind=partner_report_drift&subject=${subject}`)).json()).toEqual({ items: [] });
  const bad = await list('ops', 'state=closed&kind=nonsense');
  expect(bad.statusCode).toBe(400);
  expect(
    bad
      .json()
      .errors.map((e: { path: string }) => e.path)
      .sort(),
  ).toEqual(['querystring.kind', 'querystring.state']);
});

test('API: open → acknowledged → resolved, by the allowed roles; a wrong step is a 409 with the reason; unknown is 404', async () => {
  const subject = uid('mgr');
  const id = await openAlarm({ subject });
  const act = (who: Caller | 'nobody', step: 'acknowledge' | 'resolve', alarmId = id) =>
    s.inject({ who, method: 'POST', url: `/alarms/${alarmId}/${step}` });

  await expectStatus('acknowledge', (who) => act(who, 'acknowledge'), { sales: 403, partner: 403, nobody: 401 });
  const early = await act('ops', 'resolve');
  expect([early.statusCode, early.json().reason]).toEqual([409, `alarm ${id} is open; acknowledge it before resolving it`]);

  const ack = await act('team_lead', 'acknowledge');
  expect(ack.statusCode).toBe(200);
  expect(ack.json()).toMatchObject({ id, state: 'acknowledged', acknowledgedBy: 'team_lead:tatiana', resolvedAt: null });
  const twice = await act('ops', 'acknowledge');
  expect([twice.statusCode, twice.json().reason, twice.json().type]).toEqual([
    409,
    `alarm ${id} is already acknowledged by team_lead:tatiana`,
    'https://lead-engine.dev/problems/action-refused',
  ]);

  await expectStatus('resolve', (who) => act(who, 'resolve'), { sales: 403, partner2: 403 });
  const done = await act('ops', 'resolve');
  expect(done.statusCode).toBe(200);
  expect(done.json()).toMatchObject({ id, state: 'resolved', acknowledgedBy: 'team_lead:tatiana', resolvedBy: 'ops:oleg' });
  for (const step of ['acknowledge', 'resolve'] as const) {
    const after = await act('admin', step);
    expect([after.statusCode, after.json().reason]).toEqual([
      409,
      `alarm ${id} is already resolved by ops:oleg; a new alarm opens if the condition holds again`,
    ]);
  }
  expect(
    (await s.inject({ who: 'ops', method: 'GET', url: `/alarms?state=resolved&subject=${subject}` }))
      .json()
      .items.map((a: { id: string }) => a.id),
  ).toEqual([id]);

  // Resolved, the same kind and subject may open again (the index holds one *open* alarm per pair).
  const reopened = await openAlarm({ subject });
  expect(reopened).not.toBe(id);
  await expect(openAlarm({ subject })).rejects.toThrow(); // …but only one at a time

  for (const step of ['acknowledge', 'resolve'] as const) {
    const missing = await act('admin', step, randomUUID());
    expect(missing.statusCode).toBe(404);
  }
  const admin = await act('admin', 'acknowledge', reopened);
  expect(admin.json()).toMatchObject({ state: 'acknowledged', acknowledgedBy: 'admin:root' });
});
