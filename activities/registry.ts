// Keeps PostgreSQL's audit trail and read model in step with the workflow. Idempotent: events are
// keyed by (lead id, sequence) and the read model only moves forward in sequence.
import type { ClosedReason, Transition } from '../domain/lifecycle';
import { enqueueForTask } from '../notifications/outbox';
import type { Db } from '../platform/db';
import { insertTask } from '../platform/repos/tasks';
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

export function registryActivities(db: Db) {
  return {
    /**
     * Appends transitions to the audit trail and refreshes the lead's read model; the open tasks
     * a transition did (a recorded call does "call the lead") are closed in the same commit.
     */
    async recordTransitions(leadId: string, transitions: Transition[], model: ReadModel): Promise<void> {
      if (transitions.length === 0) return;
      const last = transitions[transitions.length - 1]!;
      const stageChange = [...transitions].reverse().find((t) => t.from !== t.to);
      await db.$transaction([
        db.leadEvent.createMany({
          data: transitions.map((t) => ({
            leadId,
            seq: t.seq,
            type: t.type,
            stage: t.to,
            actor: t.actor,
            reason: t.reason ?? null,
            at: new Date(t.at),
          })),
          skipDuplicates: true,
        }),
        db.lead.updateMany({
          where: { id: leadId, lastSeq: { lt: last.seq } },
          data: {
            stage: model.stage,
            managerId: model.managerId ?? null,
            partnerId: model.partnerId ?? null,
            stale: model.stale,
            dealValueMinor: model.dealValueMinor === undefined ? null : BigInt(model.dealValueMinor),
            currency: model.currency ?? null,
            optedOut: model.optedOut,
            // A closed lead says why; an input scheduled before the column existed has none, and leaves it as it is.
            closedReason: model.closedReason ?? (model.stage === 'closed' ? undefined : null),
            topic: model.topic ?? undefined,
            // Absent from runs older than policy-as-data: left as they are.
            ...(model.slaFrom ? { slaFrom: new Date(model.slaFrom) } : {}),
            ...(model.policyVersion ? { policyVersion: model.policyVersion } : {}),
            lastSeq: last.seq,
            ...(stageChange ? { stageChangedAt: new Date(stageChange.at) } : {}),
          },
        }),
        ...closeTasksDoneBy(db, leadId, transitions),
        // The first flush of a lead's first run (its `received` transition, seq 1) records that its
        // workflow exists, so the intake sweeper leaves it alone. Intake no longer writes this
        // after the start (a round trip on every intake); a lead whose first flush is more than a
        // sweep interval late is started again by the sweeper, which finds it running (idempotent).
        ...(transitions[0]!.seq === 1
          ? [
              db.lead.updateMany({
                where: { id: leadId, workflowStartedAt: null },
                data: { workflowStartedAt: new Date(transitions[0]!.at) },
              }),
            ]
          : []),
      ]);
    },

    /**
     * Work for a person, keyed so a retried activity creates it once, and the notifications that
     * announce it (the outbox), in one transaction: a task is never without them, nor they without
     * it. A new task supersedes the open one of the same kind for the same lead and assignee (a
     * second reminder replaces the first).
     */
    async createTask(task: { key: string; leadId: string; assignee: string; kind: string; title: string; dueAt?: string }): Promise<void> {
      await db.$transaction(async (tx) => {
        if (await insertTask(tx, task)) await enqueueForTask(tx, task);
      });
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
