// Who earns the money a won lead brings, and who owes it. A commission is booked once per payment
// of a signed deal: the lead books each payment it has not booked yet (`nextPaymentToBook`), and the
// ledger's key — the lead, the partner and the payment (activities/commission.ts `commissionKey`,
// unique in PostgreSQL) — makes a repeated booking a no-op. These rules say on whose account:
//
//  - a deal a partner won (it took the hand-off): the partner owes us its commission (receivable);
//  - …and a lead another partner had referred to us: the winner owes the referrer (referral, settled
//    between them by monthly netting);
//  - a deal we won on a lead a partner referred: we owe the referrer (payable);
//  - a deal we won on our own lead: nobody earns a commission.
// Pay per lead (on an accepted, consented contact) follows the same line: owed to us by the
// partner that received the lead, or by the receiver to the partner that referred it.

export type CommissionDirection = 'payable' | 'receivable' | 'referral';

export interface CommissionTarget {
  /** The partner on whose account the commission is booked. */
  partnerId: string;
  direction: CommissionDirection;
  /** For a referral: the partner that won the deal and owes the referrer. */
  counterpartyId?: string;
}

export type DealOwner = { kind: 'us' } | { kind: 'partner'; partnerId: string };

/**
 * Who earns the commission on a payment of a deal owned by `owner` on a lead referred by `referrer`
 * (undefined: nobody). `referralsBetweenPartners` is asked only when it matters — a partner won a
 * lead another partner referred — because the workflow answers it with a patch (runs that booked
 * such a payment before referrals existed keep booking it as ours).
 */
export function commissionTarget(
  owner: DealOwner | undefined,
  referrer: string | undefined,
  referralsBetweenPartners: () => boolean,
): CommissionTarget | undefined {
  if (owner?.kind === 'partner') {
    return referrer && referrer !== owner.partnerId && referralsBetweenPartners()
      ? { partnerId: referrer, direction: 'referral', counterpartyId: owner.partnerId }
      : { partnerId: owner.partnerId, direction: 'receivable' };
  }
  if (referrer) return { partnerId: referrer, direction: 'payable' };
  return undefined;
}

/** Who is owed the fee per lead when `receiver` accepted a lead `referrer` (if any) sent us. */
export function leadFeeTarget(receiver: string, referrer: string | undefined): CommissionTarget & { direction: 'receivable' | 'referral' } {
  return referrer && referrer !== receiver
    ? { partnerId: referrer, direction: 'referral', counterpartyId: receiver }
    : { partnerId: receiver, direction: 'receivable' };
}

/**
 * The first payment of a signed deal whose commission is not booked yet (none before signing). Asked
 * again after each booking: a payment recorded while one was being booked is booked in the same turn.
 */
export function nextPaymentToBook<P extends { paymentId: string }>(
  deal: { signedAt?: string; payments: readonly P[] },
  booked: readonly string[],
): P | undefined {
  if (!deal.signedAt) return undefined;
  return deal.payments.find((p) => !booked.includes(p.paymentId));
}
