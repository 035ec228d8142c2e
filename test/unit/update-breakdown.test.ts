// The bench's split of a staff Update's latency (bench/update-breakdown.ts), on a history shaped as
// the server writes one: the Update is accepted by the workflow task completed just before it.
import { temporal } from '@temporalio/proto';
import { partsOf } from '../../bench/update-breakdown';

const T = temporal.api.enums.v1.EventType;
const t0 = Date.UTC(2026, 11, 1, 10, 0, 0);
const at = (ms: number) => ({ seconds: Math.floor((t0 + ms) / 1000), nanos: ((t0 + ms) % 1000) * 1e6 });
const accepted = (eventId: number, ms: number, updateId: string) => ({
  eventId,
  eventType: T.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED,
  eventTime: at(ms),
  workflowExecutionUpdateAcceptedEventAttributes: { acceptedRequest: { meta: { updateId } } },
});
/** A workflow task's three events from `id` on: scheduled, started and completed at these times. */
const task = (id: number, scheduled: number, started: number, completed: number) => [
  { eventId: id, eventType: T.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED, eventTime: at(scheduled) },
  { eventId: id + 1, eventType: T.EVENT_TYPE_WORKFLOW_TASK_STARTED, eventTime: at(started) },
  {
    eventId: id + 2,
    eventType: T.EVENT_TYPE_WORKFLOW_TASK_COMPLETED,
    eventTime: at(completed),
    workflowTaskCompletedEventAttributes: { scheduledEventId: id, startedEventId: id + 1 },
  },
];
// Ids and seconds as plain numbers (the server's are Longs; the breakdown reads both with Number()).
const history = [
  { eventId: 1, eventType: T.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED, eventTime: at(0) },
  // An earlier task, completed before the Update came.
  ...task(2, 1, 2, 5),
  accepted(5, 5, 'other'),
  // The Update's task: scheduled 40 ms after it was sent, queued 60 ms, 250 ms at the worker.
  ...task(6, 1_040, 1_100, 1_350),
  accepted(9, 1_350, 'ours'),
] as unknown as temporal.api.history.v1.IHistoryEvent[];

test("an Update's latency splits into before its task, queued, at the worker and the reply", () => {
  const sent = { leadId: 'l', updateId: 'ours', sentAt: t0 + 1_000, answeredAt: t0 + 1_420 };
  expect(partsOf(history, sent)).toEqual([40, 60, 250, 70]);
  // The other Update was accepted by the earlier task.
  expect(partsOf(history, { ...sent, updateId: 'other', sentAt: t0, answeredAt: t0 + 9 })).toEqual([1, 1, 3, 4]);
});

test('an Update not in the history, or never answered, has no parts', () => {
  expect(partsOf(history, { leadId: 'l', updateId: 'missing', sentAt: t0, answeredAt: t0 + 1 })).toBeUndefined();
  expect(partsOf(history, { leadId: 'l', updateId: 'ours', sentAt: t0 })).toBeUndefined();
});
