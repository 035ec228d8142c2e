// Business time for SLA clocks: working hours, weekends and public holidays.
import fc from 'fast-check';
import {
  addBusinessTime,
  BusinessCalendar,
  businessDayMs,
  businessTimeBetween,
  isWorkingDay,
  subtractBusinessTime,
} from '../../domain/calendar';
import { staleAt, staleCutoff } from '../../domain/staleness';

const cal = BusinessCalendar.parse({}); // Moscow time, 9–18, Sat/Sun off, Russian public holidays
const H = 3_600_000;
const msk = (iso: string) => Date.parse(iso + '+03:00');

test('hours inside one working day', () => {
  expect(addBusinessTime(cal, msk('2026-11-24T10:00:00'), 4 * H)).toBe(msk('2026-11-24T14:00:00'));
});

test('time runs over the evening into the next morning', () => {
  expect(addBusinessTime(cal, msk('2026-11-24T16:00:00'), 4 * H)).toBe(msk('2026-11-25T11:00:00'));
});

test('a lead arriving at night starts its clock at 9:00', () => {
  expect(addBusinessTime(cal, msk('2026-11-24T02:30:00'), 1 * H)).toBe(msk('2026-11-24T10:00:00'));
});

test('two business days from Friday afternoon end on Tuesday afternoon', () => {
  expect(addBusinessTime(cal, msk('2026-11-27T15:00:00'), 2 * businessDayMs(cal))).toBe(msk('2026-12-01T15:00:00'));
});

test('public holidays do not count: 4 November, and the New Year holidays', () => {
  expect(isWorkingDay(cal, Date.parse('2026-11-04T00:00:00Z'))).toBe(false);
  expect(addBusinessTime(cal, msk('2026-11-03T17:00:00'), 2 * H)).toBe(msk('2026-11-05T10:00:00'));
  expect(addBusinessTime(cal, msk('2026-12-31T17:00:00'), 2 * H)).toBe(msk('2027-01-11T10:00:00'));
});

test('declared transfers: an extra day off and a working Saturday', () => {
  const custom = BusinessCalendar.parse({ extraHolidays: ['2026-11-24'], extraWorkdays: ['2026-11-28'] });
  expect(addBusinessTime(custom, msk('2026-11-23T17:00:00'), 2 * H)).toBe(msk('2026-11-25T10:00:00'));
  expect(isWorkingDay(custom, Date.parse('2026-11-28T00:00:00Z'))).toBe(true);
});

test('counting back: two business days before Tuesday 15:00 is Friday 15:00', () => {
  expect(subtractBusinessTime(cal, msk('2026-12-01T15:00:00'), 2 * businessDayMs(cal))).toBe(msk('2026-11-27T15:00:00'));
  // From a night or a weekend, the clock counts back from the last working hour.
  expect(subtractBusinessTime(cal, msk('2026-11-29T23:00:00'), 1 * H)).toBe(msk('2026-11-27T17:00:00'));
  expect(subtractBusinessTime(cal, msk('2027-01-11T10:00:00'), 2 * H)).toBe(msk('2026-12-31T17:00:00'));
});

test('counting back undoes counting forward from any working instant', () => {
  const start = msk('2026-01-01T00:00:00');
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 730 * 24 }), fc.integer({ min: 1, max: 40 * 9 }), (hoursIn, businessHours) => {
      const from = addBusinessTime(cal, start + hoursIn * H, 0); // a working instant
      const to = addBusinessTime(cal, from, businessHours * H);
      const back = subtractBusinessTime(cal, to, businessHours * H);
      // `from` may sit at a day's opening, which is the same business instant as the day before's close.
      expect(addBusinessTime(cal, back, businessHours * H)).toBe(to);
      expect(back === from || addBusinessTime(cal, back, 0) === from).toBe(true);
    }),
  );
});

test('a stale lead is one rule: untouched since the cutoff ⇔ its stale instant has passed', () => {
  const touched = msk('2026-11-27T15:00:00'); // a Friday afternoon
  expect(staleAt(cal, touched)).toBe(msk('2026-12-01T15:00:00')); // Tuesday, not Sunday
  expect(staleCutoff(cal, msk('2026-12-01T15:00:00'))).toBe(touched);
  expect(staleCutoff(cal, msk('2026-11-30T23:00:00'))).toBeLessThan(touched); // Monday night: not yet stale
});

describe('businessTimeBetween (the SLA clock the console shows)', () => {
  test('counts only working hours, across a weekend, and is negative past the due date', () => {
    expect(businessTimeBetween(cal, msk('2026-11-24T10:00:00'), msk('2026-11-24T14:30:00'))).toBe(4.5 * H);
    // Friday 17:00 → Monday 10:00: one hour on Friday, one on Monday.
    expect(businessTimeBetween(cal, msk('2026-11-27T17:00:00'), msk('2026-11-30T10:00:00'))).toBe(2 * H);
    expect(businessTimeBetween(cal, msk('2026-11-30T10:00:00'), msk('2026-11-27T17:00:00'))).toBe(-2 * H);
    // Night and a public holiday (4 November) count nothing.
    expect(businessTimeBetween(cal, msk('2026-11-04T09:00:00'), msk('2026-11-04T18:00:00'))).toBe(0);
    expect(businessTimeBetween(cal, msk('2026-11-24T19:00:00'), msk('2026-11-25T08:00:00'))).toBe(0);
  });

  test('is the inverse of addBusinessTime', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: Date.parse('2026-01-01T00:00:00Z'), max: Date.parse('2027-12-31T00:00:00Z') }),
        fc.integer({ min: 0, max: 40 * 9 * 60 }),
        (start, minutes) => {
          const end = addBusinessTime(cal, start, minutes * 60_000);
          return businessTimeBetween(cal, start, end) === minutes * 60_000;
        },
      ),
      { numRuns: 300 },
    );
  });
});
