// The policy API (README, "Policy"): bad input refused whole with the field named, a team's
// version stored with who and why (and audited), and the what-if preview of a proposal. Versions
// committed here are a team's of its own: the default's would reach every other test's leads.
import { addBusinessTime } from '../../domain/calendar';
import { policyInForce } from '../../platform/policies';
import { apiStack, type ApiStack, leadBody } from '../helpers/api';
import { seedLead, uid } from '../helpers/db';
import { waitFor } from '../helpers/lead';

let s: ApiStack;
let team: string;
let manager: string;
beforeAll(async () => {
  s = await apiStack();
  team = uid('vlad');
  manager = uid('mgr-vlad');
  await s.db.team.create({ data: { id: team, name: 'Vladivostok' } });
  // Inactive: assignment in other files never picks this manager; the leads below are put on it by hand.
  await s.db.manager.create({ data: { id: manager, name: manager, teamId: team, active: false, expertise: [], territory: [] } });
});
afterAll(async () => s?.close());

const HOUR = 3_600_000;
const post = (policy: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
  s.inject({ who: 'ops', method: 'POST', url: '/policies', payload: { policy, reason: 'a test of validation', ...extra } });

test.each([
  [
    'a calendar with no working time',
    { calendar: { workdayStartHour: 18, workdayEndHour: 9 } },
    422,
    'body.policy.calendar.workdayEndHour',
  ],
  ['a week with no working day', { calendar: { weekend: [0, 1, 2, 3, 4, 5, 6] } }, 422, 'body.policy.calendar.weekend'],
  [
    'an escalation before the reminder',
    { firstContact: { reminderAfterBusinessHours: 10, escalateAfterBusinessHours: 5 } },
    422,
    'body.policy.firstContact.escalateAfterBusinessHours',
  ],
  [
    'stale before the escalation',
    { firstContact: { escalateAfterBusinessHours: 30, staleAfterBusinessDays: 2 } },
    422,
    'body.policy.firstContact.staleAfterBusinessDays',
  ],
  ['a zero SLA', { firstContact: { reminderAfterBusinessHours: 0 } }, 400, 'body.policy.firstContact.reminderAfterBusinessHours'],
  ['a zero wait', { reengagement: { interval: '0 days' } }, 422, 'body.policy.reengagement.interval'],
  ['a wait of years', { reengagement: { interval: '1000 days' } }, 422, 'body.policy.reengagement.interval'],
  [
    'an SLA of years of working time',
    { firstContact: { reminderAfterBusinessHours: 9000, escalateAfterBusinessHours: 9001 } },
    422,
    'body.policy.firstContact.reminderAfterBusinessHours',
  ],
  ['a unit nobody reads', { dealStageTimeouts: { meeting: '3 years' } }, 400, 'body.policy.dealStageTimeouts.meeting'],
  ['a time zone that does not exist', { calendar: { timeZone: 'Europe/Atlantis' } }, 422, 'body.policy.calendar.timeZone'],
  ['a time zone that moves its clocks', { calendar: { timeZone: 'Europe/Berlin' } }, 422, 'body.policy.calendar.timeZone'],
  ['a field that does not exist (a typo)', { firstContact: { remindAfterHours: 2 } }, 400, 'body.policy.firstContact.remindAfterHours'],
  ['a holiday that is not a date', { calendar: { extraHolidays: ['2027-13-45x'] } }, 400, 'body.policy.calendar.extraHolidays.0'],
])('%s is refused, naming the field, and nothing is stored', async (_what, policy, status, path) => {
  const before = await s.db.policyVersion.count();
  // With a good change beside it: the good part is not applied either.
  const res = await post({ ...policy, consentWindowBusinessDays: 4 });
  expect(res.statusCode).toBe(status);
  expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
  expect(res.json().errors.map((e: { path: string }) => e.path)).toContain(path);
  // The same answer from the preview, which stores nothing either way.
  const preview = await s.inject({ who: 'ops', method: 'POST', url: '/policies/preview', payload: { policy } });
  expect(preview.statusCode).toBe(status);
  expect(preview.json().errors.map((e: { path: string }) => e.path)).toContain(path);
  expect(await s.db.policyVersion.count()).toBe(before);
});

test('the request itself: a reason is required, the team must exist, only ops and admins may change the policy', async () => {
  const noReason = await s.inject({ who: 'ops', method: 'POST', url: '/policies', payload: { teamId: team, policy: {} } });
  expect(noReason.statusCode).toBe(400);
  expect(noReason.json().errors.map((e: { path: string }) => e.path)).toContain('body.reason');
  const noTeam = await post({}, { teamId: uid('nowhere') });
  expect(noTeam.statusCode).toBe(422);
  expect(noTeam.json().errors[0].path).toBe('body.teamId');
  for (const who of ['sales', 'team_lead', 'partner'] as const) {
    const change = await s.inject({ who, method: 'POST', url: '/policies', payload: { teamId: team, policy: {}, reason: 'me too' } });
    expect(change.statusCode).toBe(403);
    expect((await s.inject({ who, method: 'GET', url: '/policies' })).statusCode).toBe(403);
  }
});

test('the default version in force is the Russian production calendar, with transfers of 2026 and 2027', async () => {
  const res = await s.inject({ who: 'ops', method: 'GET', url: '/policies' });
  expect(res.statusCode).toBe(200);
  const body = res.json();
  expect(body.scope).toBe('default');
  const first = body.history.find((v: { version: number }) => v.version === 1);
  expect(first.createdBy).toBe('migration');
  expect(first.policy.calendar.extraHolidays).toEqual(expect.arrayContaining(['2026-01-09', '2026-12-31', '2027-05-03']));
  expect(body.inForce.policy.calendar.timeZone).toBe('Europe/Moscow');
});

test("a preview shows whose deadlines a proposal moves, old → new, storing nothing; then the team's version, audited", async () => {
  // Two open leads of the team's manager, as the read model has them: one waiting for its
  // reminder, one past it (waiting for the escalation), both clocks started now.
  const slaFrom = new Date();
  const waiting = await seedLead(s.db);
  const reminded = await seedLead(s.db);
  for (const id of [waiting, reminded]) {
    await s.db.lead.update({ where: { id }, data: { stage: 'awaiting_first_contact', managerId: manager, slaFrom } });
  }
  await s.db.leadEvent.create({
    data: {
      leadId: reminded,
      seq: 1,
      type: 'sla_reminder',
      stage: 'awaiting_first_contact',
      actor: 'system',
      at: new Date(slaFrom.getTime() + 1000),
    },
  });
  const current = (await policyInForce(s.db, team)).policy;
  const versionsBefore = await s.db.policyVersion.count({ where: { teamId: team } });

  const proposal = { calendar: { timeZone: 'Asia/Vladivostok' }, firstContact: { reminderAfterBusinessHours: 2 } };
  const res = await s.inject({ who: 'ops', method: 'POST', url: '/policies/preview', payload: { teamId: team, policy: proposal } });
  expect(res.statusCode).toBe(200);
  const p = res.json();
  const vlad = { ...current.calendar, timeZone: 'Asia/Vladivostok', utcOffsetMinutes: 600 };
  const oldReminder = addBusinessTime(current.calendar, slaFrom.getTime(), current.firstContact.reminderAfterBusinessHours * HOUR);
  const newReminder = addBusinessTime(vlad, slaFrom.getTime(), 2 * HOUR);
  expect(p).toMatchObject({ scope: `team:${team}`, openLeads: 2, waiting: 2 });
  expect(p.items).toContainEqual({
    leadId: waiting,
    stage: 'awaiting_first_contact',
    kind: 'sla_reminder',
    anchor: slaFrom.toISOString(),
    from: new Date(oldReminder).toISOString(),
    to: new Date(newReminder).toISOString(),
    firesNow: newReminder <= Date.now(),
  });
  // The reminded lead waits for its escalation, which moves with the time zone only.
  const oldEscalation = addBusinessTime(current.calendar, slaFrom.getTime(), current.firstContact.escalateAfterBusinessHours * HOUR);
  const newEscalation = addBusinessTime(vlad, slaFrom.getTime(), current.firstContact.escalateAfterBusinessHours * HOUR);
  const escalation = p.items.find((i: { leadId: string }) => i.leadId === reminded);
  if (oldEscalation === newEscalation) expect(escalation).toBeUndefined();
  else {
    const moved = { from: new Date(oldEscalation).toISOString(), to: new Date(newEscalation).toISOString() };
    expect(escalation).toMatchObject({ kind: 'sla_escalation', ...moved });
  }
  expect(p.changed).toBe(p.items.length);
  expect(await s.db.policyVersion.count({ where: { teamId: team } })).toBe(versionsBefore);

  // Applied: a version of the team's, with who and why; the team's leads run on it.
  const reason = 'Vladivostok office: its own hours, first call in 2 h';
  const saved = await s.inject({
    who: 'ops',
    method: 'POST',
    url: '/policies',
    payload: { teamId: team, policy: proposal, reason },
  });
  expect(saved.statusCode).toBe(201);
  const v = saved.json();
  expect(v.version).toMatchObject({ scope: `team:${team}`, version: versionsBefore + 1, createdBy: 'ops:oleg', reason });
  expect(v.version.policy.calendar).toEqual({ timeZone: 'Asia/Vladivostok', utcOffsetMinutes: 600 });
  expect(v.rollout.workflowId).toBe(`policy-rollout-team:${team}-v${versionsBefore + 1}`);
  const got = (await s.inject({ who: 'admin', method: 'GET', url: `/policies?teamId=${team}` })).json();
  expect(got.current.version).toBe(versionsBefore + 1);
  expect(got.inForce.version).toMatch(new RegExp(`^default v\\d+ \\+ team ${team} v${versionsBefore + 1}$`));
  expect(got.inForce.policy.calendar.utcOffsetMinutes).toBe(600);
  expect(got.inForce.policy.firstContact.reminderAfterBusinessHours).toBe(2);
  // Audited like every staff change (the row's status is completed after the response).
  const requestId = saved.headers['x-request-id'] as string;
  const audited = { path: '/policies', method: 'POST', actor: 'ops:oleg', status: 201, requestId };
  await waitFor(async () => (await s.db.auditLog.count({ where: audited })) === 1);
  // The rollout ran: nothing of these two leads to signal (no workflow), and it finished.
  const rollout = s.temporal.workflow.getHandle(v.rollout.workflowId);
  expect(await rollout.result()).toEqual({ leads: 2, told: 0 });

  // The same proposal again moves nothing now: it is what the team runs on.
  const again = await s.inject({ who: 'ops', method: 'POST', url: '/policies/preview', payload: { teamId: team, policy: proposal } });
  expect(again.json().changed).toBe(0);
});

test('a lead taken in over the API starts on the policy version in force, and the read model says which', async () => {
  const res = await s.inject({ who: 'sales', method: 'POST', url: '/leads', payload: leadBody() });
  expect(res.statusCode).toBe(201);
  const { leadId } = res.json() as { leadId: string };
  await waitFor(async () => !!(await s.db.lead.findUniqueOrThrow({ where: { id: leadId } })).policyVersion);
  const row = await s.db.lead.findUniqueOrThrow({ where: { id: leadId } });
  const team = row.managerId ? ((await s.db.manager.findUnique({ where: { id: row.managerId } }))?.teamId ?? null) : null;
  expect(row.policyVersion).toBe((await policyInForce(s.db, team)).version);
  expect(row.policyVersion).toMatch(/^default v\d+/);
});
