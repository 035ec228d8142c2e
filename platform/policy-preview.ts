// What-if (POST /policies/preview): the open leads on the SLA ladder whose deadline a proposed
// version would move, with the old and new deadline each, computed as the lead computes them —
// from its SLA anchor (read model `sla_from`), on the step it is on (its reminder and escalation
// since the anchor, lead_events), in the policy in force for its team. Nothing is stored.
import type { Db } from './db';
import { TERMINAL } from '../domain/lifecycle';
import { addBusinessTime } from '../domain/calendar';
import { LeadPolicy } from '../domain/policy';
import { mergePolicy } from '../domain/policy-rules';
import { staleAt } from '../domain/staleness';
import { DEFAULT_SCOPE, teamOfScope, teamScope, versionInForce } from './policies';
import { HOUR } from '../domain/time';

/** The stages whose wait is the manager's SLA ladder (workflows/lead.ts awaitManager). */
const LADDER_STAGES = ['verification', 'awaiting_first_contact', 'qualifying'];
const STEPS = ['reminder', 'escalation', 'stale'] as const;

export interface PreviewItem { leadId: string; stage: string; step: (typeof STEPS)[number]; from: string; to: string; firesNow: boolean }
export interface Preview {
  scope: string;
  /** Open leads the version applies to. */
  openLeads: number;
  /** Of them, waiting on the SLA ladder (the deadlines a version moves). */
  onSlaLadder: number;
  /** Leads whose deadline would move. */
  changed: number;
  /** Of them, those whose new deadline is already past: the step (reminder, escalation, stale) fires at once. */
  firesNow: number;
  /** The leads whose deadline moves (the first `limit`, by lead id). */
  items: PreviewItem[];
}

export function ladderDue(policy: LeadPolicy, from: number, step: number): number {
  const fc = policy.firstContact;
  const cal = policy.calendar;
  if (step === 0) return addBusinessTime(cal, from, fc.reminderAfterBusinessHours * HOUR);
  if (step === 1) return addBusinessTime(cal, from, fc.escalateAfterBusinessHours * HOUR);
  return staleAt(cal, from, fc.staleAfterBusinessDays);
}

/** `body`: the scope's proposed version as it would be stored (validated by the caller). */
export async function previewPolicy(db: Db, scope: string, body: unknown, now = new Date(), limit = 1000): Promise<Preview> {
  const team = teamOfScope(scope);
  const managers = team ? (await db.manager.findMany({ where: { teamId: team }, select: { id: true } })).map((m) => m.id) : undefined;
  const inScope = managers ? { managerId: { in: managers } } : {};
  const openLeads = await db.lead.count({ where: { stage: { notIn: [...TERMINAL] }, ...inScope } });
  const leads = await db.lead.findMany({
    where: { stage: { in: LADDER_STAGES }, slaFrom: { not: null }, ...(managers ? inScope : { managerId: { not: null } }) },
    select: { id: true, stage: true, slaFrom: true, managerId: true }, orderBy: { id: 'asc' },
  });
  const teamOf = new Map((await db.manager.findMany({
    where: { id: { in: [...new Set(leads.map((l) => l.managerId!))] } }, select: { id: true, teamId: true },
  })).map((m) => [m.id, m.teamId]));
  // The step each lead is on: the ladder's events since its anchor.
  const events = await db.leadEvent.findMany({
    where: { leadId: { in: leads.map((l) => l.id) }, type: { in: ['sla_reminder', 'sla_escalated', 'stale', 'stale_parked'] } },
    select: { leadId: true, type: true, at: true },
  });
  const since = new Map<string, string[]>();
  const byId = new Map(leads.map((l) => [l.id, l]));
  for (const l of leads) since.set(l.id, []);
  for (const e of events) {
    const l = byId.get(e.leadId);
    if (l && e.at >= l.slaFrom!) since.get(e.leadId)!.push(e.type);
  }

  const defaultNow = await versionInForce(db, DEFAULT_SCOPE, now);
  const policies = new Map<string, { current: LeadPolicy; proposed: LeadPolicy }>();
  async function policiesOf(teamId: string | null) {
    const key = teamId ?? '';
    if (!policies.has(key)) {
      const teamNow = teamId ? await versionInForce(db, teamScope(teamId), now) : null;
      const current = LeadPolicy.parse(mergePolicy(defaultNow?.body ?? {}, teamNow?.body ?? {}));
      const proposed = LeadPolicy.parse(team
        ? mergePolicy(defaultNow?.body ?? {}, body)
        : mergePolicy(body, teamNow?.body ?? {}));
      policies.set(key, { current, proposed });
    }
    return policies.get(key)!;
  }

  const out: Preview = { scope, openLeads, onSlaLadder: 0, changed: 0, firesNow: 0, items: [] };
  for (const l of leads) {
    const seen = since.get(l.id)!;
    if (seen.includes('stale_parked')) continue; // parked: nothing falls due until a touch
    const step = seen.includes('sla_escalated') ? 2 : seen.includes('sla_reminder') ? 1 : 0;
    out.onSlaLadder += 1;
    const p = await policiesOf(teamOf.get(l.managerId!) ?? null);
    const from = l.slaFrom!.getTime();
    const before = ladderDue(p.current, from, step);
    const after = ladderDue(p.proposed, from, step);
    if (before === after) continue;
    const firesNow = after <= now.getTime();
    out.changed += 1;
    if (firesNow) out.firesNow += 1;
    if (out.items.length < limit) {
      out.items.push({
        leadId: l.id, stage: l.stage, step: STEPS[step]!, from: new Date(before).toISOString(), to: new Date(after).toISOString(), firesNow,
      });
    }
  }
  return out;
}
