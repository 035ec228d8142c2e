// Policy as data reaching running leads (README, "Policy"), under time-skipping with the
// production durations: ops add a transferred holiday while a lead waits for its first call, a
// team in Vladivostok counts its SLA in its own hours, and one change reaches 100 running leads,
// each re-arming the timer it waits on exactly once.
import { addBusinessTime } from '../../domain/calendar';
import * as M from '../../workflows/messages';
import { DEFAULT_SCOPE, policyInForce, rolloutWorkflowId } from '../../platform/policies';
import { seedTeam, uid } from '../helpers/db';
import { historyTypes, idle, skipUntil, waitFor, type LeadHandle } from '../helpers/lead';
import { rollOut as policyRollOut, startOnPolicy as policyStart, timers } from '../helpers/policy';
import { timeSkippingStack } from '../helpers/temporal';

// Assignment compares all managers: this file keeps other files' managers out.
let teamLead = '';
const t = timeSkippingStack({
  isolated: true,
  seed: async (db) => {
    teamLead = await seedTeam(db, 1);
  },
});

const HOUR = 3_600_000;
const MSK = 180 * 60_000;

const startOnPolicy = () => policyStart(t);
const rollOut = (teamId: string | undefined, patch: Record<string, unknown>, reason: string) => policyRollOut(t, teamId, patch, reason);

test('ops add a transferred holiday while a lead waits for its first call: the reminder comes on the next working hour', async () => {
  const { leadId, handle } = await startOnPolicy();
  const before = await policyInForce(t.db, null);
  const from = Date.parse((await handle.query(M.getState)).slaFrom);
  const cal = before.policy.calendar;
  const hours = before.policy.firstContact.reminderAfterBusinessHours;
  const oldReminder = addBusinessTime(cal, from, hours * HOUR);
  // The government moves a day off onto the very day the reminder falls on (Moscow date).
  const transferred = new Date(oldReminder + MSK).toISOString().slice(0, 10);
  const newCal = { ...cal, extraHolidays: [...cal.extraHolidays, transferred] };
  const newReminder = addBusinessTime(newCal, from, hours * HOUR);
  expect(newReminder).toBeGreaterThan(oldReminder);
  await idle(handle);
  const armed = await timers(handle);

  const v = await rollOut(undefined, { calendar: { extraHolidays: newCal.extraHolidays } }, `transfer: ${transferred} is a day off`);
  const version = `default v${v.version}`;
  await waitFor(async () => (await historyTypes(handle)).includes('deadline_moved'));
  const moved = (await handle.query(M.getHistory)).find((x) => x.type === 'deadline_moved')!;
  expect(moved.reason).toContain(`(policy ${version})`);

  // Nothing at the old hour, nor just before the new one; the reminder right after it.
  await skipUntil(t.env, handle, oldReminder + 60_000);
  expect(await historyTypes(handle)).not.toContain('sla_reminder');
  await skipUntil(t.env, handle, newReminder - 60_000);
  expect(await historyTypes(handle)).not.toContain('sla_reminder');
  await skipUntil(t.env, handle, newReminder + 60_000);
  await waitFor(async () => (await historyTypes(handle)).includes('sla_reminder'));
  const reminder = (await handle.query(M.getHistory)).find((x) => x.type === 'sla_reminder')!;
  expect(Date.parse(reminder.at)).toBeGreaterThanOrEqual(newReminder);
  expect(Date.parse(reminder.at)).toBeLessThan(newReminder + 60_000);
  expect(reminder.reason).toContain(`(policy ${version})`);
  // On a working hour of a working day in Moscow, not on the transferred day.
  const local = new Date(Date.parse(reminder.at) + MSK);
  expect(local.toISOString().slice(0, 10)).not.toBe(transferred);
  expect(local.getUTCHours()).toBeGreaterThanOrEqual(cal.workdayStartHour);
  expect(local.getUTCHours()).toBeLessThan(cal.workdayEndHour);
  // The timer it waited on was re-armed once: one cancelled, one more started (then the escalation's).
  const after = await timers(handle);
  expect(after.canceled).toBe(armed.canceled + 1);
  // The read model says which version the lead runs on and where its clock starts.
  const row = await t.db.lead.findUniqueOrThrow({ where: { id: leadId } });
  expect(row.policyVersion).toBe(version);
  expect(row.slaFrom?.getTime()).toBe(from);
});

