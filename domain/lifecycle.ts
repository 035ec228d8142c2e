// The lead's state machine, as pure functions: what a stage allows (`refusal`), and what an
// accepted action does to the state (`apply`). The workflow adds time (timers) and side effects
// (activities); this module decides. Nothing here holds personal data.
import type { ActionInput, ActionName, DealStage } from './actions';
import type { ClosedReason, ReengagementEntry, Stage, TransitionType } from './vocabulary';

export { type ClosedReason, STAGES, type Stage, type TransitionType } from './vocabulary';

export const TERMINAL: ReadonlySet<Stage> = new Set(['won', 'closed']);

export interface Transition {
  seq: number;
  at: string; // ISO time
  type: TransitionType;
  from: Stage;
  to: Stage;
  actor: string;
  reason?: string;
}

export interface Offer {
  partnerId: string;
  offeredAt: string;
  status: 'pending' | 'accepted' | 'declined' | 'expired' | 'withdrawn';
  reason?: string;
}

export interface Payment {
  paymentId: string;
  amountMinor: number;
  currency: string;
  at: string;
}

export interface LeadState {
  leadId: string;
  kind: 'lead' | 'interest';
  sourceChannel: string;
  /** The partner who referred the lead; earns commission if we win it (credit may lapse). */
  creditPartnerId?: string;
  /** The contact's lead before this one (a new episode after that one ended). */
  previousLeadId?: string;
  region?: string;
  topic?: string;
  stage: Stage;
  closedReason?: ClosedReason;
  managerId?: string;
  teamLeadId?: string;
  stale: boolean;
  /** Start of the current SLA clock (ms): assignment, reassignment or the last staff touch. */
  slaFrom: number;
  noAnswerAttempts: number;
  /** Stale reassignments since the last staff touch (absent in states carried from older runs). */
  staleReassignments?: number;
  qualification?: { target: boolean; route?: 'ours' | 'partner'; reason: string; budgetMinor?: number; compare: number };
  consent?: { given: boolean; askedBy: string; channel: string; wording: string; at: string; withdrawnAt?: string };
  offers: Offer[];
  /** Who works the deal: us, or the partner that accepted the hand-off. */
  dealOwner?: { kind: 'us' } | { kind: 'partner'; partnerId: string };
  dealStage?: DealStage;
  /** Bumped by each deal move, so stage timers restart. */
  dealMoves: number;
  deal: { valueMinor?: number; currency?: string; signedAt?: string; paidMinor: number; payments: Payment[] };
  /** Payment ids whose commission process has been started (exactly once per payment). */
  commissioned: string[];
  refusedAt?: string;
  refusalReason?: string;
  reengagement: { attempt: number; touchedAt?: string };
  repeatInquiries: number;
  seq: number;
  /** Recent transitions (the full trail is in PostgreSQL's lead_events). */
  history: Transition[];
}

export const HISTORY_KEPT = 200;

/** A staff action with its validated input: one member per row of the action table (domain/actions.ts LEAD_ACTIONS). */
export type Action = { [N in ActionName]: { type: N; input: ActionInput<N> } }[ActionName];

const DEAL_ORDER: DealStage[] = ['meeting', 'proposal', 'negotiation', 'contract', 'payment'];

export function initialState(init: {
  leadId: string;
  kind: 'lead' | 'interest';
  sourceChannel: string;
  partnerId?: string;
  region?: string;
  topic?: string;
  previousLeadId?: string;
  now: number;
}): LeadState {
  return {
    leadId: init.leadId,
    kind: init.kind,
    sourceChannel: init.sourceChannel,
    creditPartnerId: init.partnerId,
    ...(init.previousLeadId ? { previousLeadId: init.previousLeadId } : {}),
    region: init.region,
    topic: init.topic,
    stage: init.kind === 'interest' ? 'verification' : 'awaiting_first_contact',
    stale: false,
    slaFrom: init.now,
    noAnswerAttempts: 0,
    offers: [],
    dealMoves: 0,
    deal: { paidMinor: 0, payments: [] },
    commissioned: [],
    reengagement: { attempt: 0 },
    repeatInquiries: 0,
    seq: 0,
    history: [],
  };
}

/**
 * Why `action` does not fit the lead now, or undefined when it does. Used by Update validators.
 * `actor` (`partner:<id>`, `sales:<id>`, …) matters where a partner may act only on what it owns.
 */
