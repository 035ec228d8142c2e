// The roster's clock: a vacation booked ahead begins and ends by its dates, with nobody pressing a
// button. A sweep (the `roster-sweep` Schedule) tells the leads when that happens — an absence
// that has begun sends its manager's open leads to others, one over by date wakes the leads
// waiting for a manager. Each absence is announced once (`announcedAt`, `overAt`).
import type { Client } from '@temporalio/client';
import { covers } from '../domain/roster';
import { reassignLeadsOf, wakeLeadsWaitingForManager } from '../platform/roster';
import type { Db } from '../platform/db';

export interface RosterSweepOutcome {
  begun: number;
  leadsReassigned: number;
  over: number;
  woken: number;
}

export function rosterActivities(db: Db, temporal?: { client: Client }) {
  return {
    async sweepRoster(): Promise<RosterSweepOutcome> {
      if (!temporal) throw new Error('the roster sweep needs a Temporal client (createActivities opts.temporal)');
      const now = new Date();
      const out: RosterSweepOutcome = { begun: 0, leadsReassigned: 0, over: 0, woken: 0 };
      const due = await db.managerAbsence.findMany({ where: { announcedAt: null, fromAt: { lte: now } }, orderBy: { fromAt: 'asc' } });
      for (const a of due) {
        // Signal first, mark after: a sweep cut short signals again, and a lead ignores a repeat.
        if (covers(a, now)) {
          out.leadsReassigned += await reassignLeadsOf(db, temporal.client, a.managerId, `manager away (${a.kind.replace('_', ' ')})`);
          out.begun += 1;
        }
        await db.managerAbsence.update({ where: { id: a.id }, data: { announcedAt: now } });
      }
      const over = await db.managerAbsence.findMany({ where: { overAt: null, untilAt: { lte: now } }, select: { id: true } });
      if (over.length) {
        out.woken = await wakeLeadsWaitingForManager(db, temporal.client);
        await db.managerAbsence.updateMany({ where: { id: { in: over.map((x) => x.id) } }, data: { overAt: now } });
        out.over = over.length;
      }
      return out;
    },
  };
}
