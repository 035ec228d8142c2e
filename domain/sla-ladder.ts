// The SLA ladder: while a lead waits on its manager (verification, first contact, qualification),
// counted in business time from the last staff touch — a reminder to the owner, then an escalation
// to the team lead, then the lead is stale and reassigned. The deadlines are domain/deadlines.ts
// `ladderDue` (staleness itself: domain/staleness.ts); this says which stages climb it and how
// each step reads to ops, in its timer and in the lead's SlaDueAt details.
import type { LeadPolicy } from './policy';
import type { Stage } from './vocabulary';

/** The stages in which the lead waits on its manager, and so climbs the ladder. */
export const LADDER_STAGES = ['verification', 'awaiting_first_contact', 'qualifying'] as const satisfies readonly Stage[];

/** Step `step` of the ladder (0 reminder, 1 escalation, 2 stale) as ops read it. */
export function ladderStepText(stage: Stage, step: number, fc: LeadPolicy['firstContact']): string {
  const owed = stage === 'verification' ? 'verification' : stage === 'qualifying' ? 'qualification' : 'first contact';
  if (step === 0) return `${owed} SLA reminder after ${fc.reminderAfterBusinessHours} working hours`;
  if (step === 1) return `${owed} SLA escalation to the team lead after ${fc.escalateAfterBusinessHours} working hours`;
  return `${owed} SLA: stale after ${fc.staleAfterBusinessDays} business days, reassigned`;
}
