// When a person may be told of new work: quiet hours on their own wall clock (e.g. 20:00–09:00 in
// Europe/Moscow) and, optionally, only within the working hours of the business calendar (the
// same calendar as the SLA clocks, domain/calendar.ts). Pure: the delivery activity asks it with
// the time of delivery, so a changed preference applies to what is already waiting.
import { addBusinessTime, type BusinessCalendar } from './calendar';

/** "HH:MM", 00:00–24:00 (24:00 only makes sense as an end). */
export const HHMM = /^([01]\d|2[0-3]):[0-5]\d$|^24:00$/;

export interface QuietRule {
  /** An IANA time zone the quiet hours are read in. */
  timeZone: string;
  /** Local "HH:MM" bounds; `from` later than `to` wraps midnight (20:00–09:00). */
  quietHours: { from: string; to: string } | null;
  /** Hold anything that falls outside the business calendar's working time. */
  workingHoursOnly: boolean;
}

export const minutesOf = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/** The canonical name of an IANA time zone, or undefined when Intl does not know it. */
export function canonicalTimeZone(tz: string): string | undefined {
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: tz }).resolvedOptions().timeZone;
  } catch {
    return undefined;
  }
}

/** Why these quiet hours cannot be kept (zero length, the whole day), or undefined. */
export function quietHoursProblem(q: { from: string; to: string }): string | undefined {
  const from = minutesOf(q.from);
  const to = minutesOf(q.to);
  if (from === to) return 'quiet hours of zero length: from and to are the same time';
  if ((to - from + 1440) % 1440 === 0) return 'quiet hours cover the whole day: nothing would ever be delivered';
  return undefined;
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function wallClock(ms: number, timeZone: string) {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, f);
  }
  const p = Object.fromEntries(f.formatToParts(new Date(ms)).map((x) => [x.type, Number(x.value)])) as Record<string, number>;
  return { y: p.year!, mo: p.month!, d: p.day!, minutes: p.hour! * 60 + p.minute!, s: p.second! };
}

/** The instant of a local wall-clock time in `timeZone` (days and minutes may overflow: Date.UTC normalises). */
function instantOf(timeZone: string, y: number, mo: number, d: number, minutes: number): number {
  const asUtc = Date.UTC(y, mo - 1, d, 0, minutes);
  const offset = (ms: number) => {
    const w = wallClock(ms, timeZone);
    return Date.UTC(w.y, w.mo - 1, w.d, 0, w.minutes, w.s) - Math.floor(ms / 1000) * 1000;
  };
  const first = asUtc - offset(asUtc);
  return asUtc - offset(first); // a second pass settles a DST change between the guess and the answer
}

/** When the quiet hours that cover `nowMs` end, or undefined when `nowMs` is not in them. */
export function quietUntil(rule: QuietRule, nowMs: number): number | undefined {
  if (!rule.quietHours) return undefined;
  const from = minutesOf(rule.quietHours.from);
  const to = minutesOf(rule.quietHours.to);
  const w = wallClock(nowMs, rule.timeZone);
  const m = w.minutes;
  const quiet = from < to ? m >= from && m < to : m >= from || m < to;
  if (!quiet) return undefined;
  // Past `from` on a night that wraps midnight: they end tomorrow; otherwise today.
  const day = from > to && m >= from ? w.d + 1 : w.d;
  return instantOf(rule.timeZone, w.y, w.mo, day, to);
}

/**
 * The earliest instant at or after `nowMs` when the person may be told: outside quiet hours and,
 * with `workingHoursOnly`, within working time. Undefined when that is now (send at once).
 * Rules that leave no such instant (refused on input) fall back to the next working time.
 */
export function heldUntil(rule: QuietRule, cal: BusinessCalendar, nowMs: number): number | undefined {
  const working = (t: number) => (rule.workingHoursOnly ? addBusinessTime(cal, t, 0) : t);
  let t = nowMs;
  for (let i = 0; i < 64; i++) {
    const next = Math.max(quietUntil(rule, t) ?? t, working(t));
    if (next === t) return t > nowMs ? t : undefined;
    t = next;
  }
  const fallback = working(nowMs);
  return fallback > nowMs ? fallback : undefined;
}

/** Whether some instant of the two weeks after `fromMs` is outside quiet hours and (if asked) in working time. */
export function hasDeliveryWindow(rule: QuietRule, cal: BusinessCalendar, fromMs: number): boolean {
  const until = heldUntil(rule, cal, fromMs) ?? fromMs;
  const free = quietUntil(rule, until) === undefined && (!rule.workingHoursOnly || addBusinessTime(cal, until, 0) === until);
  return free && until - fromMs <= 14 * 86_400_000;
}
