// A manager who leaves or falls ill: each of their open leads is told by a signal and its own
// workflow reassigns it, with the reason in the history, and the open tasks go with it. Production
// durations under time-skipping.
import { randomUUID } from 'node:crypto';
import { WorkflowUpdateStage } from '@temporalio/client';
import { rosterActivities } from '../../activities/roster';
import { reassignLeadsOf } from '../../platform/roster';
import { createActivities } from '../../activities';
import { seedLead, seedManager } from '../helpers/db';
import { act, historyTypes, idle, skip, startLead, until, waitFor } from '../helpers/lead';
import { runMockedWorker, testCodec, timeSkippingStack } from '../helpers/temporal';
import { leadWorkflow, leadWorkflowId } from '../../workflows/lead';
import * as M from '../../workflows/messages';

// Assignment compares all managers and these tests pick who is active: a database of its own.
const t = timeSkippingStack({ isolated: true });

/** Only `id` is active from now on. */
async function onlyActive(id: string): Promise<void> {
  await t.db.manager.updateMany({ where: { id: { not: id } }, data: { active: false } });
}

test('a deactivated manager with 2 open leads: both reassigned with reason "manager deactivated", their tasks moved', async () => {
  const old = await seedManager(t.db);
  await onlyActive(old);
  const first = await startLead(t.env, t.db, t.worker.taskQueue);
  const second = await startLead(t.env, t.db, t.worker.taskQueue);
  // One lead moved on to qualification; the other sat a working day and earned its manager a reminder.
  await act(second.handle, 'recordContact', { outcome: 'reached' }, `sales:${old}`);
  // Hour by hour (a weekend may lie in between) until the reminder, well before any escalation.
  while (!(await historyTypes(first.handle)).includes('sla_reminder')) await skip(t.env, first.handle, '1 hour');
  await idle(second.handle);
  const leadIds = [first.leadId, second.leadId];
  const oldTasks = await t.db.task.findMany({ where: { leadId: { in: leadIds }, assignee: `manager:${old}`, doneAt: null } });
  expect(oldTasks.map((x) => x.kind)).toEqual(expect.arrayContaining(['first_contact', 'sla_reminder']));

  const next = await seedManager(t.db);
  await t.db.manager.update({ where: { id: old }, data: { active: false } });
  expect(await reassignLeadsOf(t.db, t.env.client, old, 'manager deactivated')).toBe(2);

  for (const { handle } of [first, second]) {
    const s = await until(handle, (x) => x.managerId === next);
    expect(s.stage).not.toBe('closed');
    const history = await handle.query(M.getHistory);
    expect(history.filter((h) => h.type === 'reassigned').map((h) => h.reason)).toEqual([`${next}: manager deactivated (was ${old})`]);
    await idle(handle);
  }
  // The read model follows, the old manager has no open task on these leads, the new one has them all.
  await waitFor(async () => (await t.db.lead.count({ where: { id: { in: leadIds }, managerId: next } })) === 2);
  expect(await t.db.task.count({ where: { leadId: { in: leadIds }, assignee: `manager:${old}`, doneAt: null } })).toBe(0);
  const moved = await t.db.task.findMany({ where: { key: { in: oldTasks.map((x) => x.key) } } });
  expect(moved.every((x) => x.assignee === `manager:${next}` && !x.doneAt)).toBe(true);
  expect(await t.db.task.count({ where: { leadId: { in: leadIds }, assignee: `manager:${next}`, kind: 'reassigned' } })).toBe(2);
});

test('with nobody else free the lead keeps its manager on paper and ops are told; a later signal for another manager is ignored', async () => {
  const old = await seedManager(t.db);
  await onlyActive(old);
  const { leadId, handle } = await startLead(t.env, t.db, t.worker.taskQueue);
  await t.db.manager.update({ where: { id: old }, data: { active: false } });
  await waitFor(async () => (await t.db.lead.findUnique({ where: { id: leadId } }))?.managerId === old); // the read model the roster reads
  // A signal naming a manager who is not the lead's changes nothing.
  await handle.signal(M.managerUnavailable, { managerId: 'someone-else', reason: 'manager deactivated' });
  expect(await reassignLeadsOf(t.db, t.env.client, old, 'manager away (sick leave)')).toBe(1);
  await waitFor(async () => (await historyTypes(handle)).includes('manager_unavailable'));
  await idle(handle);
  const history = await handle.query(M.getHistory);
  expect(history.find((h) => h.type === 'manager_unavailable')?.reason).toBe(`${old}: manager away (sick leave); no other manager free`);
  expect(history.filter((h) => h.type === 'manager_unavailable')).toHaveLength(1);
  expect((await handle.query(M.getState)).managerId).toBe(old);
  expect(await t.db.task.count({ where: { leadId, assignee: 'ops', kind: 'not_distributed' } })).toBe(1);
});

