// The commission ledger: append-only, one row per idempotency key, so a retried activity or a
// replayed workflow can never book the same commission twice.
import { Agreement, commissionFor, DEFAULT_AGREEMENT } from '../domain/commission';
import type { Db } from './db';

export interface CommissionRequest {
  leadId: string;
  paymentId: string;
  partnerId: string;
  /** payable: we owe the referring partner; receivable: the partner that won owes us. */
  direction: 'payable' | 'receivable';
  paidMinor: number;
  currency: string;
  firstPayment: boolean;
}

export interface CommissionBooked { idempotencyKey: string; amountMinor: number; currency: string; model: string; created: boolean }

export function commissionActivities(db: Db) {
  async function agreementOf(partnerId: string): Promise<Agreement> {
    const row = await db.partnerAgreement.findFirst({ where: { partnerId, active: true }, orderBy: { createdAt: 'desc' } });
    if (!row) return DEFAULT_AGREEMENT;
    return Agreement.parse({
      model: row.model,
      percentBps: row.percentBps ?? undefined,
      fixedFeeMinor: row.fixedFeeMinor === null ? undefined : Number(row.fixedFeeMinor),
      tiers: row.tiers ?? undefined,
      currency: row.currency,
    });
  }

  return {
    /** Computes the commission of one payment and books it in the ledger as pending (holding period). */
    async bookCommission(req: CommissionRequest): Promise<CommissionBooked> {
      const agreement = await agreementOf(req.partnerId);
      const partner = await db.partner.findUnique({ where: { id: req.partnerId } });
      const amountMinor = commissionFor(agreement, { paidMinor: req.paidMinor, grade: partner?.grade ?? 3, firstPayment: req.firstPayment });
      const idempotencyKey = agreement.model === 'fixed_per_lead'
        ? `commission:${req.leadId}:${req.partnerId}:fixed`
        : `commission:${req.leadId}:${req.partnerId}:${req.paymentId}`;
      const booked = { idempotencyKey, amountMinor, currency: req.currency, model: agreement.model };
      if (amountMinor === 0) return { ...booked, created: false };
      const res = await db.ledgerEntry.createMany({
        data: [{
          idempotencyKey, partnerId: req.partnerId, leadId: req.leadId, kind: `commission_${req.direction}`, status: 'pending',
          amountMinor: BigInt(amountMinor), currency: req.currency,
          memo: `${agreement.model} on payment ${req.paymentId} of ${req.paidMinor}`,
        }],
        skipDuplicates: true,
      });
      return { ...booked, created: res.count === 1 };
    },
  };
}
