// Staff actions on a lead: each one's input as a zod schema, and the one table of actions
// (LEAD_ACTIONS) from which the workflow's Updates and their handlers, the `Action` type of the
// state machine, the API's routes with their OpenAPI entries and the console's forms are derived.
// Adding an action is a row here plus its rule in domain/lifecycle.ts (`refusal` and `apply`).
import { z } from 'zod';
import type { Action, LeadState } from './lifecycle';
import { Currency } from './money';
import { MAX_COMPARED } from './offer-round';
import { text, trimmedText } from './text';

export const DealStage = z.enum(['meeting', 'proposal', 'negotiation', 'contract', 'payment']);
export type DealStage = z.infer<typeof DealStage>;

const reason = trimmedText(500, 1);
const money = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);

export const RecordContact = z.object({
  outcome: z.enum(['reached', 'no_answer', 'refused']),
  note: text(2000).optional(),
});

export const Qualify = z.discriminatedUnion('target', [
  z.object({
    target: z.literal(true),
    /** Ours → our own deal cycle; partner → consent and hand-off. */
    route: z.enum(['ours', 'partner']),
    reason,
    budgetMinor: money.optional(),
    topic: text(200).optional(),
    /** How many partners to offer at once: one, or 2–3 only when the client asks to compare (domain/offer-round.ts). */
    compare: z.number().int().min(1).max(MAX_COMPARED).default(1),
  }),
  z.object({ target: z.literal(false), reason }),
]);

export const RecordConsent = z.object({
  given: z.boolean(),
  askedBy: text(100, 1),
  channel: z.enum(['phone', 'email', 'messenger', 'in_person', 'web_form']),
  /** The words the client was asked with, as said. */
  wording: text(1000, 1),
});

export const WithdrawConsent = z.object({ reason: text(500).optional() });

export const PartnerRespond = z.object({
  partnerId: text(64, 1),
  accepted: z.boolean(),
  reason: text(500).optional(),
});

export const AdvanceDeal = z.object({
  to: DealStage,
  /** Contract value, required when the contract is signed. */
  valueMinor: money.optional(),
  currency: Currency.optional(),
  /** In a comparison, the accepted partner the client chose. */
  partnerId: text(64, 1).optional(),
});

export const MarkLost = z.object({ reason });

export const RecordPayment = z.object({
  /** The payment's own id (bank transaction, invoice payment): a payment is counted once. */
  paymentId: text(100, 1),
  amountMinor: money,
  currency: Currency,
});

export const ReengagementOutcome = z.object({
  outcome: z.enum(['returned', 'declined']),
  note: text(2000).optional(),
});

export const Reassign = z.object({ managerId: text(64, 1), reason });

export const OptOut = z.object({ reason: text(500).optional() });

export const VerifyInterest = z.object({
  /** A real person with their own contact was found behind the company's inquiry. */
  personFound: z.boolean(),
  note: text(2000).optional(),
});

/** Who did it; the API fills it from the authenticated caller. */
export const Actor = text(100, 1);

/** Roles of the trade that may act on a lead (the API's admin may do everything besides). */
export type ActorRole = 'sales' | 'team_lead' | 'ops' | 'partner';

/** Every staff role: a manager, their team lead, ops. */
export const STAFF_ROLES = ['sales', 'team_lead', 'ops'] as const satisfies readonly ActorRole[];

export interface LeadActionRow<S extends z.ZodType = z.ZodType> {
  /** Input of the action (the API's body, the Update's `input`). */
  input: S;
  /** Who may ever take it; a partner acts only on the lead it is offered or whose deal it owns (`partner`). */
  roles: readonly ActorRole[];
  /** What a partner may take it on: its own pending offer, or a deal it owns. Absent: partners never may. */
  partner?: 'own_offer' | 'own_deal';
  /** The API's path under /leads/:id/. */
  path: string;
  /** One line for the OpenAPI document. */
  summary: string;
  /**
   * A representative input, asked of the lifecycle (`refusal`) to tell whether the lead's stage allows the
   * action at all (the console offers only those); undefined when nothing fits now (no pending offer, say).
   */
  example: (s: LeadState) => z.infer<S> | undefined;
}

/** A row of the table, its example checked against its input. */
const row = <S extends z.ZodType>(r: LeadActionRow<S>) => r;

const DEAL_ORDER = DealStage.options;

/**
 * The lead's actions. The keys are the workflow's Update names: stored histories carry them, so a
 * key never changes. Order is the order of the routes and of a lead card's forms.
 */