test('a vacation booked ahead: when it begins the roster sweep reassigns the open leads once; when it is over, waiting leads are woken', async () => {
  const old = await seedManager(t.db);
  await onlyActive(old);
  const { leadId, handle } = await startLead(t.env, t.db, t.worker.taskQueue);
  await waitFor(async () => (await t.db.lead.findUnique({ where: { id: leadId } }))?.managerId === old);
  const next = await seedManager(t.db);
  // Booked a week ago for today: nobody was told when it was recorded (it did not cover that moment).
  const now = Date.now();
  const absence = await t.db.managerAbsence.create({
    data: {
      id: randomUUID(),
      managerId: old,
      kind: 'vacation',
      fromAt: new Date(now - 60_000),
      untilAt: new Date(now + 14 * 86_400_000),
      createdBy: 'ops:test',
    },
  });
  const sweep = rosterActivities(t.db, { client: t.env.client });
  expect(await sweep.sweepRoster()).toMatchObject({ begun: 1, leadsReassigned: 1, over: 0 });
  const s = await until(handle, (x) => x.managerId === next);
  expect((await handle.query(M.getHistory)).filter((h) => h.type === 'reassigned').map((h) => h.reason)).toEqual([
    `${next}: manager away (vacation) (was ${old})`,
  ]);
  // Announced once: the next sweep tells nobody again.
  expect(await sweep.sweepRoster()).toMatchObject({ begun: 0, leadsReassigned: 0 });
  expect(s.stage).toBe('awaiting_first_contact');
  // Over by its dates: the sweep marks it and wakes the leads waiting for a manager.
  await t.db.managerAbsence.update({ where: { id: absence.id }, data: { untilAt: new Date(now - 1000) } });
  expect(await sweep.sweepRoster()).toMatchObject({ over: 1 });
  expect(await sweep.sweepRoster()).toMatchObject({ over: 0 });
});

test('a reassignment made while the automatic pick is under way stands: the pick does not overwrite it', async () => {
  const picked = await seedManager(t.db);
  const chosen = await seedManager(t.db);
  await onlyActive(picked);
  await t.db.manager.update({ where: { id: chosen }, data: { active: true } });
  // The worker's own activities, with the manager's pick held until the reassignment is in.
  let entered!: () => void;
  const pickStarted = new Promise<void>((resolve) => (entered = resolve));
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  const real = createActivities(t.db);
  const worker = await runMockedWorker(
    t.env.nativeConnection,
    {
      ...real,
      assignManager: async (req) => {
        entered();
        await held;
        return real.assignManager(req);
      },
    },
    testCodec(t.db),
  );
  try {
    const leadId = await seedLead(t.db, { sourceChannel: 'web_form' });
    const handle = await t.env.client.workflow.start(leadWorkflow, {
      workflowId: leadWorkflowId(leadId),
      taskQueue: worker.taskQueue,
      args: [{ leadId, kind: 'lead', sourceChannel: 'web_form' }],
    });
    await pickStarted;
    // The pick is a local activity: the lead takes the reassignment once its workflow task has
    // outlived 80 % of its timeout with the pick still running (the SDK then completes the task and
    // the server sends the next, with the Update). Its own task write queues behind the pick.
    const reassigned = await handle.startUpdate(M.reassign, {
      args: [{ actor: 'team_lead:tl', input: { managerId: chosen, reason: 'knows the client' } }],
      waitForStage: WorkflowUpdateStage.ACCEPTED,
    });
    release();
    expect((await reassigned.result()).managerId).toBe(chosen);
    await idle(handle);
    const s = await handle.query(M.getState);
    expect(s.managerId).toBe(chosen);
    const types = await historyTypes(handle);
    expect(types).toContain('reassigned');
    expect(types).not.toContain('assigned');
    // The new owner has the reassignment's task; the picked manager got nothing.
    await waitFor(async () => (await t.db.task.count({ where: { leadId, assignee: `manager:${chosen}`, kind: 'reassigned' } })) === 1);
    expect(await t.db.task.count({ where: { leadId, assignee: `manager:${picked}` } })).toBe(0);
  } finally {
    await worker.stop();
  }
});
