// The first-contact SLA in business time: reminder (4 working hours) → escalation to the team
// lead (1 working day) → stale after 2 business days untouched, and reassigned.
import { addBusinessTime, businessDayMs } from '../../domain/calendar';
import type { TransitionType } from '../../domain/lifecycle';
import { defaultPolicy } from '../../domain/policy';
import { leadWorkflow } from '../../workflows/lead';
import * as M from '../../workflows/messages';
import { seedLead, seedTeam } from '../helpers/db';
import { act, historyTypes, idle, refusal, skip, skipUntil, startLead, until, waitFor } from '../helpers/lead';
import { timeSkippingStack } from '../helpers/temporal';
import { LeadStage, SlaDueAt } from '../../workflows/search-attributes';

// Assignment compares all managers: this file keeps other files' managers out.
const t = timeSkippingStack({ isolated: true, seed: (db) => seedTeam(db, 2) });

const policy = defaultPolicy();
const HOUR = 3_600_000;

test('an untouched lead is reminded, escalated, then flagged stale and reassigned — in business time', async () => {
  const { leadId, handle } = await startLead(t.env, t.db, t.worker.taskQueue);
  const first = await handle.query(M.getState);
  const from = Date.parse(first.slaFrom);
  const cal = policy.calendar;
  const reminderAt = addBusinessTime(cal, from, policy.firstContact.reminderAfterBusinessHours * HOUR);
  const escalateAt = addBusinessTime(cal, from, policy.firstContact.escalateAfterBusinessHours * HOUR);
  const staleAt = addBusinessTime(cal, from, policy.firstContact.staleAfterBusinessDays * businessDayMs(cal));
  expect(staleAt - from).toBeGreaterThanOrEqual(2 * 9 * HOUR); // never sooner than two working days

  await skipUntil(t.env, handle, reminderAt - 60_000);
  expect(await historyTypes(handle)).not.toContain('sla_reminder');
  await skipUntil(t.env, handle, reminderAt + 60_000);
  await waitForType(handle, 'sla_reminder');

  await skipUntil(t.env, handle, escalateAt + 60_000);
  await waitForType(handle, 'sla_escalated');
  const escalation = await t.db.task.findFirstOrThrow({ where: { leadId, kind: 'sla_escalation' } });
  expect(escalation.assignee).toMatch(/^team_lead:teamlead-/);

  await skipUntil(t.env, handle, staleAt - 60_000);
  expect((await handle.query(M.getState)).stale).toBe(false);
  await skipUntil(t.env, handle, staleAt + 60_000);
  const stale = await until(handle, (s) => s.stale && s.managerId !== first.managerId);
  expect(stale.stage).toBe('awaiting_first_contact');
  expect(await historyTypes(handle)).toEqual(expect.arrayContaining(['stale', 'reassigned']));
  // Ops see it in the read model too.
  await waitFor(async () => (await t.db.lead.findUniqueOrThrow({ where: { id: leadId } })).stale);

  // The new owner's first touch clears the flag and restarts the clock.
  const touched = await act(handle, 'recordContact', { outcome: 'no_answer' }, 'sales:new-owner');
  expect(touched.stale).toBe(false);
  expect(Date.parse(touched.slaFrom)).toBeGreaterThan(from);
});

test('a company inquiry without a person is an interest: verified first, closed when nobody is found', async () => {
  const { handle } = await startLead(t.env, t.db, t.worker.taskQueue, { kind: 'interest' });
  expect((await handle.query(M.getState)).stage).toBe('verification');
  expect(await refusal(act(handle, 'qualify', { target: true, route: 'ours', reason: 'x', compare: 1 }, 'sales:x'))).toBe(
    'qualify is not possible while the lead is verification; it needs qualifying',
  );
  const s = await act(handle, 'verifyInterest', { personFound: false, note: 'switchboard only' }, 'sales:x');
  expect(s).toMatchObject({ stage: 'closed', closedReason: 'not_verified' });
});

test('five unanswered calls make the lead unreachable and send it to re-engagement', async () => {
  const { handle } = await startLead(t.env, t.db, t.worker.taskQueue);
  let s = await handle.query(M.getState);
  for (let i = 0; i < policy.firstContact.maxNoAnswerAttempts; i++) {
    s = await act(handle, 'recordContact', { outcome: 'no_answer' }, 'sales:x');
  }
  expect(s.stage).toBe('reengagement');
  expect(s.refusalReason).toBe('unreachable after 5 attempts');
});