export function refusal(s: LeadState, a: Action, actor?: string): string | undefined {
  const at = (...stages: Stage[]) =>
    stages.includes(s.stage) ? undefined : `${a.type} is not possible while the lead is ${s.stage}; it needs ${stages.join(' or ')}`;
  if (TERMINAL.has(s.stage)) return `the lead is ${s.stage}${s.closedReason ? ` (${s.closedReason})` : ''}; no further actions`;
  switch (a.type) {
    case 'verifyInterest':
      return at('verification');
    case 'recordContact':
      return at('awaiting_first_contact', 'qualifying');
    case 'qualify':
      if (a.input.target && a.input.route === 'partner' && !s.topic && !('topic' in a.input && a.input.topic))
        return 'a lead handed to a partner needs a topic to match partner expertise';
      return at('qualifying');
    case 'recordConsent':
      return at('awaiting_consent');
    case 'withdrawConsent':
      return s.consent?.given && !s.consent.withdrawnAt ? undefined : 'the client has no consent on record to withdraw';
    case 'partnerRespond': {
      const offer = s.offers.find((o) => o.partnerId === a.input.partnerId);
      if (!offer) return `the lead was not offered to partner ${a.input.partnerId}`;
      if (offer.status !== 'pending') return `the offer to partner ${a.input.partnerId} is already ${offer.status}`;
      // An offer left pending by a run from before rival offers were withdrawn: the client chose
      // another partner, so this one may still decline but no longer take the lead.
      if (a.input.accepted && s.stage === 'deal')
        return `the client chose ${dealOwnerName(s)}; the offer to partner ${a.input.partnerId} is no longer open`;
      return at('partner_offer', 'deal');
    }
    case 'advanceDeal': {
      const stage = at('deal');
      if (stage) return stage;
      const from = DEAL_ORDER.indexOf(s.dealStage ?? 'meeting');
      const to = DEAL_ORDER.indexOf(a.input.to);
      if (to <= from)
        return `the deal is already at ${s.dealStage}; it only moves forward (${DEAL_ORDER.slice(from + 1).join(' → ') || 'record payments'})`;
      if (a.input.to === 'payment') return 'the deal moves to payment when a payment is recorded';
      if (a.input.to === 'contract' && !a.input.valueMinor) return 'signing the contract needs its value (valueMinor)';
      if (a.input.partnerId) {
        const ok = s.offers.some((o) => o.partnerId === a.input.partnerId && o.status === 'accepted');
        if (!ok) return `partner ${a.input.partnerId} did not accept this lead`;
      }
      return undefined;
    }
    case 'markLost': {
      // A partner loses only a deal it owns: one whose offer is merely pending (or declined)
      // has nothing to lose, and would send the client to re-engagement behind our back.
      const partnerId = actor?.startsWith('partner:') ? actor.slice('partner:'.length) : undefined;
      if (partnerId && !(s.dealOwner?.kind === 'partner' && s.dealOwner.partnerId === partnerId)) {
        const offer = s.offers.find((o) => o.partnerId === partnerId);
        return `partner ${partnerId} does not own this deal${offer ? ` (its offer is ${offer.status})` : ''}; only the deal's owner marks it lost`;
      }
      return at('deal', 'qualifying', 'partner_offer');
    }
    case 'recordPayment': {
      const stage = at('deal');
      if (stage) return stage;
      if (!s.deal.signedAt) return 'a payment is recorded only after the contract is signed';
      if (s.deal.currency && a.input.currency !== s.deal.currency)
        return `the contract is in ${s.deal.currency}, the payment in ${a.input.currency}`;
      if (s.deal.payments.some((p) => p.paymentId === a.input.paymentId)) return undefined; // idempotent repeat
      const left = (s.deal.valueMinor ?? 0) - s.deal.paidMinor;
      if (a.input.amountMinor > left) return `the payment exceeds the outstanding amount (${left} minor units)`;
      return undefined;
    }
    case 'reengagementOutcome':
      return at('reengagement');
    case 'reassign':
      if (a.input.managerId === s.managerId) return `the lead is already owned by ${s.managerId}`;
      return undefined;
    case 'optOut':
      return undefined;
  }
}

