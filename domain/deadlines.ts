// When each wait of a lead falls due under a policy, counted from the moment the wait began (its
// anchor). One source for the lead workflow, which arms its timers from these and re-arms them when
// a new policy version moves them, and for the what-if preview (POST /policies/preview), which
// finds the anchors in the read model's events and compares the current and proposed versions.
import { addBusinessTime, businessDayMs } from './calendar';
import type { LeadPolicy } from './policy';
import { durationMs } from './policy-rules';
import { staleAt } from './staleness';
import { HOUR } from './time';

/** The waits of a lead that have a deadline set by policy. */
export type WaitKind =
  'sla_reminder' | 'sla_escalation' | 'stale' | 'consent' | 'partner_answer' | 'deal_checkin' | 'reengagement_touch' | 'reengagement_reply';

/** The SLA ladder's steps in order: 0 reminder, 1 escalation, 2 stale (counted from the last touch). */
export const LADDER: readonly WaitKind[] = ['sla_reminder', 'sla_escalation', 'stale'];

/** The manager's SLA ladder: step `step` (0, 1, 2) from the anchor `from` (the last touch), in business time. */
export function ladderDue(policy: LeadPolicy, from: number, step: number): number {
  const fc = policy.firstContact;
  const cal = policy.calendar;
  if (step === 0) return addBusinessTime(cal, from, fc.reminderAfterBusinessHours * HOUR);
  if (step === 1) return addBusinessTime(cal, from, fc.escalateAfterBusinessHours * HOUR);
  return staleAt(cal, from, fc.staleAfterBusinessDays);
}

/** The client's consent answer: the window in business days from when the manager was asked to ask. */
export function consentDue(policy: LeadPolicy, from: number): number {
  return addBusinessTime(policy.calendar, from, policy.consentWindowBusinessDays * businessDayMs(policy.calendar));
}

/** A partner's answer to an offer, in business days from the offer. */
export function partnerAnswerDue(policy: LeadPolicy, from: number): number {
  return addBusinessTime(policy.calendar, from, policy.partnerAcceptanceBusinessDays * businessDayMs(policy.calendar));
}

/** A deal stage silent this long (calendar time, from its last move or check-in) gets a check-in. */
export function dealCheckInDue(policy: LeadPolicy, dealStage: keyof LeadPolicy['dealStageTimeouts'], from: number): number {
  return from + durationMs(policy.dealStageTimeouts[dealStage]);
}

/** A refused lead's next touch (from when its cycle began), or the end of the touch's reply window (from the touch). */
export function reengagementDue(policy: LeadPolicy, step: 'touch' | 'reply', from: number): number {
  return from + durationMs(step === 'touch' ? policy.reengagement.interval : policy.reengagement.replyWindow);
}

/** The deadline of wait `kind` from `from` under `policy` (`dealStage` for a deal check-in). */
export function dueOf(policy: LeadPolicy, kind: WaitKind, from: number, dealStage?: keyof LeadPolicy['dealStageTimeouts']): number {
  switch (kind) {
    case 'sla_reminder':
      return ladderDue(policy, from, 0);
    case 'sla_escalation':
      return ladderDue(policy, from, 1);
    case 'stale':
      return ladderDue(policy, from, 2);
    case 'consent':
      return consentDue(policy, from);
    case 'partner_answer':
      return partnerAnswerDue(policy, from);
    case 'deal_checkin':
      return dealCheckInDue(policy, dealStage ?? 'meeting', from);
    case 'reengagement_touch':
      return reengagementDue(policy, 'touch', from);
    case 'reengagement_reply':
      return reengagementDue(policy, 'reply', from);
  }
}