test('a missed call changes only the SLA due it restarts (one search-attribute event, no memo event); reaching the client changes both', async () => {
  const { leadId, handle } = await startLead(t.env, t.db, t.worker.taskQueue);
  // Settled: every transition is in the read model and the workflow task that publishes after
  // the write has completed.
  const settled = async () => {
    const transitions = (await handle.query(M.getHistory)).length;
    await waitFor(async () => (await t.db.leadEvent.count({ where: { leadId } })) === transitions);
    await idle(handle);
  };
  const published = async () => {
    const { events } = await handle.fetchHistory();
    return {
      attributes: (events ?? []).filter((e) => e.upsertWorkflowSearchAttributesEventAttributes).length,
      memo: (events ?? []).filter((e) => e.workflowPropertiesModifiedEventAttributes).length,
    };
  };
  await settled();
  const before = await published();
  expect(before.attributes).toBeGreaterThan(0);
  expect(before.memo).toBeGreaterThan(0);

  const dueBefore = (await handle.describe()).typedSearchAttributes.get(SlaDueAt)!.getTime();
  const touched = await act(handle, 'recordContact', { outcome: 'no_answer' }, 'sales:x');
  await settled();
  expect(await t.db.leadEvent.count({ where: { leadId, type: 'no_answer' } })).toBe(1);
  // The call restarts the SLA clock, so SlaDueAt moves (patch 'ops-metadata') — unless both fall
  // on the same instant, as two touches outside working hours do; nothing else changes.
  const due = (await handle.describe()).typedSearchAttributes.get(SlaDueAt)!.getTime();
  expect(due).toBe(addBusinessTime(policy.calendar, Date.parse(touched.slaFrom), policy.firstContact.reminderAfterBusinessHours * HOUR));
  expect(await published()).toEqual({ attributes: before.attributes + (due === dueBefore ? 0 : 1), memo: before.memo });
  const after = await published();

  const reached = await act(handle, 'recordContact', { outcome: 'reached' }, 'sales:x');
  await settled();
  expect(await published()).toEqual({ attributes: after.attributes + 1, memo: after.memo + 1 });
  expect((await handle.describe()).typedSearchAttributes.get(LeadStage)).toBe(reached.stage);
});

async function waitForType(handle: Parameters<typeof historyTypes>[0], type: TransitionType): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!(await historyTypes(handle)).includes(type)) {
    if (Date.now() > deadline) throw new Error(`no ${type} in history: ${(await historyTypes(handle)).join(', ')}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('a lead nobody touches stops bouncing after 3 stale reassignments: parked with its owner, ops told once', async () => {
  const { leadId, handle } = await startLead(t.env, t.db, t.worker.taskQueue);
  await skip(t.env, handle, '60 days'); // far past four stale thresholds, weekends and holidays included
  await waitFor(async () => (await historyTypes(handle)).includes('stale_parked'));
  await skip(t.env, handle, '60 days');
  const types = await historyTypes(handle);
  expect(types.filter((x) => x === 'stale')).toHaveLength(4);
  expect(types.filter((x) => x === 'reassigned')).toHaveLength(3);
  expect(types.filter((x) => x === 'stale_parked')).toHaveLength(1);
  expect(await t.db.task.count({ where: { leadId, kind: 'stale_parked' } })).toBe(1);

  // A touch starts the clock again.
  const touched = await act(handle, 'recordContact', { outcome: 'reached' }, 'sales:finally');
  expect(touched).toMatchObject({ stage: 'qualifying', stale: false, staleReassignments: 0 });
});

test('a lead closed while it waits for a free manager ends there: no SLA ladder on a closed lead', async () => {
  const active = await t.db.manager.findMany({ where: { active: true }, select: { id: true } });
  await t.db.manager.updateMany({ data: { active: false } });
  try {
    const leadId = await seedLead(t.db);
    const handle = await t.env.client.workflow.start(leadWorkflow, {
      workflowId: `lead-${leadId}`,
      taskQueue: t.worker.taskQueue,
      args: [{ leadId, kind: 'lead', sourceChannel: 'web_form' }],
    });
    await waitFor(async () => (await historyTypes(handle)).includes('not_distributed'));
    await act(handle, 'optOut', { reason: 'found someone else' }, 'sales:boris');
    expect(await handle.result()).toMatchObject({ stage: 'closed', closedReason: 'opted_out' });
    const types = await historyTypes(handle);
    expect(types).not.toContain('sla_reminder');
    expect(types).not.toContain('assigned');
  } finally {
    await t.db.manager.updateMany({ where: { id: { in: active.map((m) => m.id) } }, data: { active: true } });
  }
});
