// Picks the responsible manager. One company never has two owners: a company already worked by
// a manager goes to that manager. Otherwise a configurable scheme among present, active managers
// with room: an inactive one, one away (an absence covering now) or a full one (open leads ≥
// capacity) is skipped.
import { ApplicationFailure } from '@temporalio/common';
import { isAway, isFull, LOAD_STAGES } from '../domain/roster';
import { policyInForce, type PolicyInForce } from '../platform/policies';
import type { Db } from '../platform/db';

export type AssignmentScheme = 'round_robin' | 'least_loaded' | 'expertise';
export interface Assignment {
  managerId: string;
  teamLeadId?: string;
  reason: string;
  /** The policy in force for the manager's team (README, "Policy"): its leads count time in its calendar. */
  policy?: PolicyInForce;
}

const OPEN_STAGES = LOAD_STAGES;

export function assignmentActivities(db: Db, scheme: AssignmentScheme = 'least_loaded') {
  return {
    async assignManager(req: { leadId: string; exclude?: string[] }): Promise<Assignment | null> {
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

  async function choose(req: { leadId: string; exclude?: string[] }): Promise<(Assignment & { teamId: string | null }) | null> {
    const lead = await db.lead.findUnique({ where: { id: req.leadId } });
    if (!lead) throw ApplicationFailure.nonRetryable(`lead ${req.leadId} is not in the registry`, 'UnknownLead');
    const now = new Date();
    const exclude = req.exclude ?? [];
    const present = (
      await db.manager.findMany({
        where: { active: true, id: { notIn: exclude } },
        include: { absences: { where: { endedAt: null } }, team: { select: { leadId: true } } },
        orderBy: { id: 'asc' },
      })
    ).filter((m) => !isAway(m, now));
    if (present.length === 0) return null;

    const loads = await db.lead.groupBy({
      by: ['managerId'],
      where: { managerId: { in: present.map((m) => m.id) }, stage: { in: OPEN_STAGES }, id: { not: lead.id } },
      _count: { _all: true },
    });
    const load = new Map(loads.map((l) => [l.managerId, l._count._all]));
    const managers = present.filter((m) => !isFull(m.capacity, load.get(m.id) ?? 0));
    if (managers.length === 0) return null;
    const pick = (managerId: string, reason: string) => {
      const m = managers.find((x) => x.id === managerId)!;
      // The manager's own team lead, else their team's.
      const teamLeadId = m.teamLeadId ?? (m.team?.leadId !== m.id ? m.team?.leadId : null);
      return { managerId, teamLeadId: teamLeadId ?? undefined, reason, teamId: m.teamId };
    };

    if (lead.companyKey) {
      const owner = await db.lead.findFirst({
        where: { companyKey: lead.companyKey, id: { not: lead.id }, managerId: { not: null }, stage: { in: OPEN_STAGES } },
        orderBy: { createdAt: 'asc' },
      });
      if (owner?.managerId && managers.some((m) => m.id === owner.managerId)) return pick(owner.managerId, 'company owner');
    }

    const byLoad = (a: { id: string }, b: { id: string }) => (load.get(a.id) ?? 0) - (load.get(b.id) ?? 0) || a.id.localeCompare(b.id);

    if (scheme === 'expertise') {
      const fit = managers.filter(
        (m) => (lead.topic && m.expertise.includes(lead.topic)) || (lead.region && m.territory.includes(lead.region)),
      );
      if (fit.length > 0) return pick([...fit].sort(byLoad)[0]!.id, 'expertise/territory');
    }
    if (scheme === 'round_robin') {
      const lastAssigned = await db.lead.findFirst({
        where: { managerId: { in: managers.map((m) => m.id) }, id: { not: lead.id } },
        orderBy: { createdAt: 'desc' },
      });
      const idx = lastAssigned ? managers.findIndex((m) => m.id === lastAssigned.managerId) : -1;
      return pick(managers[(idx + 1) % managers.length]!.id, 'round robin');
    }
    return pick([...managers].sort(byLoad)[0]!.id, 'least loaded');
  }
}
