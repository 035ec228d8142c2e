// The what-if preview (README, "Policy") over every wait of a lead, not only the SLA ladder: leads
// of a team of its own, in each stage, with their events at known times as the read model holds
// them (the preview reads nothing else), and proposals of the team's that move the consent window,
// the partner's acceptance days, a deal stage's silence and the re-engagement interval or reply
// window. Each expected deadline is counted here by hand from the team's pinned version.
import { apiStack, type ApiStack } from '../helpers/api';
import { seedLead, uid } from '../helpers/db';

let s: ApiStack;
let team: string;
let manager: string;
const DAY = 24 * 3_600_000;

/** A lead of `managerId` in `stage`, with events (type, the stage it left the lead in, when) numbered from 1. */
async function lead(managerId: string, stage: string, events: Array<[string, string, string | number]>, slaFrom?: string) {
  const id = await seedLead(s.db);
  await s.db.lead.update({ where: { id }, data: { stage, managerId, ...(slaFrom ? { slaFrom: new Date(slaFrom) } : {}) } });
  await s.db.leadEvent.createMany({
    data: events.map(([type, to, at], i) => ({ leadId: id, seq: i + 1, type, stage: to, actor: 'system', at: new Date(at) })),
  });
  return id;
}

const preview = async (policy: Record<string, unknown>, teamId: string | null = team) => {
  const res = await s.inject({ who: 'ops', method: 'POST', url: '/policies/preview', payload: { ...(teamId ? { teamId } : {}), policy } });
  expect(res.statusCode).toBe(200);
  return res.json();
};
const none = { waiting: 0, changed: 0, firesNow: 0 };
const byLead = (a: { leadId: string }, b: { leadId: string }) => (a.leadId < b.leadId ? -1 : a.leadId > b.leadId ? 1 : 0);

let L: Record<'consent' | 'partner' | 'proposal' | 'negotiation' | 'firing' | 'touch' | 'cycle' | 'reply' | 'ladder', string>;
let firingAnchor: number;

