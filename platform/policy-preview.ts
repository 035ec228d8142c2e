// What-if (POST /policies/preview): the open leads whose deadline a proposed version would move,
// whatever they wait on — the SLA ladder, the client's consent, a partner's answer, a deal's
// check-in, a re-engagement touch or its reply — with the old and new deadline each. Computed as
// the lead computes it: the wait and its anchor from the read model (platform/lead-waits.ts), the
// deadline from domain/deadlines.ts, in the policy in force for the lead's team. Nothing is stored.
import type { Db } from './db';
import type { DealStage } from '../domain/actions';
import { dueOf, type WaitKind } from '../domain/deadlines';
import { TERMINAL } from '../domain/lifecycle';
import { LeadPolicy } from '../domain/policy';
import { mergePolicy } from '../domain/policy-rules';
import { loadEvents, WAIT_KINDS, waitOf } from './lead-waits';
import { DEFAULT_SCOPE, teamOfScope, teamScope, versionInForce } from './policies';

export interface PreviewItem {
  leadId: string;
  stage: string;
  /** The wait whose deadline moves. */
  kind: WaitKind;
  /** For a deal check-in: the deal stage whose silence it counts. */
  dealStage?: DealStage;
  /** Where the wait began (ISO): the deadline is counted from it. */
  anchor: string;
  from: string;
  to: string;
  /** The new deadline is already past: the wait ends at once (a reminder sent, a consent window closed, …). */
  firesNow: boolean;
}
export interface KindCounts {
  waiting: number;
  changed: number;
  firesNow: number;
}
export interface Preview {
  scope: string;
  /** Open leads the version applies to. */
  openLeads: number;
  /** Of them, waiting on a deadline set by policy (the deadlines a version moves). */
  waiting: number;
  /** Leads whose deadline would move. */
  changed: number;
  /** Of them, those whose new deadline is already past. */
  firesNow: number;
  /** The same three counts for each kind of wait. */
  byKind: Record<WaitKind, KindCounts>;
  /** The leads whose deadline moves (the first `limit`, by lead id). */
  items: PreviewItem[];
}

/** `body`: the scope's proposed version as it would be stored (validated by the caller). */
export async function previewPolicy(db: Db, scope: string, body: unknown, now = new Date(), limit = 1000): Promise<Preview> {
  const team = teamOfScope(scope);
  const managers = team ? (await db.manager.findMany({ where: { teamId: team }, select: { id: true } })).map((m) => m.id) : undefined;
  const leads = await db.lead.findMany({
    where: { stage: { notIn: [...TERMINAL] }, ...(managers ? { managerId: { in: managers } } : {}) },
    select: { id: true, stage: true, slaFrom: true, managerId: true },
    orderBy: { id: 'asc' },
  });
  const teamOf = new Map(
    (
      await db.manager.findMany({
        where: { id: { in: [...new Set(leads.flatMap((l) => (l.managerId ? [l.managerId] : [])))] } },
        select: { id: true, teamId: true },
      })
    ).map((m) => [m.id, m.teamId]),
  );
  const events = await loadEvents(
    db,
    leads.map((l) => l.id),
  );

  const defaultNow = await versionInForce(db, DEFAULT_SCOPE, now);
  const policies = new Map<string, { current: LeadPolicy; proposed: LeadPolicy }>();
  async function policiesOf(teamId: string | null) {
    const key = teamId ?? '';
    if (!policies.has(key)) {
      const teamNow = teamId ? await versionInForce(db, teamScope(teamId), now) : null;
      const current = LeadPolicy.parse(mergePolicy(defaultNow?.body ?? {}, teamNow?.body ?? {}));
      const proposed = LeadPolicy.parse(team ? mergePolicy(defaultNow?.body ?? {}, body) : mergePolicy(body, teamNow?.body ?? {}));
      policies.set(key, { current, proposed });
    }
    return policies.get(key)!;
  }

  const byKind = Object.fromEntries(WAIT_KINDS.map((k) => [k, { waiting: 0, changed: 0, firesNow: 0 }])) as Record<WaitKind, KindCounts>;
  const out: Preview = { scope, openLeads: leads.length, waiting: 0, changed: 0, firesNow: 0, byKind, items: [] };
  for (const l of leads) {
    const wait = waitOf(l, events.get(l.id)!);
    if (!wait) continue;
    const counts = byKind[wait.kind];
    out.waiting += 1;
    counts.waiting += 1;
    const p = await policiesOf((l.managerId && teamOf.get(l.managerId)) || null);
    const before = dueOf(p.current, wait.kind, wait.anchor, wait.dealStage);
    const after = dueOf(p.proposed, wait.kind, wait.anchor, wait.dealStage);
    if (before === after) continue;
    const firesNow = after <= now.getTime();
    out.changed += 1;
    counts.changed += 1;
    if (firesNow) {
      out.firesNow += 1;
      counts.firesNow += 1;
    }
    if (out.items.length < limit) {
      out.items.push({
        leadId: l.id,
        stage: l.stage,
        kind: wait.kind,
        ...(wait.dealStage ? { dealStage: wait.dealStage } : {}),
        anchor: new Date(wait.anchor).toISOString(),
        from: new Date(before).toISOString(),
        to: new Date(after).toISOString(),
        firesNow,
      });
    }
  }
  return out;
}
