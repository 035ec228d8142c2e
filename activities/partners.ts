// The partner programme's activities: regrading, the end of a partner's notice, and the weekly
// reconciliation. All idempotent, so they retry freely.
import type { Db } from '../platform/db';
import { regradePartner } from '../platform/repos/partner-grades';
import { partnersToReconcile, reconcilePartner } from './reconciliation';

export function partnerActivities(db: Db) {
  return {
    async regradePartner(partnerId: string, actor: string) {
      return regradePartner(db, partnerId, actor);
    },

    /**
     * The notice period is over: the partner leaves the programme. Only a partner under notice
     * is rotated out, and a retry finds it already out and returns the first closing time.
     * Deals it already works stay with it; it has had no new offers since the notice.
     */
    async rotateOutPartner(partnerId: string, at: string): Promise<{ status: string; closedAt: string | null }> {
      await db.partner.updateMany({ where: { id: partnerId, status: 'leaving' }, data: { status: 'rotated_out', closedAt: new Date(at) } });
      const p = await db.partner.findUniqueOrThrow({ where: { id: partnerId } });
      return { status: p.status, closedAt: p.closedAt?.toISOString() ?? null };
    },

    async partnersToReconcile(): Promise<string[]> {
      return partnersToReconcile(db);
    },

    /** Dates as ISO strings: activity arguments cross Temporal as JSON. */
    async reconcilePartner(partnerId: string, from: string, to: string) {
      return reconcilePartner(db, partnerId, { from: new Date(from), to: new Date(to) });
    },
  };
}