beforeAll(async () => {
  s = await apiStack();
  team = uid('preview');
  manager = uid('mgr-preview');
  await s.db.team.create({ data: { id: team, name: 'Preview' } });
  // Inactive: assignment in other files never picks this manager; the leads below are put on it by hand.
  await s.db.manager.create({ data: { id: manager, name: manager, teamId: team, active: false, expertise: [], territory: [] } });
  // The team's own version pins what the deadlines below are counted from, whatever the default
  // version in force is when this file runs: Moscow hours, no transfers, the code's default waits.
  const pinned = await s.inject({
    who: 'ops',
    method: 'POST',
    url: '/policies',
    payload: {
      teamId: team,
      reason: 'the preview test counts from these',
      policy: {
        calendar: {
          timeZone: 'Europe/Moscow',
          workdayStartHour: 9,
          workdayEndHour: 18,
          weekend: [0, 6],
          extraHolidays: [],
          extraWorkdays: [],
        },
        consentWindowBusinessDays: 3,
        partnerAcceptanceBusinessDays: 2,
        dealStageTimeouts: { meeting: '14 days', proposal: '21 days', negotiation: '30 days', contract: '30 days', payment: '30 days' },
        reengagement: { interval: '75 days', replyWindow: '14 days' },
      },
    },
  });
  expect(pinned.statusCode).toBe(201);

  // Mon 15 March 2027, 10:00 in Moscow (07:00Z): no holiday in the weeks around it.
  firingAnchor = Math.floor((Date.now() - 12 * DAY) / 1000) * 1000;
  L = {
    // Asked for consent twice: the second ask (after the client came back) is the one waited on.
    consent: await lead(manager, 'awaiting_consent', [
      ['received', 'awaiting_first_contact', '2027-01-11T07:00:00Z'],
      ['contacted', 'qualifying', '2027-01-12T07:00:00Z'],
      ['qualified', 'awaiting_consent', '2027-01-13T07:00:00Z'],
      ['consent_refused', 'reengagement', '2027-01-14T07:00:00Z'],
      ['returned', 'qualifying', '2027-03-01T07:00:00Z'],
      ['qualified', 'awaiting_consent', '2027-03-15T07:00:00Z'],
    ]),
    // The first offer expired; the second, on Thursday at 11:00, is waited on.
    partner: await lead(manager, 'partner_offer', [
      ['received', 'awaiting_first_contact', '2027-03-01T07:00:00Z'],
      ['contacted', 'qualifying', '2027-03-02T07:00:00Z'],
      ['qualified', 'awaiting_consent', '2027-03-15T07:00:00Z'],
      ['consent_given', 'partner_offer', '2027-03-16T07:00:00Z'],
      ['offered', 'partner_offer', '2027-03-16T07:00:00Z'],
      ['offer_expired', 'partner_offer', '2027-03-18T07:00:00Z'],
      ['offered', 'partner_offer', '2027-03-18T08:00:00Z'],
    ]),
    // Ours, moved to the proposal, then checked in on after 21 silent days: the clock runs from the check-in.
    proposal: await lead(manager, 'deal', [
      ['received', 'awaiting_first_contact', '2027-03-01T07:00:00Z'],
      ['contacted', 'qualifying', '2027-03-02T07:00:00Z'],
      ['qualified', 'deal', '2027-03-15T07:00:00Z'],
      ['deal_proposal', 'deal', '2027-03-20T07:00:00Z'],
      ['deal_checkin', 'deal', '2027-04-10T07:00:00Z'],
    ]),
    // A partner's deal, in negotiation (after a proposal): its silence is not the proposal's.
    negotiation: await lead(manager, 'deal', [
      ['received', 'awaiting_first_contact', '2027-03-01T07:00:00Z'],
      ['contacted', 'qualifying', '2027-03-02T07:00:00Z'],
      ['qualified', 'awaiting_consent', '2027-03-15T07:00:00Z'],
      ['consent_given', 'partner_offer', '2027-03-16T07:00:00Z'],
      ['offered', 'partner_offer', '2027-03-16T07:00:00Z'],
      ['partner_accepted', 'deal', '2027-03-17T07:00:00Z'],
      ['deal_proposal', 'deal', '2027-03-20T07:00:00Z'],
      ['deal_negotiation', 'deal', '2027-03-25T07:00:00Z'],
    ]),
    // At the proposal for 12 days now: 21 days leave 9, 10 days are past.
    firing: await lead(manager, 'deal', [
      ['qualified', 'awaiting_consent', firingAnchor - 3 * DAY],
      ['consent_given', 'partner_offer', firingAnchor - 2 * DAY],
      ['offered', 'partner_offer', firingAnchor - 2 * DAY],
      ['partner_accepted', 'deal', firingAnchor - DAY],
      ['deal_proposal', 'deal', firingAnchor],
    ]),
    // Refused: waiting for its first touch.
    touch: await lead(manager, 'reengagement', [
      ['received', 'awaiting_first_contact', '2027-03-01T07:00:00Z'],
      ['refused', 'reengagement', '2027-03-15T07:00:00Z'],
      ['reassigned', 'reengagement', '2027-03-16T07:00:00Z'],
    ]),
    // A touch went unanswered: the next cycle counts from the no_reply.
    cycle: await lead(manager, 'reengagement', [
      ['received', 'awaiting_first_contact', '2027-01-04T07:00:00Z'],
      ['refused', 'reengagement', '2027-01-04T08:00:00Z'],
      ['reengagement_touch', 'reengagement', '2027-03-20T08:00:00Z'],
      ['no_reply', 'reengagement', '2027-04-03T07:00:00Z'],
    ]),
    // Touched: waiting for the client's reply, which the interval does not move.
    reply: await lead(manager, 'reengagement', [
      ['received', 'awaiting_first_contact', '2027-01-04T07:00:00Z'],
      ['refused', 'reengagement', '2027-01-04T08:00:00Z'],
      ['reengagement_touch', 'reengagement', '2027-03-20T08:00:00Z'],
    ]),
    // On the SLA ladder, which none of the proposals below touches.
    ladder: await lead(
      manager,
      'awaiting_first_contact',
      [['received', 'awaiting_first_contact', '2027-03-15T07:00:00Z']],
      '2027-03-15T07:00:00Z',
    ),
  };
  // Not open, or not the team's: never in the team's preview.
  await lead(manager, 'closed', [
    ['qualified', 'awaiting_consent', '2027-03-15T07:00:00Z'],
    ['closed', 'closed', '2027-03-16T07:00:00Z'],
  ]);
  const elsewhere = uid('mgr-elsewhere');
  await s.db.manager.create({ data: { id: elsewhere, name: elsewhere, active: false, expertise: [], territory: [] } });
  await lead(elsewhere, 'awaiting_consent', [['qualified', 'awaiting_consent', '2027-03-15T07:00:00Z']]);
});
afterAll(async () => s?.close());