function dealOwnerName(s: LeadState): string {
  return s.dealOwner?.kind === 'partner' ? `partner ${s.dealOwner.partnerId}` : 'us';
}

/** Adds a transition (who, when, why) and moves the stage. */
export function transition(s: LeadState, t: { type: TransitionType; to?: Stage; actor: string; reason?: string; now: number }): Transition {
  const entry: Transition = {
    seq: ++s.seq,
    at: new Date(t.now).toISOString(),
    type: t.type,
    from: s.stage,
    to: t.to ?? s.stage,
    actor: t.actor,
    reason: t.reason,
  };
  s.stage = entry.to;
  s.history.push(entry);
  if (s.history.length > HISTORY_KEPT) s.history.splice(0, s.history.length - HISTORY_KEPT);
  return entry;
}

export function toReengagement(s: LeadState, actor: string, reason: string, now: number, type: ReengagementEntry = 'refused'): void {
  s.refusedAt = new Date(now).toISOString();
  s.refusalReason = reason;
  s.reengagement = { attempt: 0 };
  s.dealStage = undefined;
  s.stale = false;
  transition(s, { type, to: 'reengagement', actor, reason, now });
}

/** A staff touch restarts the SLA clock and clears the stale flag. */
function touch(s: LeadState, now: number): void {
  s.slaFrom = now;
  s.stale = false;
  s.staleReassignments = 0;
}

/**
 * Applies an action that `refusal` accepted. Returns the transitions it produced.
 * `maxNoAnswer` is the policy's limit of unanswered calls before the lead counts as unreachable;
 * `creditWindowMs` how long a referring partner keeps its credit after a refusal.
 */
