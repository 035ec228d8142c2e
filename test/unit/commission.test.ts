// Commission arithmetic against an independent formula (property-based), in integer minor units.
import fc from 'fast-check';
import { commissionFor, percentOf, tierBps } from '../../domain/commission';

// Independent formula: exact rational arithmetic on BigInt, rounding half up.
const reference = (amount: bigint, bps: bigint) => {
  const q = (amount * bps) / 10_000n;
  const r = (amount * bps) % 10_000n;
  return r * 2n >= 10_000n ? q + 1n : q;
};

test('percent of the paid amount is exact and rounds half up, for any amount and rate', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), fc.integer({ min: 0, max: 10_000 }), (amount, bps) => {
      expect(percentOf(amount, bps)).toBe(Number(reference(BigInt(amount), BigInt(bps))));
    }),
  );
});

test('pro rata: commissions of partial payments add up to the commission of the whole, within rounding', () => {
  fc.assert(
    fc.property(
      fc.array(fc.integer({ min: 1, max: 1_000_000_000 }), { minLength: 1, maxLength: 12 }),
      fc.integer({ min: 0, max: 10_000 }),
      (parts, bps) => {
        const agreement = { model: 'percent_of_paid' as const, percentBps: bps, currency: 'RUB' };
        const sum = parts.reduce((a, p, i) => a + commissionFor(agreement, { paidMinor: p, grade: 3, firstPayment: i === 0 }), 0);
        const whole = percentOf(
          parts.reduce((a, b) => a + b, 0),
          bps,
        );
        expect(Math.abs(sum - whole)).toBeLessThanOrEqual(parts.length);
      },
    ),
  );
});

test('the domain example: a 1 M project, 20% back = 120 k on the partner’s 600 k', () => {
  expect(
    commissionFor({ model: 'percent_of_paid', percentBps: 2000, currency: 'RUB' }, { paidMinor: 600_000_00, grade: 3, firstPayment: true }),
  ).toBe(120_000_00);
});

test('a fixed fee per lead is due once, with the first payment', () => {
  const fixed = { model: 'fixed_per_lead' as const, fixedFeeMinor: 15_000_00, currency: 'RUB' };
  expect(commissionFor(fixed, { paidMinor: 1, grade: 1, firstPayment: true })).toBe(15_000_00);
  expect(commissionFor(fixed, { paidMinor: 1_000_000, grade: 5, firstPayment: false })).toBe(0);
});

test('tiers by grade: the highest tier the grade reaches applies', () => {
  const tiers = [
    { minGrade: 1, percentBps: 1000 },
    { minGrade: 4, percentBps: 2000 },
    { minGrade: 5, percentBps: 3000 },
  ];
  expect([1, 3, 4, 5].map((g) => tierBps(tiers, g))).toEqual([1000, 1000, 2000, 3000]);
  expect(tierBps([{ minGrade: 3, percentBps: 1500 }], 2)).toBe(0);
  expect(commissionFor({ model: 'tiered_by_grade', tiers, currency: 'RUB' }, { paidMinor: 100_000_00, grade: 4, firstPayment: true })).toBe(
    20_000_00,
  );
});
