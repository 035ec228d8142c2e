// What makes a policy workable (domain/policy-rules.ts) and the production calendar shipped as data.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { addBusinessTime, BusinessCalendar, isWorkingDay } from '../../domain/calendar';
import { defaultPolicy } from '../../domain/policy';
import { checkPolicy, durationMs, mergePolicy, zoneOffsetMinutes } from '../../domain/policy-rules';
import { ruProductionCalendar } from '../../domain/production-calendar-ru';

const HOUR = 3_600_000;
const NOW = new Date('2026-11-30T10:00:00Z');

test('the migration ships the production calendar of domain/production-calendar-ru.ts as the first default version', () => {
  const sql = readFileSync(join(__dirname, '../../prisma/migrations/20261202010000_policy_versions/migration.sql'), 'utf8');
  const body = /VALUES \('default', 1, '([^']+)'/.exec(sql)![1]!;
  expect(JSON.parse(body)).toEqual({ calendar: ruProductionCalendar() });
});

test('the 2026 transfers and the 2027 art. 112 days are days off, the days around them working; SLAs skip the New Year', () => {
  const cal = BusinessCalendar.parse(ruProductionCalendar());
  const day = (iso: string) => Date.parse(`${iso}T00:00:00Z`);
  for (const off of ['2026-01-09', '2026-03-09', '2026-05-11', '2026-12-31', '2027-05-03', '2027-05-10', '2027-06-14']) {
    expect([off, isWorkingDay(cal, day(off))]).toEqual([off, false]);
  }
  for (const on of ['2026-01-12', '2026-12-30', '2027-01-11']) expect([on, isWorkingDay(cal, day(on))]).toEqual([on, true]);
  // A lead assigned on Wednesday 30 December 2026 at 16:00 Moscow time: 2 h that day, then the
  // New Year holidays (31 December to 10 January 2027 with the weekend), then 11 January from 09:00.
  const due = addBusinessTime(cal, Date.parse('2026-12-30T13:00:00Z'), 4 * HOUR);
  expect(new Date(due).toISOString()).toBe('2027-01-11T08:00:00.000Z');
});

test('time zones: the offset comes from the IANA name; an unknown one is undefined', () => {
  expect(zoneOffsetMinutes('Europe/Moscow', NOW)).toBe(180);
  expect(zoneOffsetMinutes('Asia/Vladivostok', NOW)).toBe(600);
  expect(zoneOffsetMinutes('Asia/Kamchatka', NOW)).toBe(720);
  expect(zoneOffsetMinutes('Mars/Olympus', NOW)).toBeUndefined();
  const checked = checkPolicy({ calendar: { timeZone: 'Asia/Vladivostok' } }, {}, NOW);
  expect(checked.ok && checked.policy.calendar.utcOffsetMinutes).toBe(600);
});

test('a team version merges over the default: objects field by field, arrays replaced', () => {
  const merged = mergePolicy(
    { calendar: { timeZone: 'Europe/Moscow', extraHolidays: ['2026-01-09'] }, firstContact: { reminderAfterBusinessHours: 4 } },
    { calendar: { extraHolidays: ['2027-01-08'] }, firstContact: { escalateAfterBusinessHours: 8 } },
  );
  expect(merged).toEqual({
    calendar: { timeZone: 'Europe/Moscow', extraHolidays: ['2027-01-08'] },
    firstContact: { reminderAfterBusinessHours: 4, escalateAfterBusinessHours: 8 },
  });
});

test('durations read as the workflow reads them; the defaults are a workable policy', () => {
  expect(durationMs('75 days')).toBe(75 * 24 * HOUR);
  expect(durationMs('90 minutes')).toBe(90 * 60_000);
  expect(durationMs('2 weeks')).toBe(14 * 24 * HOUR);
  expect(durationMs('500ms')).toBe(500);
  expect(checkPolicy({}, {}, NOW)).toEqual({ ok: true, body: {}, policy: defaultPolicy() });
});