export function apply(
  s: LeadState,
  a: Action,
  ctx: { actor: string; now: number; maxNoAnswer: number; creditWindowMs: number },
): Transition[] {
  const before = s.seq;
  const { actor, now } = ctx;
  switch (a.type) {
    case 'verifyInterest':
      if (a.input.personFound) transition(s, { type: 'verified', to: 'awaiting_first_contact', actor, reason: a.input.note, now });
      else close(s, 'not_verified', actor, now, a.input.note);
      touch(s, now);
      break;
    case 'recordContact':
      touch(s, now);
      if (a.input.outcome === 'reached') {
        transition(s, { type: 'contacted', to: 'qualifying', actor, reason: a.input.note, now });
      } else if (a.input.outcome === 'refused') {
        toReengagement(s, actor, a.input.note ?? 'refused on first contact', now);
      } else {
        s.noAnswerAttempts += 1;
        if (s.noAnswerAttempts >= ctx.maxNoAnswer)
          toReengagement(s, actor, `unreachable after ${s.noAnswerAttempts} attempts`, now, 'unreachable');
        else transition(s, { type: 'no_answer', actor, reason: `attempt ${s.noAnswerAttempts}`, now });
      }
      break;
    case 'qualify': {
      touch(s, now);
      const q = a.input;
      if (!q.target) {
        s.qualification = { target: false, reason: q.reason, compare: 1 };
        close(s, 'non_target', actor, now, q.reason);
        break;
      }
      s.qualification = { target: true, route: q.route, reason: q.reason, budgetMinor: q.budgetMinor, compare: q.compare };
      if (q.topic) s.topic = q.topic;
      if (q.route === 'ours') {
        s.dealOwner = { kind: 'us' };
        s.dealStage = 'meeting';
        s.dealMoves += 1;
        transition(s, { type: 'qualified', to: 'deal', actor, reason: q.reason, now });
      } else {
        transition(s, { type: 'qualified', to: 'awaiting_consent', actor, reason: q.reason, now });
      }
      break;
    }
    case 'recordConsent':
      touch(s, now);
      s.consent = {
        given: a.input.given,
        askedBy: a.input.askedBy,
        channel: a.input.channel,
        wording: a.input.wording,
        at: new Date(now).toISOString(),
      };
      if (a.input.given) transition(s, { type: 'consent_given', to: 'partner_offer', actor, now });
      else toReengagement(s, actor, 'client did not consent to a hand-off', now, 'consent_refused');
      break;
    case 'withdrawConsent':
      if (s.consent) s.consent.withdrawnAt = new Date(now).toISOString();
      for (const o of s.offers) if (o.status === 'pending' || o.status === 'accepted') o.status = 'withdrawn';
      close(s, 'consent_withdrawn', actor, now, a.input.reason);
      break;
    case 'partnerRespond': {
      const offer = s.offers.find((o) => o.partnerId === a.input.partnerId)!;
      offer.status = a.input.accepted ? 'accepted' : 'declined';
      offer.reason = a.input.reason;
      if (a.input.accepted && s.stage === 'partner_offer') {
        s.dealOwner = { kind: 'partner', partnerId: offer.partnerId };
        s.dealStage = 'meeting';
        s.dealMoves += 1;
        transition(s, { type: 'partner_accepted', to: 'deal', actor, reason: offer.partnerId, now });
      } else {
        transition(s, {
          type: a.input.accepted ? 'partner_accepted' : 'partner_declined',
          actor,
          reason: [offer.partnerId, a.input.reason].filter(Boolean).join(': '),
          now,
        });
      }
      break;
    }
    case 'advanceDeal':
      s.dealStage = a.input.to;
      s.dealMoves += 1;
      s.stale = false;
      if (a.input.partnerId) s.dealOwner = { kind: 'partner', partnerId: a.input.partnerId };
      if (a.input.to === 'contract') {
        s.deal.valueMinor = a.input.valueMinor;
        s.deal.currency = a.input.currency ?? s.deal.currency ?? 'RUB';
        s.deal.signedAt = new Date(now).toISOString();
        transition(s, { type: 'contract_signed', actor, reason: `${a.input.valueMinor} ${s.deal.currency}`, now });
      } else {
        transition(s, { type: `deal_${a.input.to}`, actor, now });
      }
      break;
    case 'markLost':
      toReengagement(s, actor, a.input.reason, now, 'lost');
      break;
    case 'recordPayment': {
      if (s.deal.payments.some((p) => p.paymentId === a.input.paymentId)) break; // counted once
      s.deal.payments.push({ ...a.input, at: new Date(now).toISOString() });
      s.deal.paidMinor += a.input.amountMinor;
      s.dealStage = 'payment';
      s.dealMoves += 1;
      transition(s, { type: 'payment_recorded', actor, reason: `${a.input.amountMinor} ${a.input.currency} (${a.input.paymentId})`, now });
      if (s.deal.paidMinor >= (s.deal.valueMinor ?? Infinity)) transition(s, { type: 'paid_in_full', to: 'won', actor, now });
      break;
    }
    case 'reengagementOutcome':
      if (a.input.outcome === 'returned') returnToQualification(s, actor, now, a.input.note, ctx.creditWindowMs);
      else transition(s, { type: 'reengagement_declined', actor, reason: a.input.note, now });
      break;
    case 'reassign':
      s.managerId = a.input.managerId;
      touch(s, now);
      transition(s, { type: 'reassigned', actor, reason: `${a.input.managerId}: ${a.input.reason}`, now });
      break;
    case 'optOut':
      for (const o of s.offers) if (o.status === 'pending' || o.status === 'accepted') o.status = 'withdrawn';
      close(s, 'opted_out', actor, now, a.input.reason);
      break;
  }
  return s.history.filter((t) => t.seq > before);
}

export function close(s: LeadState, reason: ClosedReason, actor: string, now: number, note?: string): void {
  s.closedReason = reason;
  s.stale = false;
  transition(s, { type: 'closed', to: 'closed', actor, reason: note ? `${reason}: ${note}` : reason, now });
}

/**
 * The client came back (replied to a touch, or asked again). The referring partner keeps the
 * credit only within `creditWindowMs` of the refusal.
 */
export function returnToQualification(s: LeadState, actor: string, now: number, note?: string, creditWindowMs?: number): void {
  if (creditWindowMs !== undefined && s.refusedAt && now - Date.parse(s.refusedAt) > creditWindowMs) s.creditPartnerId = undefined;
  s.offers = s.offers.filter((o) => o.status === 'declined'); // a partner that declined is never asked again
  s.dealOwner = undefined;
  s.consent = undefined;
  s.qualification = undefined;
  s.deal = { paidMinor: 0, payments: [] };
  s.noAnswerAttempts = 0;
  touch(s, now);
  transition(s, { type: 'returned', to: 'qualifying', actor, reason: note, now });
}
