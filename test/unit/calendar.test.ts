// Business time for SLA clocks: working hours, weekends and public holidays.
import { addBusinessTime, BusinessCalendar, businessDayMs, isWorkingDay } from '../../domain/calendar';

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
