// The commission ledger: append-only, one row per idempotency key, so a retried activity or a
// replayed workflow can never book the same commission twice. Amounts are never edited: a refund
// books a clawback, a new negative entry.
import { commissionFor, DEFAULT_TERMS, leadFeeKey } from '../domain/commission';
import type { Db } from '../platform/db';
import { agreementOf, type AgreementTerms } from '../platform/repos/agreements';
import { DAY } from '../domain/time';

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

export interface CommissionBooked {
  idempotencyKey: string;
  amountMinor: number;
  currency: string;
  model: string;
  created: boolean;
}

/** Who receives a consented lead, and whose fee it is (the same parties as a commission). */
export interface LeadFeeRequest {
  leadId: string;
  /** Whose fee it is: the receiver (receivable, owed to us) or the referrer (referral, owed by the receiver). */
  partnerId: string;
  direction: 'receivable' | 'referral';
  counterpartyId?: string;
}

export const commissionKey = (leadId: string, partnerId: string, paymentId: string, fixed: boolean) =>
  fixed ? `commission:${leadId}:${partnerId}:fixed` : `commission:${leadId}:${partnerId}:${paymentId}`;

/** What an entry's memo says about the terms it was computed on. */
const termsNote = (terms: AgreementTerms) => (terms.source === 'default' ? `${DEFAULT_TERMS.label}: ` : '');

const booked = async (db: Db, key: string) => !!(await db.ledgerEntry.findUnique({ where: { idempotencyKey: key }, select: { id: true } }));

export function commissionActivities(db: Db) {
  return {
    /** Computes the commission of one payment and books it as pending until its holding period ends. */
    async bookCommission(req: CommissionRequest): Promise<CommissionBooked> {
      // The agreement of the partner whose commission it is: the payee for payable/referral,
      // the payer for receivable (its agreement with us says what it pays back).
      const terms = await agreementOf(db, req.partnerId);
      const partner = await db.partner.findUnique({ where: { id: req.partnerId } });
      const fixed = terms.agreement.model === 'fixed_per_lead';
      // The fee for the lead was booked when the partner accepted it: never again on a payment.
      if (fixed && (await booked(db, leadFeeKey(req.leadId, req.partnerId))))
        return {
          idempotencyKey: leadFeeKey(req.leadId, req.partnerId),
          amountMinor: 0,
          currency: req.currency,
          model: terms.agreement.model,
          created: false,
        };
      const amountMinor = commissionFor(terms.agreement, {
        paidMinor: req.paidMinor,
        grade: partner?.grade ?? 3,
        firstPayment: req.firstPayment,
      });
      const idempotencyKey = commissionKey(req.leadId, req.partnerId, req.paymentId, fixed);
      const result = { idempotencyKey, amountMinor, currency: req.currency, model: terms.agreement.model };
      if (amountMinor === 0) return { ...result, created: false };
      const res = await db.ledgerEntry.createMany({
        data: [
          {
            idempotencyKey,
            partnerId: req.partnerId,
            leadId: req.leadId,
            kind: `commission_${req.direction}`,
            status: 'pending',
            amountMinor: BigInt(amountMinor),
            currency: req.currency,
            baseMinor: BigInt(req.paidMinor),
            counterpartyId: req.counterpartyId ?? null,
            availableAt: new Date(Date.now() + terms.holdingDays * DAY),
            memo: `${termsNote(terms)}${terms.agreement.model} on payment ${req.paymentId} of ${req.paidMinor}`,
          },
        ],
        skipDuplicates: true,
      });
      return { ...result, created: res.count === 1 };
    },

    /**
     * Pay per lead: the fee for a contact passed with the client's consent falls due when the
     * receiving partner accepts the lead, whether or not the client ever pays, in the agreement's
     * currency — once per lead and partner (`lead_fee:<lead>:<partner>`). Nothing when the
     * partner's terms are not per lead, or when a run from before this rule already booked the
     * fee on the client's first payment (`commission:<lead>:<partner>:fixed`).
     */
    async bookLeadFee(req: LeadFeeRequest): Promise<CommissionBooked> {
      const terms = await agreementOf(db, req.partnerId);
      const idempotencyKey = leadFeeKey(req.leadId, req.partnerId);
      const none = { idempotencyKey, amountMinor: 0, currency: terms.agreement.currency, model: terms.agreement.model, created: false };
      if (terms.agreement.model !== 'fixed_per_lead' || terms.agreement.fixedFeeMinor === 0) return none;
      if (await booked(db, commissionKey(req.leadId, req.partnerId, '', true))) return none;
      const amountMinor = terms.agreement.fixedFeeMinor;
      const res = await db.ledgerEntry.createMany({
        data: [
          {
            idempotencyKey,
            partnerId: req.partnerId,
            leadId: req.leadId,
            kind: `commission_${req.direction}`,
            status: 'pending',
            amountMinor: BigInt(amountMinor),
            currency: terms.agreement.currency,
            counterpartyId: req.counterpartyId ?? null,
            availableAt: new Date(Date.now() + terms.holdingDays * DAY),
            memo: `${termsNote(terms)}fixed_per_lead: the consented lead accepted by ${req.counterpartyId ?? req.partnerId}`,
          },
        ],
        skipDuplicates: true,
      });
      return { ...none, amountMinor, created: res.count === 1 };
    },
  };
}
