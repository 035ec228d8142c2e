// A lead's task priority (issue 16, backpressure). A burst of intake must not stand in front of
// the staff's actions: an Update is a workflow task on the lead's task queue like any other, and
// Temporal's matcher hands out tasks in priority order (1 first, 3 when none is set), FIFO within
// a priority. So a lead is started at `arriving`, below everything else, and runs its first steps
// there (first flush, the manager's pick, the first task); the flush that ends them, the one carrying
// its second transition (activities/registry.ts), raises it to `settled`, where the staff's Updates,
// timers and activities of every lead already taken in run. A backlog of new leads then waits behind
// them, not in front — all of its first steps, not only the first workflow task: raised at the first
// flush, a burst's leads ran the rest of their first steps at the staff's priority.
//
// The priority is the workflow's, kept by Temporal across continue-as-new; the raise is one
// WorkflowExecutionOptionsUpdated event in the lead's history, and schedules no workflow task —
// unless it lands while one is running: the event is then buffered and Temporal schedules one more,
// empty workflow task to deliver it. The flush that ends a lead's first steps is a local activity
// inside such a task, so the raise is not made there but `RAISE_DELAY_MS` later, once that task
// has completed (`PriorityRaiser`): a third of the Temporal server's CPU per new lead was that
// empty task. The flush records the raise as due (table lead_priority_raises) and the worker
// deletes the row once raised; a raise that never happens (the worker stopped within that moment,
// Temporal was down) is left there, and the intake sweeper makes it.
// A server without priority (older than 1.28, or the time-skipping test server) ignores the key at
// start and answers UNIMPLEMENTED to the raise: the lead then runs FIFO, as it did before.
import { type Client, isGrpcServiceError } from '@temporalio/client';
import type { Priority } from '@temporalio/common';
import { leadWorkflowId } from '../workflows/lead';
import { poolOf, type Db } from './db';

export const LEAD_PRIORITY = {
  /** A new lead's first workflow task: after everything already running. */
  arriving: { priorityKey: 4 },
  /** Once its first steps are flushed: Temporal's default, as every other workflow of the engine. */
  settled: { priorityKey: 3 },
} as const satisfies Record<string, Priority>;

const GRPC_INVALID_ARGUMENT = 3;
const GRPC_NOT_FOUND = 5;
const GRPC_FAILED_PRECONDITION = 9;
const GRPC_UNIMPLEMENTED = 12;
/** Answers that no retry would change: the lead is gone or closed, or the server refuses the field. It then keeps its arrival priority. */
const FINAL = new Set([GRPC_INVALID_ARGUMENT, GRPC_NOT_FOUND, GRPC_FAILED_PRECONDITION]);

/**
 * Raises the lead to `settled`. Idempotent (a second raise sets the same key again). A lead
 * already closed or erased needs no priority: final answers are taken as they are. A server that
 * has no priority (UNIMPLEMENTED) is remembered per client, so it is asked once. An outage throws:
 * the lead's raise stays due, and the intake sweeper tries again.
 */
export async function settleLeadPriority(client: Client, leadId: string): Promise<void> {
  if (unsupported.has(client)) return;
  try {
    await client.workflowService.updateWorkflowExecutionOptions({
      namespace: client.options.namespace,
      workflowExecution: { workflowId: leadWorkflowId(leadId) },
      workflowExecutionOptions: { priority: LEAD_PRIORITY.settled },
      updateMask: { paths: ['priority'] },
    });
  } catch (err) {
    if (isGrpcServiceError(err) && err.code === GRPC_UNIMPLEMENTED) unsupported.add(client);
    else if (!(isGrpcServiceError(err) && FINAL.has(err.code))) throw err;
  }
}

const unsupported = new WeakSet<Client>();

/**
 * How long after the flush that ends its first steps a lead is raised. That flush's workflow task
 * completes as soon as the workflow has taken the write's result (a few milliseconds; tens under a
 * burst); a raise that still lands inside it costs one empty workflow task, nothing else.
 */
const RAISE_DELAY_MS = 250;
/** Raised leads are cleared together, at most this long after their raise: one statement for many. */
const RECORD_DELAY_MS = 100;

/** The worker's raises, made outside the workflow task that asked for them, and cleared from the due list. */
export class PriorityRaiser {
  private readonly raised = new Set<string>();
  private recordTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly client: Client,
    private readonly db: Db,
  ) {}

  /** Raises the lead `RAISE_DELAY_MS` from now. A retried flush asks twice: the raise is idempotent. */
  raiseSoon(leadId: string): void {
    // unref: a pending raise never keeps a stopping worker alive; the sweeper makes it instead.
    setTimeout(() => void this.raise(leadId), RAISE_DELAY_MS).unref();
  }

  private async raise(leadId: string): Promise<void> {
    try {
      await settleLeadPriority(this.client, leadId);
    } catch (err) {
      // Temporal unreachable: the lead keeps its arrival priority until the intake sweeper raises it.
      console.warn('lead priority not raised; the intake sweeper will', {
        leadId,
        error: err instanceof Error ? err.message : String(err),
      });
      return;
    }
    this.raised.add(leadId);
    this.recordTimer ??= setTimeout(() => void this.record(), RECORD_DELAY_MS).unref();
  }

  private async record(): Promise<void> {
    this.recordTimer = undefined;
    const ids = [...this.raised];
    this.raised.clear();
    if (!ids.length) return;
    try {
      await clearDueRaises(this.db, ids);
    } catch (err) {
      // Raised but still listed as due: the sweeper raises them once more (idempotent) and clears them.
      console.warn('lead priority raised but still listed as due', {
        leads: ids.length,
        error: err instanceof Error ? err.message : String(err),
      });
    }
  }
}

/** These leads' raise is done (or there was nothing to raise): off the due list. */
export async function clearDueRaises(db: Db, leadIds: string[]): Promise<void> {
  await poolOf(db).query(`DELETE FROM lead_priority_raises WHERE lead_id = ANY($1::text[])`, [leadIds]);
}

/** The raises due for longer than `olderThanMs`, oldest first: those the worker did not make. */
export async function overdueRaises(db: Db, olderThanMs: number, limit: number): Promise<string[]> {
  const { rows } = await poolOf(db).query<{ lead_id: string }>(
    `SELECT lead_id FROM lead_priority_raises
      WHERE requested_at < now() AT TIME ZONE 'UTC' - make_interval(secs => $1::double precision / 1000)
      ORDER BY requested_at LIMIT $2`,
    [olderThanMs, limit],
  );
  return rows.map((r) => r.lead_id);
}
