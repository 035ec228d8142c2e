// Keeps PostgreSQL's audit trail and read model in step with the workflow. Idempotent: events are
// keyed by (lead id, sequence) and the read model only moves forward in sequence.
import type { ClosedReason, Transition } from '../domain/lifecycle';
import type { Client } from '@temporalio/client';
import type { Db } from '../platform/db';
import { PriorityRaiser } from '../platform/lead-priority';
import { createAnnouncedTask } from '../platform/repos/tasks';
import { closeTasksDoneBy } from './tasks';

export interface ReadModel {
  stage: string;
  managerId?: string;
  partnerId?: string;
  stale: boolean;
  dealValueMinor?: number;
  currency?: string;
  optedOut: boolean;
  /** Why the lead was closed (stage `closed` only). */
  closedReason?: ClosedReason;
  topic?: string;
  /** Where the SLA clock starts (ISO) and the policy version the lead runs on: what a policy preview compares. */
  slaFrom?: string;
  policyVersion?: string;
}

// A flush in one statement: the transitions appended to the audit trail (keyed by lead and
// sequence, so a retry adds nothing) and the read model moved forward — only forward in sequence.
// The first flush of a lead's first run (its `received` transition, seq 1) also records that its
// workflow exists, so the intake sweeper leaves it alone. Intake no longer writes this after the
// start (a round trip on every intake); a lead whose first flush is more than a sweep interval
// late is started again by the sweeper, which finds it running (idempotent). That mark is set
// even when the read model is already ahead ($17, the last UPDATE), the two never both. The flush
// that ends a lead's first steps also lists its priority raise as due ($18, `due`), which the worker
// makes once this workflow task has completed (platform/lead-priority.ts).
const RECORD_SQL = `WITH due AS (
  INSERT INTO lead_priority_raises (lead_id, requested_at) SELECT $1, now() AT TIME ZONE 'UTC' WHERE $18::boolean
  ON CONFLICT (lead_id) DO NOTHING
), events AS (
  INSERT INTO lead_events (lead_id, seq, type, stage, actor, reason, at)
  SELECT $1, e.seq, e.type, e.stage, e.actor, e.reason, e.at::timestamp
  FROM jsonb_to_recordset($2::jsonb) AS e(seq int, type text, stage text, actor text, reason text, at text)
  ON CONFLICT (lead_id, seq) DO NOTHING
), moved AS (
  UPDATE leads SET
    stage = $4, manager_id = $5, partner_id = $6, stale = $7, deal_value_minor = $8::bigint, currency = $9,
    opted_out = $10, closed_reason = CASE WHEN $11::boolean THEN closed_reason ELSE $12::text END,
    topic = COALESCE($13::text, topic), sla_from = COALESCE($14::timestamp, sla_from),
    policy_version = COALESCE($15::text, policy_version), last_seq = $3,
    stage_changed_at = COALESCE($16::timestamp, stage_changed_at),
    workflow_started_at = COALESCE(workflow_started_at, $17::timestamp), updated_at = now() AT TIME ZONE 'UTC'
  WHERE id = $1 AND last_seq < $3
  RETURNING id
)
UPDATE leads SET workflow_started_at = $17::timestamp, updated_at = now() AT TIME ZONE 'UTC'
WHERE $17::timestamp IS NOT NULL AND id = $1 AND workflow_started_at IS NULL AND NOT EXISTS (SELECT 1 FROM moved)`;

const iso = (at: string) => new Date(at).toISOString(); // as the workflow wrote it, normalized to UTC

function recordParams(leadId: string, transitions: Transition[], model: ReadModel): unknown[] {
  const last = transitions[transitions.length - 1]!;
  const stageChange = [...transitions].reverse().find((t) => t.from !== t.to);
  const events = transitions.map((t) => ({
    seq: t.seq,
    type: t.type,
    stage: t.to,
    actor: t.actor,
    reason: t.reason ?? null,
    at: iso(t.at),
  }));
  return [
    leadId,
    JSON.stringify(events),
    last.seq,
    model.stage,
    model.managerId ?? null,
    model.partnerId ?? null,
    model.stale,
    model.dealValueMinor === undefined ? null : String(model.dealValueMinor),
    model.currency ?? null,
    model.optedOut,
    // A closed lead says why; an input scheduled before the column existed has none, and leaves it as it is.
    !model.closedReason && model.stage === 'closed',
    model.closedReason ?? null,
    model.topic ?? null,
    // Absent from runs older than policy-as-data: left as they are.
    model.slaFrom ?? null,
    model.policyVersion ?? null,
    stageChange ? iso(stageChange.at) : null,
    transitions[0]!.seq === 1 ? iso(transitions[0]!.at) : null,
  ];
}

/** The transition whose flush ends a lead's first steps: its first after `received`. */
const SETTLED_AT_SEQ = 2;
/** A flush carries a run of consecutive sequence numbers; each number is flushed once (retries aside). */
const carries = (transitions: Transition[], seq: number) => transitions[0]!.seq <= seq && transitions.at(-1)!.seq >= seq;

/** `temporal`: the worker's client, which raises a lead's task priority once its first steps are flushed (platform/lead-priority.ts). */
export function registryActivities(db: Db, temporal?: { client: Client }) {
  const raiser = temporal && new PriorityRaiser(temporal.client, db);
  return {
    /**
     * Appends transitions to the audit trail and refreshes the lead's read model; the open tasks
     * a transition did (a recorded call does "call the lead") are closed in the same commit.
     */
    async recordTransitions(leadId: string, transitions: Transition[], model: ReadModel): Promise<void> {
      if (transitions.length === 0) return;
      // Its first steps are done (the flush that carries its second transition: the manager's pick,
      // or "nobody free", written beside its first task): its priority raise is due, recorded with
      // the write (platform/lead-priority.ts).
      const raiseDue = !!raiser && carries(transitions, SETTLED_AT_SEQ);
      const write = db.$executeRawUnsafe(RECORD_SQL, ...recordParams(leadId, transitions, model), raiseDue);
      const closes = closeTasksDoneBy(db, leadId, transitions);
      // Most flushes close no task: one statement, no transaction around it.
      if (closes.length === 0) await write;
      else await db.$transaction([write, ...closes]);
      // From now on its tasks run with the staff's, ahead of new leads'. Raised at the first flush
      // instead, a burst's leads ran the rest of their first steps at the staff's priority, and a
      // staff Update queued behind them. Raised once this workflow task has completed, not inside it.
      if (raiseDue) raiser!.raiseSoon(leadId);
    },

    /**
     * Work for a person, keyed so a retried activity creates it once, and the notifications that
     * announce it (the outbox), in one transaction: a task is never without them, nor they without
     * it. A new task supersedes the open one of the same kind for the same lead and assignee (a
     * second reminder replaces the first).
     */
    async createTask(task: { key: string; leadId: string; assignee: string; kind: string; title: string; dueAt?: string }): Promise<void> {
      await createAnnouncedTask(db, task);
    },

    /**
     * Closes the open tasks of a lead whose stage is over. A partner's order to stop contact
     * stays open until the partner confirms it.
     */
    async completeTasks(leadId: string): Promise<number> {
      const res = await db.task.updateMany({
        where: { leadId, doneAt: null, kind: { not: 'stop_contact' } },
        data: { doneAt: new Date(), outcome: 'lead_ended', completedBy: 'system' },
      });
      return res.count;
    },
  };
}
