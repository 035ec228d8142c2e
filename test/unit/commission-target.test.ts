// Who earns a won lead's commission and who owes its fee per lead (domain/commission-target.ts),
// and who a round of offers goes to (domain/offer-round.ts): the rules the lead workflow asks.
import { commissionTarget, leadFeeTarget, nextPaymentToBook } from '../../domain/commission-target';
import { MAX_COMPARED, offerRound } from '../../domain/offer-round';

test('commission: the partner that won owes us; a referrer is paid by us, or by the winner once referrals exist', () => {
  const always = () => true;
  expect(commissionTarget({ kind: 'partner', partnerId: 'p1' }, undefined, always)).toEqual({ partnerId: 'p1', direction: 'receivable' });
  expect(commissionTarget({ kind: 'partner', partnerId: 'p1' }, 'p1', always)).toEqual({ partnerId: 'p1', direction: 'receivable' });
  expect(commissionTarget({ kind: 'partner', partnerId: 'p1' }, 'ref', always)).toEqual({
    partnerId: 'ref',
    direction: 'referral',
    counterpartyId: 'p1',
  });
  expect(commissionTarget({ kind: 'us' }, 'ref', always)).toEqual({ partnerId: 'ref', direction: 'payable' });
  expect(commissionTarget({ kind: 'us' }, undefined, always)).toBeUndefined();
  expect(commissionTarget(undefined, undefined, always)).toBeUndefined();
});

test('commission: the referral question (a workflow patch) is asked only when one partner referred and another won', () => {
  const asked: string[] = [];
  const never = () => {
    asked.push('asked');
    return false;
  };
  expect(commissionTarget({ kind: 'partner', partnerId: 'p1' }, undefined, never)).toEqual({ partnerId: 'p1', direction: 'receivable' });
  expect(commissionTarget({ kind: 'partner', partnerId: 'p1' }, 'p1', never)).toEqual({ partnerId: 'p1', direction: 'receivable' });
  expect(commissionTarget({ kind: 'us' }, 'ref', never)).toEqual({ partnerId: 'ref', direction: 'payable' });
  expect(asked).toEqual([]);
  // A run from before referrals between partners keeps booking it as the winner's.
  expect(commissionTarget({ kind: 'partner', partnerId: 'p1' }, 'ref', never)).toEqual({ partnerId: 'p1', direction: 'receivable' });
  expect(asked).toEqual(['asked']);
});

test('fee per lead: owed to us by the receiver, or by the receiver to the partner that referred the lead', () => {
  expect(leadFeeTarget('p1', undefined)).toEqual({ partnerId: 'p1', direction: 'receivable' });
  expect(leadFeeTarget('p1', 'p1')).toEqual({ partnerId: 'p1', direction: 'receivable' });
  expect(leadFeeTarget('p1', 'ref')).toEqual({ partnerId: 'ref', direction: 'referral', counterpartyId: 'p1' });
});

test('one partner unless the client compares; never one already asked, nor the referrer', () => {
  expect(offerRound({ offers: [] })).toEqual({ count: 1, exclude: [] });
  expect(offerRound({ offers: [{ partnerId: 'a' }, { partnerId: 'b' }], creditPartnerId: 'ref', qualification: { compare: 3 } })).toEqual({
    count: 3,
    exclude: ['a', 'b', 'ref'],
  });
  expect(MAX_COMPARED).toBe(3);
});

test('a commission is booked once per payment: only the payments not booked yet, and none before the contract is signed', () => {
  const payments = [{ paymentId: 'p1' }, { paymentId: 'p2' }, { paymentId: 'p3' }];
  const signed = '2026-01-01T00:00:00Z';
  expect(nextPaymentToBook({ payments }, [])).toBeUndefined();
  expect(nextPaymentToBook({ signedAt: signed, payments }, ['p1'])).toEqual({ paymentId: 'p2' });
  expect(nextPaymentToBook({ signedAt: signed, payments }, ['p2'])).toEqual({ paymentId: 'p1' });
  expect(nextPaymentToBook({ signedAt: signed, payments }, ['p1', 'p2', 'p3'])).toBeUndefined();
});
