// Who on the roster can take a lead now: active, not away, and with room under their capacity.
// Pure rules, shared by assignment (activities/assignment.ts) and the roster API.
import type { Stage } from './vocabulary';

export const ABSENCE_KINDS = ['vacation', 'sick_leave'] as const;
export type AbsenceKind = (typeof ABSENCE_KINDS)[number];

/** A vacation has an end date; a sick leave is open until the manager is back (`endedAt`). */
export interface Absence {
  fromAt: Date;
  untilAt: Date | null;
  endedAt: Date | null;
}

/** The absence covers `now`: it has begun, its dates have not run out, and nobody ended it early. */
export function covers(a: Absence, now: Date): boolean {
  if (a.fromAt > now) return false;
  if (a.endedAt && a.endedAt <= now) return false;
  return !a.untilAt || now < a.untilAt;
}

/** The legacy pair of columns on `managers` (set by SQL before the roster API) or any absence covering now. */
export function isAway(m: { absentFrom: Date | null; absentTo: Date | null; absences?: Absence[] }, now: Date): boolean {
  if (m.absentFrom && m.absentTo && m.absentFrom <= now && now < m.absentTo) return true;
  return (m.absences ?? []).some((a) => covers(a, now));
}

/** Full: as many open leads as the capacity allows (no capacity: never full). */
export const isFull = (capacity: number | null, openLeads: number): boolean => capacity !== null && openLeads >= capacity;

/** The stages in which a lead counts against its manager's capacity (re-engagement is a rare touch, not a load). */
export const LOAD_STAGES: Stage[] = ['verification', 'awaiting_first_contact', 'qualifying', 'awaiting_consent', 'partner_offer', 'deal'];