export const LEAD_ACTIONS = {
  verifyInterest: row({
    input: VerifyInterest,
    roles: STAFF_ROLES,
    path: 'verify',
    summary: 'Verify a company inquiry (interest): was a person found?',
    example: () => ({ personFound: true }),
  }),
  recordContact: row({
    input: RecordContact,
    roles: STAFF_ROLES,
    path: 'contact',
    summary: 'Record a contact attempt and its result',
    example: () => ({ outcome: 'reached' }) as const,
  }),
  qualify: row({
    input: Qualify,
    roles: STAFF_ROLES,
    path: 'qualify',
    summary: 'Qualify: target or not, ours or a partner’s',
    example: () => ({ target: false, reason: '-' }) as const,
  }),
  recordConsent: row({
    input: RecordConsent,
    roles: STAFF_ROLES,
    path: 'consent',
    summary: "Record the client's answer to the hand-off consent question",
    example: () => ({ given: true, askedBy: '-', channel: 'phone', wording: '-' }) as const,
  }),
  withdrawConsent: row({
    input: WithdrawConsent,
    roles: STAFF_ROLES,
    path: 'consent/withdraw',
    summary: 'The client withdrew consent: stop all contact and the hand-off',
    example: () => ({}),
  }),
  partnerRespond: row({
    input: PartnerRespond,
    roles: STAFF_ROLES,
    partner: 'own_offer',
    path: 'partner-response',
    summary: 'A partner accepts or declines the offered lead',
    // One form per pending offer (lead card); whether one is pending is asked per partner.
    example: (s) => {
      const o = s.offers.find((x) => x.status === 'pending');
      return o && { partnerId: o.partnerId, accepted: false };
    },
  }),
  advanceDeal: row({
    input: AdvanceDeal,
    roles: STAFF_ROLES,
    partner: 'own_deal',
    path: 'deal',
    summary: 'Move the deal forward (meeting → proposal → negotiation → contract)',
    example: (s) => {
      const next = DEAL_ORDER[DEAL_ORDER.indexOf(s.dealStage ?? 'meeting') + 1];
      return next && { to: next, valueMinor: 1 };
    },
  }),
  markLost: row({
    input: MarkLost,
    roles: STAFF_ROLES,
    partner: 'own_deal',
    path: 'lost',
    summary: 'The deal or lead is lost, with a reason (goes to re-engagement)',
    example: () => ({ reason: '-' }),
  }),
  recordPayment: row({
    input: RecordPayment,
    roles: STAFF_ROLES,
    partner: 'own_deal',
    path: 'payments',
    summary: 'Record a client payment (counted once per paymentId)',
    example: (s) => ({ paymentId: '\u0001probe', amountMinor: 1, currency: s.deal.currency ?? 'RUB' }),
  }),
  reengagementOutcome: row({
    input: ReengagementOutcome,
    roles: STAFF_ROLES,
    path: 'reengagement',
    summary: 'Outcome of a re-engagement touch',
    example: () => ({ outcome: 'declined' }) as const,
  }),
  reassign: row({
    input: Reassign,
    roles: ['team_lead', 'ops'],
    path: 'reassign',
    summary: 'Reassign the lead to another manager',
    example: () => ({ managerId: '\u0001nobody', reason: '-' }),
  }),
  optOut: row({
    input: OptOut,
    roles: STAFF_ROLES,
    path: 'opt-out',
    summary: 'The client opts out of all contact',
    example: () => ({}),
  }),
} as const satisfies Record<string, LeadActionRow>;

export type LeadActions = typeof LEAD_ACTIONS;
export type ActionName = keyof LeadActions;
/** The names of the actions, in the table's order. */
export const ACTION_NAMES = Object.keys(LEAD_ACTIONS) as ActionName[];
/** An action's input after validation (defaults applied). */
export type ActionInput<N extends ActionName> = z.infer<LeadActions[N]['input']>;
/** An action's input as a caller sends it. */
export type ActionRequest<N extends ActionName> = z.input<LeadActions[N]['input']>;

/** `input` checked against action `name`'s schema: the action, or every complaint of the schema in one line. */
export function parseAction(
  name: ActionName,
  input: unknown,
): { action: Action; problem?: undefined } | { action?: undefined; problem: string } {
  const parsed = LEAD_ACTIONS[name].input.safeParse(input);
  if (!parsed.success) return { problem: parsed.error.issues.map((i) => `${i.path.join('.') || 'input'}: ${i.message}`).join('; ') };
  // The schema is `name`'s, so this is that member of the union (a pairing TypeScript cannot follow).
  return { action: { type: name, input: parsed.data } as Action };
}
