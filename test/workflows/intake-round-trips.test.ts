// A new lead's first steps cost one workflow task (issue 16, throughput): since the
// 'local-activities' patch its read model, its assignment and its first task are written by local
// activities inside the workflow task that starts it, instead of four activity tasks and the
// workflow tasks between them — each a round trip through the server.
import { seedManager, uid } from '../helpers/db';
import { idle, startLead } from '../helpers/lead';
import { timeSkippingStack } from '../helpers/temporal';

const t = timeSkippingStack({ seed: (db) => seedManager(db) });

test('a new lead is recorded, assigned and given its first task in one workflow task, with no activity task', async () => {
  const { leadId, handle } = await startLead(t.env, t.db, t.worker.taskQueue, { topic: uid('crm') });
  await idle(handle);
  expect(await t.db.task.count({ where: { leadId, kind: 'first_contact' } })).toBe(1);
  expect((await t.db.lead.findUniqueOrThrow({ where: { id: leadId } })).managerId).not.toBeNull();

  const events = (await handle.fetchHistory()).events ?? [];
  const untilTimer = events.slice(0, events.findIndex((e) => e.timerStartedEventAttributes) + 1);
  expect(untilTimer.length).toBeGreaterThan(0); // the SLA clock runs
  expect(events.filter((e) => e.activityTaskScheduledEventAttributes)).toEqual([]);
  expect(untilTimer.filter((e) => e.workflowTaskCompletedEventAttributes)).toHaveLength(1);
  // Each write is one marker in the history: the two flushes of the read model, the assignment and the task.
  expect(untilTimer.filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_local_activity')).toHaveLength(4);
});
