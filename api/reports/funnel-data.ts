// Facts for the funnel report (domain/funnel.ts), read straight from PostgreSQL — no workflow is
// queried. Two queries whatever the number of leads, in one REPEATABLE READ snapshot so the
// leads and their events agree: the cohort's leads, and the events of the kinds the report reads
// (a relation filter, not a list of ids: no N+1 and no giant IN list).
import type { Db } from '../../platform/db';
import { FUNNEL_EVENT_TYPES, type FunnelLead } from '../../domain/funnel';

export interface FunnelFilter {
  /** Cohort: leads created in [from, to). */
  from: Date;
  to: Date;
  source?: string;
  sourcePartnerId?: string;
  managerId?: string;
  region?: string;
  campaign?: string;
}

export async function loadFunnelData(db: Db, f: FunnelFilter): Promise<FunnelLead[]> {
  const where = {
    createdAt: { gte: f.from, lt: f.to },
    sourceChannel: f.source,
    sourcePartnerId: f.sourcePartnerId,
    managerId: f.managerId,
    region: f.region,
    campaign: f.campaign,
  };
  const [leads, events] = await db.$transaction(
    [
      db.lead.findMany({
        where,
        select: { id: true, createdAt: true, sourceChannel: true, sourcePartnerId: true, managerId: true, region: true },
        orderBy: { id: 'asc' },
      }),
      db.leadEvent.findMany({
        where: { type: { in: [...FUNNEL_EVENT_TYPES] }, lead: { is: where } },
        select: { leadId: true, seq: true, type: true, stage: true, at: true },
        orderBy: [{ leadId: 'asc' }, { seq: 'asc' }],
      }),
    ],
    { isolationLevel: 'RepeatableRead' },
  );
  const byLead = new Map<string, FunnelLead>(leads.map((l) => [l.id, { ...l, events: [] }]));
  for (const e of events) byLead.get(e.leadId)?.events.push({ seq: e.seq, type: e.type, stage: e.stage, at: e.at });
  return [...byLead.values()];
}
