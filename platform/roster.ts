// The roster changed (a manager added, back from leave, or freed): every lead that waits for a
// free manager is told at once, by a signal, instead of asking the database every hour for ever.
// Anything that changes the roster calls this — the roster API, ops after a change by hand.
// A manager who left or is away: each of their open leads is told, and its workflow reassigns it.
import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import type { Db } from './db';
import { leadWorkflowId } from '../workflows/lead';
import { DISTRIBUTION_STAGES } from '../domain/alarms';
import { TERMINAL } from '../domain/lifecycle';
import { managerUnavailable, rosterChanged } from '../workflows/messages';

/** Signals each open lead that has no manager; answers how many were told. */
export async function wakeLeadsWaitingForManager(db: Db, temporal: Client): Promise<number> {
  const waiting = await db.lead.findMany({ where: { managerId: null, stage: { in: [...DISTRIBUTION_STAGES] } }, select: { id: true } });
  return signalEach(
    waiting.map((l) => l.id),
    (id) => temporal.workflow.getHandle(leadWorkflowId(id)).signal(rosterChanged),
  );
}

/**
 * Signals each open lead of `managerId` (read model) that its manager is gone or away; the lead's
 * workflow picks another manager and moves the open tasks. Answers how many were told.
 */
export async function reassignLeadsOf(db: Db, temporal: Client, managerId: string, reason: string): Promise<number> {
  const open = await db.lead.findMany({ where: { managerId, stage: { notIn: [...TERMINAL] } }, select: { id: true } });
  return signalEach(
    open.map((l) => l.id),
    (id) => temporal.workflow.getHandle(leadWorkflowId(id)).signal(managerUnavailable, { managerId, reason }),
  );
}

async function signalEach(ids: string[], send: (id: string) => Promise<void>): Promise<number> {
  let told = 0;
  for (const id of ids) {
    try {
      await send(id);
      told += 1;
    } catch (err) {
      // A lead that ended meanwhile (or whose process the intake sweeper has yet to start) waits for nothing.
      if (!(err instanceof WorkflowNotFoundError)) throw err;
    }
  }
  return told;
}
