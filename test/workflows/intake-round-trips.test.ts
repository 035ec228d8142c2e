// A new lead's first steps cost one workflow task (issue 16, throughput): since the
// 'local-activities' patch its read model, its assignment and its first task are written by local
// activities inside the workflow task that starts it, instead of four activity tasks and the
// workflow tasks between them — each a round trip through the server. On the dev server, started
// as intake starts it (its arrival priority, raised once its first steps are written — after
// their workflow task has completed, so the raise does not cost the lead a second one).
import type { temporal } from '@temporalio/proto';
import { leadWorkflowInput, startLeadWorkflow } from '../../platform/lead-start';
import { leadWorkflowId } from '../../workflows/lead';
import { seedLead, seedManager, testDb, uid } from '../helpers/db';
import { localActivityOf } from '../helpers/lead';
import { devServerPair, type DevServerPair } from '../helpers/temporal';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

const db = testDb();
let t: DevServerPair;
beforeAll(async () => {
  t = await devServerPair(db);
});
afterAll(async () => {
  await t?.close();
  await db.$disconnect();
});

test('a new lead is recorded, assigned and given its first task in one workflow task, with no activity task', async () => {
  const topic = uid('crm');
  await seedManager(db, { expertise: [topic] });
  const leadId = await seedLead(db, { sourceChannel: 'web_form', topic });
  const row = {
    id: leadId,
    kind: 'lead',
    sourceChannel: 'web_form',
    sourcePartnerId: null,
    region: null,
    topic,
    previousLeadId: null,
    returnedAfterOptOut: false,
  };
  await startLeadWorkflow(t.temporal, t.worker.taskQueue, leadWorkflowInput(row));
  const handle = t.temporal.workflow.getHandle(leadWorkflowId(leadId));

  // Done when its first task is in, the SLA clock runs and its priority is raised.
  let events: HistoryEvent[] = [];
  const done = () =>
    events.some((e) => e.timerStartedEventAttributes) && events.some((e) => e.workflowExecutionOptionsUpdatedEventAttributes);
  for (let i = 0; i < 200 && !done(); i++) {
    await new Promise((r) => setTimeout(r, 50));
    events = (await handle.fetchHistory()).events ?? [];
  }
  await new Promise((r) => setTimeout(r, 500)); // anything that would follow the raise has time to show
  events = (await handle.fetchHistory()).events ?? [];
  expect(await db.task.count({ where: { leadId, kind: 'first_contact' } })).toBe(1);
  expect((await db.lead.findUniqueOrThrow({ where: { id: leadId } })).managerId).not.toBeNull();

  expect(events.filter((e) => e.activityTaskScheduledEventAttributes)).toEqual([]);
  // The first workflow task wrote everything and started the SLA clock. Each write is one marker,
  // one at a time in the order the lead asked for them: the manager's pick, the first task, then
  // the read model with both transitions (received, assigned) in one flush.
  const [first, ...later] = events.filter((e) => e.workflowTaskCompletedEventAttributes);
  const byFirst = events.filter(
    (e) =>
      String(
        e.markerRecordedEventAttributes?.workflowTaskCompletedEventId ?? e.timerStartedEventAttributes?.workflowTaskCompletedEventId,
      ) === String(first!.eventId),
  );
  expect(byFirst.map((e) => localActivityOf(e)?.activityType).filter(Boolean)).toEqual([
    'assignManager',
    'createTask',
    'recordTransitions',
  ]);
  expect(byFirst.filter((e) => e.timerStartedEventAttributes)).toHaveLength(1);
  // The flush asked for the lead's priority to be raised, and the worker raised it once that task
  // had completed: the options event is the last of the history, and no workflow task follows it
  // (raised while the task ran, the event was buffered and the server sent one more, empty task).
  const raised = events.findIndex((e) => e.workflowExecutionOptionsUpdatedEventAttributes);
  expect(raised).toBeGreaterThan(events.indexOf(first!));
  expect(events.at(-1)).toBe(events[raised]);
  expect(later).toEqual([]);
  expect(events.filter((e) => e.workflowTaskScheduledEventAttributes)).toHaveLength(1);
  // And off the due list the flush put it on, so the intake sweeper leaves it alone.
  const due = () => db.leadPriorityRaise.count({ where: { leadId } });
  for (let i = 0; i < 50 && (await due()) > 0; i++) await new Promise((r) => setTimeout(r, 50));
  expect(await due()).toBe(0);
  await handle.terminate('test done');
});
