// The SLA ladder of the lead workflow, fast: the workflow's own timers and decisions under
// time-skipping with the production durations, its activities faked in memory (no PostgreSQL).
// The rule, in business time from the last touch: a reminder to the owner after 4 working hours,
// an escalation to the team lead after 9 (one working day), stale after 2 business days and
// reassigned. A touch starts the ladder again; a new policy that moves the deadline being waited
// on re-arms its timer, once. sla.test.ts and policy.test.ts run the same ladder on the real
// activities and database; this file shows the rule and fails fast when the workflow breaks it.
import type { WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { LeadActivities } from '../../activities';
import type { Assignment } from '../../activities/assignment';
import { addBusinessTime, businessDayMs } from '../../domain/calendar';
import type { Transition } from '../../domain/lifecycle';
import { defaultPolicy } from '../../domain/policy';
import type { TransitionType } from '../../domain/vocabulary';
import { leadWorkflow } from '../../workflows/lead';
import * as M from '../../workflows/messages';
import { act, historyTypes, skipUntil, until, waitFor, type LeadHandle } from '../helpers/lead';
import { memoryCodec, runMockedWorker, timeSkippingEnv, type RunningWorker } from '../helpers/temporal';

const HOUR = 3_600_000;
const MINUTE = 60_000;
const cal = defaultPolicy().calendar;

/** The ladder's deadlines from a touch at `from`, in the trade's figures (domain/policy.ts defaults). */
const ladderFrom = (from: number) => ({
  reminder: addBusinessTime(cal, from, 4 * HOUR),
  escalation: addBusinessTime(cal, from, 9 * HOUR),
  stale: addBusinessTime(cal, from, 2 * businessDayMs(cal)),
});

// --- the world the activities see, in memory ------------------------------------------------------
interface Task {
  leadId: string;
  kind: string;
  assignee: string;
  dueAt?: string;
}
const tasks: Task[] = [];
const readModel = new Map<string, { stale: boolean; managerId?: string }>();
/** Team "moscow": anna and boris, led by tatiana. Assignment takes the first one not excluded. */
const MANAGERS = ['anna', 'boris'];

const activities: Partial<LeadActivities> = {
  async assignManager(req: { leadId: string; exclude?: string[] }): Promise<Assignment | null> {
    const managerId = MANAGERS.find((m) => !req.exclude?.includes(m));
    return managerId ? { managerId, teamLeadId: 'tatiana', reason: 'first free' } : null;
  },
  async createTask(task) {
    tasks.push(task);
  },
  async recordTransitions(leadId: string, _transitions: Transition[], model) {
    readModel.set(leadId, { stale: model.stale, managerId: model.managerId });
  },
  async completeTasks() {
    return 0;
  },
};

// --- the time-skipping server and a worker on those activities -----------------------------------
let env: TestWorkflowEnvironment;
let worker: RunningWorker;
jest.setTimeout(60_000);
// As in the integration tests (helpers/temporal timeSkippingStack): one retry, on fresh leads, for
// the Java test server's rare stall.
jest.retryTimes(1, { logErrorsBeforeRetry: true });
beforeAll(async () => {
  const codec = memoryCodec();
  env = await timeSkippingEnv(codec);
  worker = await runMockedWorker(env.nativeConnection, activities, codec);
});
afterAll(async () => {
  await worker?.stop();
  await env?.teardown();
});

let leads = 0;
async function startLead(): Promise<{ leadId: string; handle: LeadHandle; from: number }> {
  const leadId = `fast-${process.pid}-${++leads}-${Date.now()}`;
  const handle = await env.client.workflow.start(leadWorkflow, {
    workflowId: `lead-${leadId}`,
    taskQueue: worker.taskQueue,
    args: [{ leadId, kind: 'lead', sourceChannel: 'web_form' }],
  });
  const s = await until(handle, (x) => !!x.managerId);
  return { leadId, handle, from: Date.parse(s.slaFrom) };
}

const tasksOf = (leadId: string, kind: string) => tasks.filter((t) => t.leadId === leadId && t.kind === kind);
/** The time of the lead's first transition of `type` (epoch ms), once it is there. */
async function when(handle: LeadHandle, type: TransitionType): Promise<number> {
  await waitFor(async () => (await historyTypes(handle)).includes(type));
  return Date.parse((await handle.query(M.getHistory)).find((t) => t.type === type)!.at);
}
const count = async (handle: LeadHandle, type: string) => (await historyTypes(handle)).filter((t) => t === type).length;
const timers = async (handle: WorkflowHandle) => {
  const events = (await handle.fetchHistory()).events ?? [];
  const started = events.filter((e) => e.timerStartedEventAttributes).length;
  return { started, canceled: events.filter((e) => e.timerCanceledEventAttributes).length };
};

test('untouched: reminded after 4 working hours, escalated to the team lead after 9, stale after 2 business days, reassigned', async () => {
  const { leadId, handle, from } = await startLead();
  const due = ladderFrom(from);
  expect(due.stale - from).toBeGreaterThanOrEqual(2 * 9 * HOUR); // two working days, never sooner

  await skipUntil(env, handle, due.reminder - MINUTE);
  expect(await historyTypes(handle)).not.toContain('sla_reminder');
  await skipUntil(env, handle, due.reminder + MINUTE);
  expect(await when(handle, 'sla_reminder')).toBeGreaterThanOrEqual(due.reminder);
  expect(tasksOf(leadId, 'sla_reminder')).toEqual([expect.objectContaining({ assignee: 'manager:anna' })]);

  await skipUntil(env, handle, due.escalation - MINUTE);
  expect(await historyTypes(handle)).not.toContain('sla_escalated');
  await skipUntil(env, handle, due.escalation + MINUTE);
  expect(await when(handle, 'sla_escalated')).toBeGreaterThanOrEqual(due.escalation);
  expect(tasksOf(leadId, 'sla_escalation')).toEqual([expect.objectContaining({ assignee: 'team_lead:tatiana' })]);

  await skipUntil(env, handle, due.stale - MINUTE);
  expect((await handle.query(M.getState)).stale).toBe(false);
  await skipUntil(env, handle, due.stale + MINUTE);
  const stale = await until(handle, (s) => s.stale && s.managerId === 'boris');
  expect(stale.stage).toBe('awaiting_first_contact');
  expect(await when(handle, 'stale')).toBeGreaterThanOrEqual(due.stale);
  expect((await historyTypes(handle)).slice(-2)).toEqual(['stale', 'reassigned']);
  // The new owner gets the call to make; the read model says stale, with its new manager.
  expect(tasksOf(leadId, 'first_contact').map((t) => t.assignee)).toEqual(['manager:anna', 'manager:boris']);
  await waitFor(async () => readModel.get(leadId)?.stale === true && readModel.get(leadId)?.managerId === 'boris');
});

test('a touch starts the ladder again: the reminder falls 4 working hours after the touch, not after assignment', async () => {
  const { handle, from } = await startLead();
  const first = ladderFrom(from);
  await skipUntil(env, handle, first.reminder - HOUR);
  const touched = await act(handle, 'recordContact', { outcome: 'no_answer' }, 'sales:anna');
  const again = ladderFrom(Date.parse(touched.slaFrom));
  expect(again.reminder).toBeGreaterThan(first.reminder);

  await skipUntil(env, handle, first.reminder + MINUTE);
  expect(await historyTypes(handle)).not.toContain('sla_reminder');
  await skipUntil(env, handle, again.reminder - MINUTE);
  expect(await historyTypes(handle)).not.toContain('sla_reminder');
  await skipUntil(env, handle, again.reminder + MINUTE);
  expect(await when(handle, 'sla_reminder')).toBeGreaterThanOrEqual(again.reminder);
  // The escalation, too, counts from the touch.
  await skipUntil(env, handle, first.escalation + MINUTE);
  expect(await historyTypes(handle)).not.toContain('sla_escalated');
  await skipUntil(env, handle, again.escalation + MINUTE);
  expect(await when(handle, 'sla_escalated')).toBeGreaterThanOrEqual(again.escalation);
});

test('a new policy that moves the deadline waited on re-arms its timer once; one that moves nothing re-arms none', async () => {
  const { handle, from } = await startLead();
  const old = ladderFrom(from).reminder;
  const later = addBusinessTime(cal, from, 6 * HOUR);
  await skipUntil(env, handle, from); // idle: the reminder's timer is armed
  const armed = await timers(handle);

  await handle.signal(M.policyChanged, { version: 'slower-v2', policy: { firstContact: { reminderAfterBusinessHours: 6 } } });
  await waitFor(async () => (await count(handle, 'deadline_moved')) === 1);
  const moved = (await handle.query(M.getHistory)).find((t) => t.type === 'deadline_moved')!;
  expect(moved.reason).toContain('(policy slower-v2)');
  expect(moved.reason).toContain('reminder after 6 working hours'); // the step as the new version states it
  // Only the deal check-ins and re-engagement change: the reminder's deadline stays where v2 put it.
  await handle.signal(M.policyChanged, {
    version: 'deals-v3',
    policy: { firstContact: { reminderAfterBusinessHours: 6 }, reengagement: { interval: '60 days' } },
  });
  await waitFor(async () => (await count(handle, 'policy_applied')) === 2);
  await skipUntil(env, handle, from);
  expect(await timers(handle)).toEqual({ started: armed.started + 1, canceled: armed.canceled + 1 });
  expect(await count(handle, 'deadline_moved')).toBe(1);

  await skipUntil(env, handle, old + MINUTE);
  expect(await historyTypes(handle)).not.toContain('sla_reminder');
  await skipUntil(env, handle, later + MINUTE);
  const at = await when(handle, 'sla_reminder');
  expect(at).toBeGreaterThanOrEqual(later);
  expect(at).toBeLessThan(later + MINUTE);
});