test("a team in Vladivostok counts its leads' SLA in its own working hours", async () => {
  const team = uid('vlad');
  const vladManager = uid('mgr-vlad');
  await t.db.team.create({ data: { id: team, name: 'Vladivostok sales', leadId: teamLead } });
  await t.db.manager.create({ data: { id: vladManager, name: vladManager, teamId: team, expertise: [], territory: [] } });
  // Only the Vladivostok manager is free for this lead.
  const others = (await t.db.manager.findMany({ where: { active: true, id: { not: vladManager } } })).map((m) => m.id);
  await t.db.manager.updateMany({ where: { id: { in: others } }, data: { active: false } });
  try {
    const v = await rollOut(team, { calendar: { timeZone: 'Asia/Vladivostok' } }, 'the Vladivostok office works in its own time');
    const { handle } = await startOnPolicy();
    const s = await handle.query(M.getState);
    expect(s.managerId).toBe(vladManager);
    const applied = (await handle.query(M.getHistory)).find((x) => x.type === 'policy_applied')!;
    expect(applied.reason).toContain(`team ${team} v${v.version}`);

    const vlad = (await policyInForce(t.db, team)).policy;
    expect(vlad.calendar.utcOffsetMinutes).toBe(600);
    const moscow = (await policyInForce(t.db, null)).policy;
    const from = Date.parse(s.slaFrom);
    const due = addBusinessTime(vlad.calendar, from, vlad.firstContact.reminderAfterBusinessHours * HOUR);
    expect(due).not.toBe(addBusinessTime(moscow.calendar, from, moscow.firstContact.reminderAfterBusinessHours * HOUR));
    // The manager's call task is due in Vladivostok working time.
    await waitFor(async () => !!(await t.db.task.findFirst({ where: { leadId: s.leadId, kind: 'first_contact' } })));
    const task = await t.db.task.findFirstOrThrow({ where: { leadId: s.leadId, kind: 'first_contact' } });
    expect(task.dueAt?.getTime()).toBe(due);
    const localHour = new Date(due + 600 * 60_000).getUTCHours();
    expect(localHour).toBeGreaterThanOrEqual(9);
    expect(localHour).toBeLessThanOrEqual(18);

    await skipUntil(t.env, handle, due - 60_000);
    expect(await historyTypes(handle)).not.toContain('sla_reminder');
    await skipUntil(t.env, handle, due + 60_000);
    await waitFor(async () => (await historyTypes(handle)).includes('sla_reminder'));
  } finally {
    await t.db.manager.updateMany({ where: { id: { in: others } }, data: { active: true } });
    await t.db.manager.update({ where: { id: vladManager }, data: { active: false } });
  }
});

test('a change of the first-contact SLA reaches 100 running leads; each re-arms its timer once', async () => {
  const N = 100;
  const leads: Array<{ leadId: string; handle: LeadHandle }> = [];
  for (let i = 0; i < N; i += 10) leads.push(...(await Promise.all(Array.from({ length: 10 }, () => startOnPolicy()))));
  for (const l of leads) await idle(l.handle);
  const before = new Map(await Promise.all(leads.map(async (l) => [l.leadId, await timers(l.handle)] as const)));
  const current = (await policyInForce(t.db, null)).policy.firstContact.reminderAfterBusinessHours;

  const started = Date.now();
  const v = await rollOut(undefined, { firstContact: { reminderAfterBusinessHours: current + 2 } }, 'first call within 6 working hours');
  const signalled = (Date.now() - started) / 1000;
  const ids = leads.map((l) => l.leadId);
  await waitFor(async () => (await t.db.leadEvent.count({ where: { leadId: { in: ids }, type: 'deadline_moved' } })) === N, 120_000);
  const seconds = (Date.now() - started) / 1000;
  console.log(
    `[policy] ${N} running leads re-armed on default v${v.version} in ${seconds.toFixed(1)} s ` +
      `(version stored → last deadline_moved recorded); the rollout workflow had signalled them all after ${signalled.toFixed(1)} s`,
  );

  for (const l of leads) {
    await idle(l.handle);
    const after = await timers(l.handle);
    const was = before.get(l.leadId)!;
    expect({ lead: l.leadId, started: after.started - was.started, canceled: after.canceled - was.canceled }).toEqual({
      lead: l.leadId,
      started: 1,
      canceled: 1,
    });
  }
  // A retried rollout (the same version again) moves nothing.
  const again = await t.env.client.workflow.start('policyRolloutWorkflow', {
    workflowId: `${rolloutWorkflowId(DEFAULT_SCOPE, v.version)}-again`,
    taskQueue: t.worker.taskQueue,
    args: [{ scope: DEFAULT_SCOPE, version: v.version, effectiveFrom: new Date(0).toISOString() }],
  });
  await waitFor(async () => (await again.describe()).status.name === 'COMPLETED', 60_000);
  for (const l of leads) await idle(l.handle);
  expect(await t.db.leadEvent.count({ where: { leadId: { in: ids }, type: 'deadline_moved' } })).toBe(N);
}, 300_000);