test('a proposal moving the consent window, acceptance days, a deal timeout and the re-engagement interval lists each moved wait, old → new', async () => {
  const p = await preview({
    consentWindowBusinessDays: 5,
    partnerAcceptanceBusinessDays: 1,
    dealStageTimeouts: { proposal: '10 days' },
    reengagement: { interval: '60 days' },
  });
  const iso = (ms: number) => new Date(ms).toISOString();
  const expected = [
    // 3 business days from Mon 10:00 → Thu 10:00; 5 → next Mon 10:00 (Moscow).
    {
      leadId: L.consent,
      stage: 'awaiting_consent',
      kind: 'consent',
      anchor: '2027-03-15T07:00:00.000Z',
      from: '2027-03-18T07:00:00.000Z',
      to: '2027-03-22T07:00:00.000Z',
      firesNow: false,
    },
    // 2 business days from Thu 11:00 → Mon 11:00; 1 → Fri 11:00.
    {
      leadId: L.partner,
      stage: 'partner_offer',
      kind: 'partner_answer',
      anchor: '2027-03-18T08:00:00.000Z',
      from: '2027-03-22T08:00:00.000Z',
      to: '2027-03-19T08:00:00.000Z',
      firesNow: false,
    },
    // The proposal's silence from the check-in: 21 days → 10 days.
    {
      leadId: L.proposal,
      stage: 'deal',
      kind: 'deal_checkin',
      dealStage: 'proposal',
      anchor: '2027-04-10T07:00:00.000Z',
      from: '2027-05-01T07:00:00.000Z',
      to: '2027-04-20T07:00:00.000Z',
      firesNow: false,
    },
    {
      leadId: L.firing,
      stage: 'deal',
      kind: 'deal_checkin',
      dealStage: 'proposal',
      anchor: iso(firingAnchor),
      from: iso(firingAnchor + 21 * DAY),
      to: iso(firingAnchor + 10 * DAY),
      firesNow: true,
    },
    // 75 days → 60 days, from entering re-engagement and from the unanswered touch.
    {
      leadId: L.touch,
      stage: 'reengagement',
      kind: 'reengagement_touch',
      anchor: '2027-03-15T07:00:00.000Z',
      from: '2027-05-29T07:00:00.000Z',
      to: '2027-05-14T07:00:00.000Z',
      firesNow: false,
    },
    {
      leadId: L.cycle,
      stage: 'reengagement',
      kind: 'reengagement_touch',
      anchor: '2027-04-03T07:00:00.000Z',
      from: '2027-06-17T07:00:00.000Z',
      to: '2027-06-02T07:00:00.000Z',
      firesNow: false,
    },
  ];
  // Exactly these: the negotiation, the touched lead's reply, the ladder, the closed lead and another team's are not listed.
  expect(p.items).toEqual(expected.sort(byLead));
  expect(p).toMatchObject({ scope: `team:${team}`, openLeads: 9, waiting: 9, changed: 6, firesNow: 1 });
  expect(p.byKind).toEqual({
    sla_reminder: { waiting: 1, changed: 0, firesNow: 0 },
    sla_escalation: none,
    stale: none,
    consent: { waiting: 1, changed: 1, firesNow: 0 },
    partner_answer: { waiting: 1, changed: 1, firesNow: 0 },
    deal_checkin: { waiting: 3, changed: 2, firesNow: 1 },
    reengagement_touch: { waiting: 2, changed: 2, firesNow: 0 },
    reengagement_reply: { waiting: 1, changed: 0, firesNow: 0 },
  });
});

test('a shorter reply window moves only the lead waiting for a reply, counted from its touch', async () => {
  const p = await preview({ reengagement: { replyWindow: '7 days' } });
  expect(p.items).toEqual([
    {
      leadId: L.reply,
      stage: 'reengagement',
      kind: 'reengagement_reply',
      anchor: '2027-03-20T08:00:00.000Z',
      from: '2027-04-03T08:00:00.000Z',
      to: '2027-03-27T08:00:00.000Z',
      firesNow: false,
    },
  ]);
  expect(p).toMatchObject({ changed: 1, firesNow: 0 });
});

test('a proposal that changes nothing lists nothing', async () => {
  // The values the team runs on, restated.
  const p = await preview({
    consentWindowBusinessDays: 3,
    dealStageTimeouts: { proposal: '21 days' },
    reengagement: { interval: '75 days' },
  });
  expect(p).toMatchObject({ openLeads: 9, waiting: 9, changed: 0, firesNow: 0, items: [] });
  expect(Object.values(p.byKind).map((c) => (c as { changed: number }).changed)).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
});

test("the default's proposal does not move the team's leads where the team's version decides", async () => {
  const p = await preview({ consentWindowBusinessDays: 5, reengagement: { interval: '60 days' } }, null);
  expect(p.scope).toBe('default');
  const ours = new Set(Object.values(L));
  expect(p.items.filter((i: { leadId: string }) => ours.has(i.leadId))).toEqual([]);
});
