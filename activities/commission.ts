// The commission ledger: append-only, one row per idempotency key, so a retried activity or a
// replayed workflow can never book the same commission twice. Amounts are never edited: a refund
// books a clawback, a new negative entry.
import { Agreement, commissionFor, DEFAULT_AGREEMENT } from '../domain/commission';
import type { Db } from './db';

export interface CommissionRequest {
  leadId: string;
  paymentId: string;
  /** Who earns the commission (the ledger entry is under this partner). */
  partnerId: string;
  /**
   * payable: we owe the referring partner; receivable: the partner that won owes us;
   * referral: `counterpartyId` (the partner that won) owes `partnerId` (the one that referred).
   */
  direction: 'payable' | 'receivable' | 'referral';
  counterpartyId?: string;
  paidMinor: number;
  currency: string;
  firstPayment: boolean;
}

export interface CommissionBooked { idempotencyKey: string; amountMinor: number; currency: string; model: string; created: boolean }

export interface AgreementTerms { agreement: Agreement; holdingDays: number; minPayoutMinor: number }

const DAY = 86_400_000;

export async function agreementOf(db: Db, partnerId: string): Promise<AgreementTerms> {
  const row = await db.partnerAgreement.findFirst({ where: { partnerId, active: true }, orderBy: { createdAt: 'desc' } });
  if (!row) return { agreement: DEFAULT_AGREEMENT, holdingDays: 30, minPayoutMinor: 0 };
  return {
    agreement: Agreement.parse({
      model: row.model,
      percentBps: row.percentBps ?? undefined,
      fixedFeeMinor: row.fixedFeeMinor === null ? undefined : Number(row.fixedFeeMinor),
      tiers: row.tiers ?? undefined,
      currency: row.currency,
    }),
    holdingDays: row.holdingDays,
    minPayoutMinor: Number(row.minPayoutMinor),
  };
}

export const commissionKey = (leadId: string, partnerId: string, paymentId: string, fixed: boolean) =>
  fixed ? `commission:${leadId}:${partnerId}:fixed` : `commission:${leadId}:${partnerId}:${paymentId}`;

export function commissionActivities(db: Db) {
  return {
    /** Computes the commission of one payment and books it as pending until its holding period ends. */
    async bookCommission(req: CommissionRequest): Promise<CommissionBooked> {
      // The agreement of the partner whose commission it is: the payee for payable/referral,
      // the payer for receivable (its agreement with us says what it pays back).
      const terms = await agreementOf(db, req.partnerId);
      const partner = await db.partner.findUnique({ where: { id: req.partnerId } });
      const amountMinor = commissionFor(terms.agreement, { paidMinor: req.paidMinor, grade: partner?.grade ?? 3, firstPayment: req.firstPayment });
      const idempotencyKey = commissionKey(req.leadId, req.partnerId, req.paymentId, terms.agreement.model === 'fixed_per_lead');
      const booked = { idempotencyKey, amountMinor, currency: req.currency, model: terms.agreement.model };
      if (amountMinor === 0) return { ...booked, created: false };
      const res = await db.ledgerEntry.createMany({
        data: [{
          idempotencyKey, partnerId: req.partnerId, leadId: req.leadId, kind: `commission_${req.direction}`, status: 'pending',
          amountMinor: BigInt(amountMinor), currency: req.currency, baseMinor: BigInt(req.paidMinor),
          counterpartyId: req.counterpartyId ?? null,
          availableAt: new Date(Date.now() + terms.holdingDays * DAY),
          memo: `${terms.agreement.model} on payment ${req.paymentId} of ${req.paidMinor}`,
        }],
        skipDuplicates: true,
      });
      return { ...booked, created: res.count === 1 };
    },
  };
}
