// The roster changed (a manager added, back from leave, or freed): every lead that waits for a
// free manager is told at once, by a signal, instead of asking the database every hour for ever.
// Anything that changes the roster calls this — the roster API, ops after a change by hand.
import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import type { Db } from '../activities/db';
import { DISTRIBUTION_STAGES } from '../domain/alarms';
import { rosterChanged } from '../workflows/messages';

/** Signals each open lead that has no manager; answers how many were told. */
export async function wakeLeadsWaitingForManager(db: Db, temporal: Client): Promise<number> {
  const waiting = await db.lead.findMany({ where: { managerId: null, stage: { in: [...DISTRIBUTION_STAGES] } }, select: { id: true } });
  let told = 0;
  for (const { id } of waiting) {
    try {
      await temporal.workflow.getHandle(`lead-${id}`).signal(rosterChanged);
      told += 1;
    } catch (err) {
      // A lead that ended meanwhile (or whose process the intake sweeper has yet to start) waits for nothing.
      if (!(err instanceof WorkflowNotFoundError)) throw err;
    }
  }
  return told;
}
