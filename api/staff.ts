// Which roster entry a staff caller is: the manager whose `apiSubject` is the credential's subject,
// else (keys made before the roster linked credentials) the manager with that id — the same rule
// as the roster's own team-lead check (api/plugins/roster.ts).
import type { Db } from '../platform/db';
import type { Principal } from './auth';

export interface RosterEntry {
  id: string;
  teamId: string | null;
  teamLeadId: string | null;
}

export async function managerOfCaller(db: Db, p: Principal): Promise<RosterEntry | undefined> {
  if (p.role === 'partner') return undefined;
  const me = await db.manager.findFirst({
    where: { OR: [{ apiSubject: p.subject }, { id: p.subject }] },
    orderBy: { apiSubject: 'asc' },
    select: { id: true, teamId: true, teamLeadId: true },
  });
  return me ?? undefined;
}

/** The ids of the teams a team-lead caller leads (teams.lead_id is their manager id); none for anyone else. */
export async function teamsLedBy(db: Db, p: Principal): Promise<string[]> {
  if (p.role !== 'team_lead') return [];
  const me = await managerOfCaller(db, p);
  if (!me) return [];
  return (await db.team.findMany({ where: { leadId: me.id }, select: { id: true }, orderBy: { id: 'asc' } })).map((t) => t.id);
}
