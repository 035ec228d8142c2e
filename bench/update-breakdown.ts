// Where a staff Update's time goes, read from its lead's history: the bench sends it with a known
// update id and notes when it went out and when the answer came; the history says when the
// workflow task that accepted it was scheduled, picked up by the worker and completed. So its
// latency splits into
//   before    sent → its task scheduled: the server taking it in, and the lead's task already in
//             flight (an Update waits for it: one workflow task at a time per workflow);
//   queue     scheduled → started: the task waiting on the server for a worker's poll (the part
//             task priority orders);
//   worker    started → completed: the worker running it, replay included when the lead was
//             evicted — and waiting inside the worker behind the other tasks it holds;
//   reply     completed → answered: the server returning the result.
// Timestamps of the bench and of the server come from the same machine's clock.
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { percentile } from './load';

const T = temporal.api.enums.v1.EventType;

export interface SentUpdate {
  leadId: string;
  updateId: string;
  sentAt: number;
  answeredAt?: number;
}

export interface UpdateBreakdown {
  /** Updates whose accepting workflow task was found in the history. */
  found: number;
  sent: number;
  /** Per part, ms: p50 and p90 over the Updates found. */
  before: { p50: number; p90: number };
  queue: { p50: number; p90: number };
  worker: { p50: number; p90: number };
  reply: { p50: number; p90: number };
  /** The three slowest Updates found, part by part (ms): where a tail comes from. */
  slowest?: Array<{ totalMs: number; before: number; queue: number; worker: number; reply: number }>;
}

const ms = (t: { seconds?: unknown; nanos?: number | null } | null | undefined): number | undefined =>
  t ? Number(t.seconds ?? 0) * 1000 + Math.floor((t.nanos ?? 0) / 1e6) : undefined;

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

/** The four parts of one Update's latency (ms), or undefined when the history does not show them. */
export function partsOf(events: HistoryEvent[], u: SentUpdate): [number, number, number, number] | undefined {
  if (u.answeredAt === undefined) return undefined;
  const accepted = events.findIndex(
    (e) =>
      e.eventType === T.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED &&
      e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.meta?.updateId === u.updateId,
  );
  if (accepted < 0) return undefined;
  // The task that accepted it is the last one completed before the acceptance.
  const completed = events
    .slice(0, accepted)
    .reverse()
    .find((e) => e.eventType === T.EVENT_TYPE_WORKFLOW_TASK_COMPLETED);
  const attrs = completed?.workflowTaskCompletedEventAttributes;
  if (!completed || !attrs) return undefined;
  const at = (id: unknown) => ms(events.find((e) => Number(e.eventId) === Number(id))?.eventTime);
  const scheduled = at(attrs.scheduledEventId);
  const started = at(attrs.startedEventId);
  const done = ms(completed.eventTime);
  if (scheduled === undefined || started === undefined || done === undefined) return undefined;
  return [scheduled - u.sentAt, started - scheduled, done - started, u.answeredAt - done];
}

/** Reads the histories of `sent` (after the load, so the reads do not add to it) and sums up the parts. */
export async function updateBreakdown(client: Client, sent: SentUpdate[]): Promise<UpdateBreakdown> {
  const parts: Array<[number, number, number, number]> = [];
  for (const u of sent) {
    const history = await client.workflow
      .getHandle(`lead-${u.leadId}`)
      .fetchHistory()
      .catch(() => undefined);
    const p = history ? partsOf(history.events ?? [], u) : undefined;
    if (p) parts.push(p);
  }
  const stat = (k: number) => {
    const xs = parts.map((p) => Math.max(0, p[k]!)).sort((a, b) => a - b);
    return { p50: Math.round(percentile(xs, 50)), p90: Math.round(percentile(xs, 90)) };
  };
  const slowest = [...parts]
    .sort((a, b) => b.reduce((x, y) => x + y, 0) - a.reduce((x, y) => x + y, 0))
    .slice(0, 3)
    .map(([before, queue, worker, reply]) => ({ totalMs: before + queue + worker + reply, before, queue, worker, reply }));
  return { found: parts.length, sent: sent.length, before: stat(0), queue: stat(1), worker: stat(2), reply: stat(3), slowest };
}
