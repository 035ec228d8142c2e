// Commission arithmetic, in integer minor units (BigInt inside, so no float ever touches money).
import { z } from 'zod';
import { Currency } from './money';

export const Tier = z.object({ minGrade: z.number().int().min(1).max(5), percentBps: z.number().int().min(0).max(10_000) });

export const Agreement = z.discriminatedUnion('model', [
  z.object({ model: z.literal('percent_of_paid'), percentBps: z.number().int().min(0).max(10_000), currency: Currency }),
  z.object({ model: z.literal('fixed_per_lead'), fixedFeeMinor: z.number().int().nonnegative(), currency: Currency }),
  z.object({ model: z.literal('tiered_by_grade'), tiers: z.array(Tier).min(1), currency: Currency }),
]);
export type Agreement = z.infer<typeof Agreement>;

/**
 * The terms of a partner with no agreement on record, a policy choice made explicit: 10 % of what
 * the client paid (DOMAIN: 10–30 %), held 30 days, no minimum payout. Entries booked on them say
 * so in their memo, and the partner's statement names them "default terms", so nobody earns or
 * owes on terms they cannot see. Ops replace them by recording an agreement.
 */
export const DEFAULT_TERMS = {
  label: 'default terms',
  agreement: { model: 'percent_of_paid', percentBps: 1000, currency: 'RUB' } as Agreement,
  holdingDays: 30,
  minPayoutMinor: 0,
} as const;
export const DEFAULT_AGREEMENT: Agreement = DEFAULT_TERMS.agreement;

/** `amount × bps / 10 000`, rounded half up, exactly. */
export function percentOf(amountMinor: number, bps: number): number {
  const scaled = BigInt(amountMinor) * BigInt(bps);
  return Number((scaled + 5000n) / 10_000n);
}

export function tierBps(tiers: z.infer<typeof Tier>[], grade: number): number {
  const fit = tiers.filter((t) => grade >= t.minGrade).sort((a, b) => b.minGrade - a.minGrade)[0];
  return fit?.percentBps ?? 0;
}

/**
 * Commission due for one recorded payment. Percent models count pro rata on what was actually
 * paid. A fixed fee per lead is the price of a contact passed with consent, so it is booked when
 * the receiving partner accepts the lead (`leadFeeKey`), not here; the first payment still
 * carries it for runs from before that rule, and for a partner's lead we work ourselves.
 */
export function commissionFor(agreement: Agreement, p: { paidMinor: number; grade: number; firstPayment: boolean }): number {
  switch (agreement.model) {
    case 'percent_of_paid':
      return percentOf(p.paidMinor, agreement.percentBps);
    case 'tiered_by_grade':
      return percentOf(p.paidMinor, tierBps(agreement.tiers, p.grade));
    case 'fixed_per_lead':
      return p.firstPayment ? agreement.fixedFeeMinor : 0;
  }
}

/** The ledger key of the fee for one consented lead accepted by a partner: booked once, ever. */
export const leadFeeKey = (leadId: string, partnerId: string) => `lead_fee:${leadId}:${partnerId}`;

/** Ledger kinds of a referral between two partners and of its clawbacks (both carry the counterparty). */
export const REFERRAL_KINDS = ['commission_referral', 'clawback'];
