// Staff actions on a lead, as zod schemas: one source for the API's validation, its OpenAPI
// document and the workflow's Update arguments.
import { z } from 'zod';
import { Currency } from './money';
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
    /** How many partners to offer at once: one, or 2–3 only when the client asks to compare. */
    compare: z.number().int().min(1).max(3).default(1),
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

export type RecordContact = z.infer<typeof RecordContact>;
export type Qualify = z.infer<typeof Qualify>;
export type RecordConsent = z.infer<typeof RecordConsent>;
export type WithdrawConsent = z.infer<typeof WithdrawConsent>;
export type PartnerRespond = z.infer<typeof PartnerRespond>;
export type AdvanceDeal = z.infer<typeof AdvanceDeal>;
export type MarkLost = z.infer<typeof MarkLost>;
export type RecordPayment = z.infer<typeof RecordPayment>;
export type ReengagementOutcome = z.infer<typeof ReengagementOutcome>;
export type Reassign = z.infer<typeof Reassign>;
export type OptOut = z.infer<typeof OptOut>;
export type VerifyInterest = z.infer<typeof VerifyInterest>;
