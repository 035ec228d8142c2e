// Business time: SLA clocks count working hours only (working days, working hours, public
// holidays). Pure and deterministic, so workflows can turn "2 business days" into a timer.
import { z } from 'zod';
import { DAY, HOUR } from './time';

export const BusinessCalendar = z.object({
  /**
   * The team's IANA time zone (Europe/Moscow, Asia/Vladivostok). The policy API checks it exists
   * and sets `utcOffsetMinutes` from it (domain/policy-rules.ts); the clock itself counts with the
   * offset, so a workflow never asks the machine's time-zone data.
   */
  timeZone: z.string().optional(),
  /** Offset of the team's local time from UTC, minutes (Moscow: +180, no DST). */
  utcOffsetMinutes: z.number().int().min(-720).max(840).default(180),
  workdayStartHour: z.number().int().min(0).max(23).default(9),
  workdayEndHour: z.number().int().min(1).max(24).default(18),
  /** Days of week off, 0 = Sunday. */
  weekend: z.array(z.number().int().min(0).max(6)).default([0, 6]),
  /** Public holidays that recur every year, as MM-DD (defaults: Russian Labour Code art. 112). */
  annualHolidays: z
    .array(z.string().regex(/^\d{2}-\d{2}$/))
    .default([
      '01-01',
      '01-02',
      '01-03',
      '01-04',
      '01-05',
      '01-06',
      '01-07',
      '01-08',
      '02-23',
      '03-08',
      '05-01',
      '05-09',
      '06-12',
      '11-04',
    ]),
  /** One-off days off (transfers, company days), YYYY-MM-DD. */
  extraHolidays: z.array(z.string().regex(/^\d{4}-\d{2}-\d{2}$/)).default([]),
  /** Weekend days declared working days by transfer, YYYY-MM-DD. */
  extraWorkdays: z.array(z.string().regex(/^\d{4}-\d{2}-\d{2}$/)).default([]),
});
export type BusinessCalendar = z.infer<typeof BusinessCalendar>;

function localDate(ms: number): { iso: string; mmdd: string; dow: number } {
  const d = new Date(ms);
  const iso = d.toISOString().slice(0, 10);
  return { iso, mmdd: iso.slice(5), dow: d.getUTCDay() };
}

export function isWorkingDay(cal: BusinessCalendar, localMidnightMs: number): boolean {
  const { iso, mmdd, dow } = localDate(localMidnightMs);
  if (cal.extraWorkdays.includes(iso)) return true;
  if (cal.extraHolidays.includes(iso)) return false;
  if (cal.annualHolidays.includes(mmdd)) return false;
  return !cal.weekend.includes(dow);
}

/** The instant (UTC ms) that is `businessMs` of working time after `startMs`. */
export function addBusinessTime(cal: BusinessCalendar, startMs: number, businessMs: number): number {
  const offset = cal.utcOffsetMinutes * 60_000;
  let local = startMs + offset; // work in the team's local wall clock
  let remaining = businessMs;
  for (let guard = 0; guard < 3700; guard++) {
    const midnight = Math.floor(local / DAY) * DAY;
    const open = midnight + cal.workdayStartHour * HOUR;
    const close = midnight + cal.workdayEndHour * HOUR;
    if (isWorkingDay(cal, midnight) && local < close) {
      const from = Math.max(local, open);
      if (from + remaining <= close) return from + remaining - offset;
      remaining -= close - from;
    }
    local = midnight + DAY;
  }
  throw new Error('business calendar has no working time within ten years');
}

/** Working time of one business day under this calendar. */
export function businessDayMs(cal: BusinessCalendar): number {
  return (cal.workdayEndHour - cal.workdayStartHour) * HOUR;
}

/**
 * The latest instant (UTC ms) from which `businessMs` of working time has run out by `endMs`:
 * the inverse of addBusinessTime, so "untouched since before X" can be asked of a database.
 */
export function subtractBusinessTime(cal: BusinessCalendar, endMs: number, businessMs: number): number {
  const offset = cal.utcOffsetMinutes * 60_000;
  let local = endMs + offset;
  let remaining = businessMs;
  for (let guard = 0; guard < 3700; guard++) {
    const midnight = Math.floor(local / DAY) * DAY;
    // `local` at exactly midnight belongs to the day before (its end), not to the new day.
    const day = local === midnight ? midnight - DAY : midnight;
    const open = day + cal.workdayStartHour * HOUR;
    const close = day + cal.workdayEndHour * HOUR;
    if (isWorkingDay(cal, day) && local > open) {
      const to = Math.min(local, close);
      if (to - remaining >= open) return to - remaining - offset;
      remaining -= to - open;
    }
    local = day;
  }
  throw new Error('business calendar has no working time within ten years');
}

/**
 * Working time between two instants (ms; negative when `toMs` is earlier): what an SLA clock
 * shows — "due in 3 h of working time", "overdue by 1 h" — in the same calendar its timers count.
 */
export function businessTimeBetween(cal: BusinessCalendar, fromMs: number, toMs: number): number {
  if (toMs < fromMs) return -businessTimeBetween(cal, toMs, fromMs);
  const offset = cal.utcOffsetMinutes * 60_000;
  const from = fromMs + offset;
  const to = toMs + offset;
  let total = 0;
  for (let midnight = Math.floor(from / DAY) * DAY, guard = 0; midnight < to && guard < 3700; midnight += DAY, guard++) {
    if (!isWorkingDay(cal, midnight)) continue;
    const open = Math.max(from, midnight + cal.workdayStartHour * HOUR);
    const close = Math.min(to, midnight + cal.workdayEndHour * HOUR);
    if (close > open) total += close - open;
  }
  return total;
}
