// The words of a lead's life, typed: its stages, the types of the transitions in its history (the
// `lead_events.type` column) and the reasons a lead is closed for. The state machine
// (domain/lifecycle.ts) and the workflow write only these; reports, alarms and activities read them
// from here instead of copying strings.
import type { DealStage } from './actions';

export const STAGES = [
  'verification', // an interest (company, no person) waiting to be verified
  'awaiting_first_contact',
  'qualifying',
  'awaiting_consent',
  'partner_offer',
  'deal',
  'won',
  'reengagement',
  'closed',
] as const;
export type Stage = (typeof STAGES)[number];

/**
 * A stage of the read model (`leads.stage`): the workflow's stages, and `received` — a lead taken in
 * whose workflow has not written its first transition yet (intake writes it; no workflow is ever in it).
 */
export type ReadModelStage = Stage | 'received';

/** Why a closed lead was closed (`leads.closed_reason`, and the first word of its `closed` event's reason). */
export const CLOSED_REASONS = ['non_target', 'opted_out', 'consent_withdrawn', 'attempts_exhausted', 'not_verified'] as const;
export type ClosedReason = (typeof CLOSED_REASONS)[number];

/** Transitions that send a lead to re-engagement (`toReengagement` takes only these). */
export const REENGAGEMENT_ENTRIES = ['refused', 'lost', 'unreachable', 'consent_refused', 'consent_timeout', 'no_partner'] as const;
export type ReengagementEntry = (typeof REENGAGEMENT_ENTRIES)[number];

/** Every outcome of a recorded contact attempt (recordContact: reached, no answer, refused, the last no-answer). */
export const CONTACT_ATTEMPTS = ['contacted', 'no_answer', 'refused', 'unreachable'] as const satisfies readonly TransitionType[];

/** Every type of transition a lead's history holds, in the order of the lifecycle. */
export const TRANSITION_TYPES = [
  // intake and ownership
  'received',
  'returning_contact',
  'returned_after_opt_out',
  'repeat_inquiry',
  'verified',
  'assigned',
  'reassigned',
  'not_distributed',
  'manager_unavailable',
  'policy_applied',
  // the SLA ladder and the deadlines a policy moves
  'sla_reminder',
  'sla_escalated',
  'stale',
  'stale_parked',
  'deadline_moved',
  // first contact and qualification
  'contacted',
  'no_answer',
  'qualified',
  // consent and hand-off
  'consent_given',
  'offered',
  'partner_accepted',
  'partner_declined',
  'partner_event_ignored',
  'offer_expired',
  'offer_withdrawn',
  'contact_released',
  'lead_fee_booked',
  // the deal and its money (deal_<stage>: a move forward, see DealMove)
  'contract_signed',
  'payment_recorded',
  'paid_in_full',
  'deal_checkin',
  'commission_started',
  // re-engagement
  ...REENGAGEMENT_ENTRIES,
  'reengagement_touch',
  'no_reply',
  'reengagement_declined',
  'returned',
  // the end
  'closed',
] as const;

/** A deal moved forward to a stage before the contract (`deal_proposal`, `deal_negotiation`). */
export type DealMove = `deal_${DealStage}`;
export type TransitionType = (typeof TRANSITION_TYPES)[number] | DealMove;

/** Whether `word` (read from the database, written by any version) is one of `list`. */
export const isOneOf = <T extends string>(list: readonly T[], word: string): word is T => (list as readonly string[]).includes(word);
