// Staff actions on a lead, as zod schemas: one source for the API's validation, its OpenAPI
// document and the workflow's Update arguments.
import { z } from 'zod';

export const DealStage = z.enum(['meeting', 'proposal', 'negotiation', 'contract', 'payment']);
export type DealStage = z.infer<typeof DealStage>;

const reason = z.string().trim().min(1).max(500);
const money = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);
const currency = z.string().regex(/^[A-Z]{3}$/);

export const RecordContact = z.object({
  outcome: z.enum(['reached', 'no_answer', 'refused']),
  note: z.string().max(2000).optional(),
});

export const Qualify = z.discriminatedUnion('target', [
  z.object({
    target: z.literal(true),
    /** Ours → our own deal cycle; partner → consent and hand-off. */
    route: z.enum(['ours', 'partner']),
    reason,
    budgetMinor: money.optional(),
    topic: z.string().max(200).optional(),
    /** How many partners to offer at once: one, or 2–3 only when the client asks to compare. */
    compare: z.number().int().min(1).max(3).default(1),
  }),
  z.object({ target: z.literal(false), reason }),
]);

export const RecordConsent = z.object({
  given: z.boolean(),
  askedBy: z.string().min(1).max(100),
  channel: z.enum(['phone', 'email', 'messenger', 'in_person', 'web_form']),
  /** The words the client was asked with, as said. */
  wording: z.string().min(1).max(1000),
});

export const WithdrawConsent = z.object({ reason: z.string().max(500).optional() });

export const PartnerRespond = z.object({
  partnerId: z.string().min(1).max(64),
  accepted: z.boolean(),
  reason: z.string().max(500).optional(),
});

export const AdvanceDeal = z.object({
  to: DealStage,
  /** Contract value, required when the contract is signed. */
  valueMinor: money.optional(),
  currency: currency.optional(),
  /** In a comparison, the accepted partner the client chose. */
  partnerId: z.string().min(1).max(64).optional(),
});

export const MarkLost = z.object({ reason });

export const RecordPayment = z.object({
  /** The payment's own id (bank transaction, invoice payment): a payment is counted once. */
  paymentId: z.string().min(1).max(100),
  amountMinor: money,
  currency,
});

export const ReengagementOutcome = z.object({
  outcome: z.enum(['returned', 'declined']),
  note: z.string().max(2000).optional(),
});

export const Reassign = z.object({ managerId: z.string().min(1).max(64), reason });

export const OptOut = z.object({ reason: z.string().max(500).optional() });

export const VerifyInterest = z.object({
  /** A real person with their own contact was found behind the company's inquiry. */
  personFound: z.boolean(),
  note: z.string().max(2000).optional(),
});

/** Who did it; the API fills it from the authenticated caller. */
export const Actor = z.string().min(1).max(100);

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
