// Picks the responsible manager. One company never has two owners: a company already worked by
// a manager goes to that manager. Otherwise a configurable scheme among present, active managers
// with room: an inactive one, one away (an absence covering now) or a full one (open leads ≥
// capacity) is skipped.
import { ApplicationFailure } from '@temporalio/common';
import { isAway, isFull, LOAD_STAGES } from '../domain/roster';
import { policyInForce, type PolicyInForce } from '../platform/policies';
import type { Db } from '../platform/db';
import { decideOnce } from '../platform/decisions';

export type AssignmentScheme = 'round_robin' | 'least_loaded' | 'expertise';
export interface Assignment {
  managerId: string;
  teamLeadId?: string;
  reason: string;
  /** The policy in force for the manager's team (README, "Policy"): its leads count time in its calendar. */
  policy?: PolicyInForce;
}

const OPEN_STAGES = LOAD_STAGES;

// Everything a pick needs, in one round trip: the lead (its topic and region, and the manager who
// already owns an open lead of its company), and each active manager not excluded with what makes
// them present (absences) and their load (open leads, this one aside). One row per manager; a
// lead with no candidate is one row without a manager; an unknown lead is no row.
const CANDIDATES_SQL = `WITH lead AS (
  SELECT l.topic, l.region,
    (SELECT o.manager_id FROM leads o
      WHERE l.company_key IS NOT NULL AND o.company_key = l.company_key AND o.id <> l.id
        AND o.manager_id IS NOT NULL AND o.stage = ANY($3::text[])
      ORDER BY o.created_at LIMIT 1) AS owner
  FROM leads l WHERE l.id = $1
)
SELECT lead.topic, lead.region, lead.owner, m.*
FROM lead LEFT JOIN LATERAL (
  SELECT m.id, m.team_lead_id AS "teamLeadId", m.team_id AS "teamId", t.lead_id AS "teamsLead", m.capacity,
    m.expertise, m.territory,
    (extract(epoch FROM m.absent_from) * 1000)::float8 AS "absentFrom", (extract(epoch FROM m.absent_to) * 1000)::float8 AS "absentTo",
    (SELECT json_agg(json_build_object('fromAt', (extract(epoch FROM a.from_at) * 1000)::float8,
                                       'untilAt', (extract(epoch FROM a.until_at) * 1000)::float8))
       FROM manager_absences a WHERE a.manager_id = m.id AND a.ended_at IS NULL) AS absences,
    (SELECT count(*)::int FROM leads x WHERE x.manager_id = m.id AND x.stage = ANY($3::text[]) AND x.id <> $1) AS load
  FROM managers m LEFT JOIN teams t ON t.id = m.team_id
  WHERE m.active AND m.id <> ALL($2::text[])
) m ON true
ORDER BY m.id`;

interface CandidateRow {
  topic: string | null;
  region: string | null;
  owner: string | null;
  id: string | null;
  teamLeadId: string | null;
  teamId: string | null;
  teamsLead: string | null;
  capacity: number | null;
  expertise: string[];
  territory: string[];
  absentFrom: number | null;
  absentTo: number | null;
  absences: Array<{ fromAt: number; untilAt: number | null }> | null;
  load: number;
}

const at = (ms: number | null) => (ms === null ? null : new Date(ms));

/** A candidate manager with dates as the roster's rules (domain/roster.ts) take them. */
const candidate = (r: CandidateRow & { id: string }) => ({
  ...r,
  absentFrom: at(r.absentFrom),
  absentTo: at(r.absentTo),
  absences: (r.absences ?? []).map((a) => ({ fromAt: new Date(a.fromAt), untilAt: at(a.untilAt), endedAt: null })),
});

/** A pick as recorded: the assignment and the manager's team (whose policy the lead adopts). */
type ManagerPick = Omit<Assignment, 'policy'> & { teamId: string | null };

/** What the workflow asks: the lead, managers it must not go to, and the pick's key (platform/decisions.ts). */
export interface AssignRequest {
  leadId: string;
  exclude?: string[];
  /**
   * Names this pick among the lead's: a second run of the same workflow step (its workflow task
   * was lost with the worker) asks with the same key and gets the manager picked the first time.
   * Absent from activities scheduled before keys were given: picked afresh.
   */
  decision?: string;
}

export function assignmentActivities(db: Db, scheme: AssignmentScheme = 'least_loaded') {
  return {
    async assignManager(req: AssignRequest): Promise<Assignment | null> {
      const a = await choose(req);
      if (!a) return null;
      const { teamId, ...assignment } = a;
      return { ...assignment, policy: await policyInForce(db, teamId) };
    },

    /** The lead changed hands: the old manager's open tasks on it go to the new one (idempotent). */
    async moveOpenTasks(req: { leadId: string; from: string; to: string }): Promise<number> {
      const moved = await db.task.updateMany({
        where: { leadId: req.leadId, assignee: `manager:${req.from}`, doneAt: null },
        data: { assignee: `manager:${req.to}` },
      });
      return moved.count;
    },
  };

  /** The pick for `req`: the one recorded first under its key (platform/decisions.ts). */
  async function choose(req: AssignRequest): Promise<ManagerPick | null> {
    const rows = await db.$queryRawUnsafe<CandidateRow[]>(CANDIDATES_SQL, req.leadId, req.exclude ?? [], OPEN_STAGES);
    const lead = rows[0];
    if (!lead) throw ApplicationFailure.nonRetryable(`lead ${req.leadId} is not in the registry`, 'UnknownLead');
    return decideOnce(db, req.leadId, req.decision, () => pickAmong(req, lead, rows));
  }

  async function pickAmong(req: AssignRequest, lead: CandidateRow, rows: CandidateRow[]): Promise<ManagerPick | null> {
    const now = new Date();
    const candidates = rows.filter((r): r is CandidateRow & { id: string } => r.id !== null).map(candidate);
    const present = candidates.filter((m) => !isAway(m, now));
    if (present.length === 0) return null;
    const managers = present.filter((m) => !isFull(m.capacity, m.load));
    if (managers.length === 0) return null;
    const pick = (managerId: string, reason: string) => {
      const m = managers.find((x) => x.id === managerId)!;
      // The manager's own team lead, else their team's.
      const teamLeadId = m.teamLeadId ?? (m.teamsLead !== m.id ? m.teamsLead : null);
      return { managerId, teamLeadId: teamLeadId ?? undefined, reason, teamId: m.teamId };
    };

    if (lead.owner && managers.some((m) => m.id === lead.owner)) return pick(lead.owner, 'company owner');

    const byLoad = (a: { id: string; load: number }, b: { id: string; load: number }) => a.load - b.load || a.id.localeCompare(b.id);

    if (scheme === 'expertise') {
      const fit = managers.filter(
        (m) => (lead.topic && m.expertise.includes(lead.topic)) || (lead.region && m.territory.includes(lead.region)),
      );
      if (fit.length > 0) return pick([...fit].sort(byLoad)[0]!.id, 'expertise/territory');
    }
    if (scheme === 'round_robin') {
      const lastAssigned = await db.lead.findFirst({
        where: { managerId: { in: managers.map((m) => m.id) }, id: { not: req.leadId } },
        orderBy: { createdAt: 'desc' },
      });
      const idx = lastAssigned ? managers.findIndex((m) => m.id === lastAssigned.managerId) : -1;
      return pick(managers[(idx + 1) % managers.length]!.id, 'round robin');
    }
    return pick([...managers].sort(byLoad)[0]!.id, 'least loaded');
  }
}
