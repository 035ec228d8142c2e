// Leads that wait for a long time: for a free manager, in a silent deal, in re-engagement. Each
// wait is driven by a timer or a signal, never by polling, and a run's history stays small however
// long the lead lives (continue-as-new). Production durations under time-skipping.
import type { WorkflowHandle } from '@temporalio/client';
import { addBusinessTime, businessDayMs } from '../../domain/calendar';
import { defaultPolicy } from '../../domain/policy';
import { wakeLeadsWaitingForManager } from '../../platform/roster';
import { leadWorkflow } from '../../workflows/lead';
import { LeadStage } from '../../workflows/search-attributes';
import { seedLead, seedManager } from '../helpers/db';
import { act, as, historyTypes, idle, skip, startLead, until, waitFor } from '../helpers/lead';
import { timeSkippingStack } from '../helpers/temporal';

// Assignment compares all managers, and these tests take them all away: a database of its own.
const t = timeSkippingStack({ isolated: true, seed: (db) => seedManager(db) });
const by = as('sales:anna');
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** Every run of a workflow, last to first, with its number of events. */
async function runs(workflowId: string): Promise<Array<{ runId: string; events: number }>> {
  const out: Array<{ runId: string; events: number }> = [];
  let runId: string | undefined = (await t.env.client.workflow.getHandle(workflowId).describe()).runId;
  while (runId) {
    const history: Awaited<ReturnType<WorkflowHandle['fetchHistory']>> = await t.env.client.workflow
      .getHandle(workflowId, runId)
      .fetchHistory();
    const events = history.events ?? [];
    out.push({ runId, events: events.length });
    runId = events[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId || undefined;
  }
  return out;
}

/** Runs `fn` with no active manager, then gives the managers back. */
async function withNobodyFree<T>(fn: () => Promise<T>): Promise<T> {
  const active = await t.db.manager.findMany({ where: { active: true }, select: { id: true } });
  await t.db.manager.updateMany({ data: { active: false } });
  try {
    return await fn();
  } finally {
    await t.db.manager.updateMany({ where: { id: { in: active.map((m) => m.id) } }, data: { active: true } });
  }
}

async function startUnassigned(): Promise<{ leadId: string; handle: WorkflowHandle<typeof leadWorkflow> }> {
  const leadId = await seedLead(t.db);
  const handle = await t.env.client.workflow.start(leadWorkflow, {
    workflowId: `lead-${leadId}`,
    taskQueue: t.worker.taskQueue,
    args: [{ leadId, kind: 'lead', sourceChannel: 'web_form' }],
  });
  await waitFor(async () => (await historyTypes(handle)).includes('not_distributed'));
  return { leadId, handle };
}

test('with nobody free a lead waits for a roster change, not an hourly poll, and a change wakes it at once', async () => {
  const { leadId, handle } = await withNobodyFree(async () => {
    const started = await startUnassigned();
    await skip(t.env, started.handle, '30 days');
    return started;
  });
  // A month without a manager: ops were told once, and the lead asked the roster once a week.
  const types = await historyTypes(handle);
  expect(types.filter((x) => x === 'not_distributed')).toHaveLength(1);
  expect(await t.db.task.count({ where: { leadId, kind: 'not_distributed' } })).toBe(1);
  const { events } = await handle.fetchHistory();
  // Since the local-activities patch the tries are local activities: every local-activity marker of
  // the month is counted (an upper bound) — the first try with its read-model writes and ops' task,
  // and the weekly safety net, not 720 hourly tries.
  const tries = (events ?? []).filter(
    (e) =>
      e.activityTaskScheduledEventAttributes?.activityType?.name === 'assignManager' ||
      e.markerRecordedEventAttributes?.markerName === 'core_local_activity',
  ).length;
  expect(tries).toBeLessThanOrEqual(12);

  // A manager is back: the signal wakes the lead without any time passing.
  const before = await t.env.currentTimeMs();
  expect(await wakeLeadsWaitingForManager(t.db, t.env.client)).toBeGreaterThanOrEqual(1);
  const s = await until(handle, (x) => !!x.managerId);
  expect(s.stage).toBe('awaiting_first_contact');
  expect((await t.env.currentTimeMs()) - before).toBeLessThan(HOUR);
  expect(await historyTypes(handle)).toContain('assigned');
});

test('a lead that waits a year in each long stage keeps every run under 1,000 events', async () => {
  // Nobody free for a year.
  const unassigned = await withNobodyFree(async () => {
    const { handle } = await startUnassigned();
    await skip(t.env, handle, '365 days');
    return handle;
  });
  // Untouched by its managers for a year (stale, reassigned, parked).
  const untouched = (await startLead(t.env, t.db, t.worker.taskQueue)).handle;
  await skip(t.env, untouched, '365 days');
  // A deal nobody moves for a year (a check-in every few weeks).
  const silent = (await startLead(t.env, t.db, t.worker.taskQueue)).handle;
  await act(silent, 'recordContact', { outcome: 'reached' }, by);
  await act(silent, 'qualify', { target: true, route: 'ours', reason: 'fits', compare: 1 }, by);
  await skip(t.env, silent, '365 days');
  // Refused, re-engaged every 75 days for a year (a run per cycle).
  const refused = (await startLead(t.env, t.db, t.worker.taskQueue)).handle;
  await act(refused, 'recordContact', { outcome: 'refused', note: 'not now' }, by);
  await skip(t.env, refused, '365 days');

  for (const [name, handle] of [
    ['unassigned', unassigned],
    ['untouched', untouched],
    ['silent deal', silent],
    ['re-engaged', refused],
  ] as const) {
    await idle(t.env.client.workflow.getHandle(handle.workflowId));
    const chain = await runs(handle.workflowId);
    const largest = Math.max(...chain.map((r) => r.events));
    expect({ name, largest: largest < 1000 }).toEqual({ name, largest: true });
  }
  expect((await runs(refused.workflowId)).length).toBeGreaterThanOrEqual(4);
});

test('a run that continues as new shows ops its memo and stage at once, not at its next transition months later', async () => {
  const { handle } = await startLead(t.env, t.db, t.worker.taskQueue);
  await act(handle, 'recordContact', { outcome: 'refused', note: 'call in spring' }, by);
  const policy = defaultPolicy();
  // One re-engagement cycle: the touch after 75 days, 14 days for a reply, then a new run.
  await skip(t.env, handle, '90 days');
  const latest = t.env.client.workflow.getHandle(handle.workflowId);
  await waitFor(async () => (await runs(handle.workflowId)).length === 2);
  await idle(latest);
  const d = await latest.describe();
  expect(d.memo).toMatchObject({ summary: { stage: 'reengagement', attempt: 1 } });
  expect(d.typedSearchAttributes.get(LeadStage)).toBe('reengagement');
  // Nothing else happens in this run until the next touch, 75 days on.
  expect(policy.reengagement.interval).toBe('75 days');
});

test('the client has 3 business days to answer the consent question: a Friday qualification lasts past the weekend', async () => {
  const policy = defaultPolicy();
  const cal = policy.calendar;
  // Next Friday, 10:00 in Moscow.
  const now = await t.env.currentTimeMs();
  const mskMidnight = Math.floor((now + 3 * HOUR) / DAY) * DAY - 3 * HOUR; // as a UTC instant
  let friday = mskMidnight + DAY + 10 * HOUR;
  // A working Friday (not a holiday) whose next Monday and Tuesday are working days too.
  const working = (at: number) => addBusinessTime(cal, at, 0) === at;
  while (new Date(friday + 3 * HOUR).getUTCDay() !== 5 || !working(friday) || !working(friday + 3 * DAY) || !working(friday + 4 * DAY))
    friday += DAY;
  await t.env.sleep(friday - now);

  const { handle } = await startLead(t.env, t.db, t.worker.taskQueue);
  await act(handle, 'recordContact', { outcome: 'reached' }, by);
  const s = await act(handle, 'qualify', { target: true, route: 'partner', reason: 'not our practice', topic: 'erp', compare: 1 }, by);
  expect(s.stage).toBe('awaiting_consent');
  const asked = await t.env.currentTimeMs();

  // Tuesday noon: four calendar days later, still within three business days (Fri, Mon, Tue).
  const tuesdayNoon = asked + 4 * DAY + 2 * HOUR;
  expect(tuesdayNoon).toBeLessThan(addBusinessTime(cal, asked, 3 * businessDayMs(cal)));
  await skip(t.env, handle, tuesdayNoon - asked);
  const consent = { given: true, askedBy: 'sales:anna', channel: 'phone' as const, wording: 'May we pass your contacts to a colleague?' };
  const after = await act(handle, 'recordConsent', consent, by);
  expect(after.stage).not.toBe('reengagement');
  expect(await historyTypes(handle)).not.toContain('consent_timeout');
});
