// What makes a lead policy workable, beyond its shape: a calendar with working time in it, an SLA
// ladder in order (reminder → escalation → stale), durations neither zero nor years, a time zone
// that exists. Checked before a version is stored (api/plugins/policies.ts), each problem naming
// its field, so a bad edit is refused whole instead of reaching running leads.
import { z } from 'zod';
import { addBusinessTime, businessDayMs } from './calendar';
import { LeadPolicy } from './policy';
import { DAY, HOUR } from './time';

export interface FieldProblem {
  path: string;
  message: string;
}

/** The longest wait a policy may set: a year (a "3 years" typo would silence a lead for good). */
export const MAX_WAIT_MS = 366 * DAY;
/** The longest SLA step in working time: about a working year. */
export const MAX_BUSINESS_HOURS = 2000;
export const MAX_BUSINESS_DAYS = 250;

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: HOUR, d: DAY, w: 7 * DAY };
/** A policy Duration ('3 days', '90 minutes') in ms. */
export function durationMs(d: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([a-z]+)$/.exec(d.trim());
  if (!m) return NaN;
  const unit = m[2]!;
  const key = unit === 'ms' || unit.startsWith('milli') ? 'ms' : unit.startsWith('mi') || unit === 'm' ? 'm' : unit[0]!;
  return Number(m[1]) * (UNIT_MS[key] ?? NaN);
}

/** The zone's offset from UTC at `at`, minutes; undefined when the zone does not exist. */
export function zoneOffsetMinutes(timeZone: string, at: Date): number | undefined {
  let name: string | undefined;
  try {
    const parts = new Intl.DateTimeFormat('en', { timeZone, timeZoneName: 'longOffset' }).formatToParts(at);
    name = parts.find((p) => p.type === 'timeZoneName')?.value;
  } catch {
    return undefined;
  }
  const m = /^GMT(?:([+-])(\d{2}):(\d{2}))?$/.exec(name ?? '');
  if (!m) return undefined;
  return m[1] ? (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3])) : 0;
}

/** Plain objects merge key by key; anything else (arrays, values) replaces: a team's version overrides the default's fields. */
export function mergePolicy(base: unknown, over: unknown): unknown {
  if (!isPlain(base) || !isPlain(over)) return over === undefined ? base : over;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = mergePolicy(base[k], v);
  return out;
}
const isPlain = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Keys the schema does not know (a typo would otherwise be dropped silently and the edit lost). */
export function unknownKeys(raw: unknown, schema: z.ZodTypeAny = LeadPolicy, path = 'policy'): FieldProblem[] {
  let s: z.ZodTypeAny = schema;
  while (s instanceof z.ZodDefault || s instanceof z.ZodOptional) {
    s = (s instanceof z.ZodDefault ? s.removeDefault() : s.unwrap()) as z.ZodTypeAny;
  }
  if (!(s instanceof z.ZodObject) || !isPlain(raw)) return [];
  const shape = s.shape as Record<string, z.ZodTypeAny>;
  return Object.entries(raw).flatMap(([k, v]) =>
    k in shape ? unknownKeys(v, shape[k], `${path}.${k}`) : [{ path: `${path}.${k}`, message: 'unknown field' }],
  );
}

/**
 * A stored body made ready: its calendar's offset set from its time zone. Problems: a zone that
 * does not exist, one that moves its clocks (the clock counts with one offset), an offset that
 * contradicts the zone.
 */
export function withZoneOffset(body: unknown, now: Date): { body: unknown; problems: FieldProblem[] } {
  if (!isPlain(body) || !isPlain(body.calendar) || body.calendar.timeZone === undefined) return { body, problems: [] };
  const cal = body.calendar;
  const path = 'policy.calendar.timeZone';
  if (typeof cal.timeZone !== 'string') return { body, problems: [{ path, message: 'an IANA time zone name, e.g. Asia/Vladivostok' }] };
  const winter = zoneOffsetMinutes(cal.timeZone, new Date(Date.UTC(now.getUTCFullYear(), 0, 15)));
  const summer = zoneOffsetMinutes(cal.timeZone, new Date(Date.UTC(now.getUTCFullYear(), 6, 15)));
  if (winter === undefined || summer === undefined) return { body, problems: [{ path, message: `no such time zone: ${cal.timeZone}` }] };
  if (winter !== summer) {
    const message =
      `${cal.timeZone} changes its clocks (UTC${fmt(winter)} / UTC${fmt(summer)}); ` + 'the SLA clock needs a zone with one offset';
    return { body, problems: [{ path, message }] };
  }
  if (cal.utcOffsetMinutes !== undefined && cal.utcOffsetMinutes !== winter) {
    const message = `${cal.timeZone} is UTC${fmt(winter)}, not ${String(cal.utcOffsetMinutes)} minutes`;
    return { body, problems: [{ path: 'policy.calendar.utcOffsetMinutes', message }] };
  }
  return { body: { ...body, calendar: { ...cal, utcOffsetMinutes: winter } }, problems: [] };
}
const two = (n: number) => String(n).padStart(2, '0');
const fmt = (min: number) => `${min < 0 ? '-' : '+'}${two(Math.floor(Math.abs(min) / 60))}:${two(Math.abs(min) % 60)}`;

/** What makes a well-formed policy unworkable, each with its field. */
export function policyProblems(p: LeadPolicy, now: number): FieldProblem[] {
  const out: FieldProblem[] = [];
  const cal = p.calendar;
  if (cal.workdayEndHour <= cal.workdayStartHour) {
    out.push({
      path: 'policy.calendar.workdayEndHour',
      message: `the working day ends (${cal.workdayEndHour}:00) before it starts (${cal.workdayStartHour}:00): no working time`,
    });
  } else if (new Set(cal.weekend).size >= 7) {
    out.push({ path: 'policy.calendar.weekend', message: 'every day of the week is off: no working time' });
  } else {
    // Holidays could still leave no working day for a long time: a month's working day must exist.
    try {
      const day = addBusinessTime(cal, now, businessDayMs(cal));
      if (day - now > 60 * DAY) out.push({ path: 'policy.calendar', message: 'no working day within 60 days' });
    } catch {
      out.push({ path: 'policy.calendar', message: 'no working time' });
    }
  }
  const fc = p.firstContact;
  const hours = (k: 'reminderAfterBusinessHours' | 'escalateAfterBusinessHours') => {
    if (fc[k] > MAX_BUSINESS_HOURS) {
      out.push({ path: `policy.firstContact.${k}`, message: `at most ${MAX_BUSINESS_HOURS} working hours` });
    }
  };
  hours('reminderAfterBusinessHours');
  hours('escalateAfterBusinessHours');
  if (fc.escalateAfterBusinessHours <= fc.reminderAfterBusinessHours) {
    out.push({
      path: 'policy.firstContact.escalateAfterBusinessHours',
      message: `the escalation (${fc.escalateAfterBusinessHours} h) must come after the reminder (${fc.reminderAfterBusinessHours} h)`,
    });
  }
  const staleHours = fc.staleAfterBusinessDays * (cal.workdayEndHour - cal.workdayStartHour);
  if (staleHours <= fc.escalateAfterBusinessHours) {
    out.push({
      path: 'policy.firstContact.staleAfterBusinessDays',
      message:
        `stale (${fc.staleAfterBusinessDays} business days = ${staleHours} working hours) ` +
        `must come after the escalation (${fc.escalateAfterBusinessHours} h)`,
    });
  }
  const days: Array<[string, number]> = [
    ['firstContact.staleAfterBusinessDays', fc.staleAfterBusinessDays],
    ['consentWindowBusinessDays', p.consentWindowBusinessDays],
    ['partnerAcceptanceBusinessDays', p.partnerAcceptanceBusinessDays],
    ['stopContactConfirmBusinessDays', p.stopContactConfirmBusinessDays],
  ];
  for (const [path, n] of days) {
    if (n > MAX_BUSINESS_DAYS) out.push({ path: `policy.${path}`, message: `at most ${MAX_BUSINESS_DAYS} business days` });
  }
  const waits: Array<[string, string]> = [
    ['consentWindow', p.consentWindow],
    ['assignmentRecheck', p.assignmentRecheck],
    ...Object.entries(p.dealStageTimeouts).map(([k, v]): [string, string] => [`dealStageTimeouts.${k}`, v]),
    ...(['interval', 'replyWindow', 'partnerCreditWindow'] as const).map((k): [string, string] => [`reengagement.${k}`, p.reengagement[k]]),
  ];
  for (const [path, d] of waits) {
    const v = durationMs(d);
    if (!(v > 0)) out.push({ path: `policy.${path}`, message: `${d}: a wait must be longer than zero` });
    else if (v > MAX_WAIT_MS) out.push({ path: `policy.${path}`, message: `${d}: at most a year` });
  }
  return out;
}

export type Checked = { ok: true; body: unknown; policy: LeadPolicy } | { ok: false; status: 400 | 422; problems: FieldProblem[] };

/**
 * A proposed body checked as it will apply: merged over `base` (a team's version over the
 * default's), parsed by LeadPolicy (400: shape), then judged workable (422). `body` is what is
 * stored: the proposal with its calendar's offset set from its time zone.
 */
export function checkPolicy(proposed: unknown, base: unknown, now: Date): Checked {
  const unknown = unknownKeys(proposed);
  if (unknown.length) return { ok: false, status: 400, problems: unknown };
  const zoned = withZoneOffset(proposed, now);
  if (zoned.problems.length) return { ok: false, status: 422, problems: zoned.problems };
  const parsed = LeadPolicy.safeParse(mergePolicy(base ?? {}, zoned.body));
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => ({ path: ['policy', ...i.path].join('.'), message: i.message }));
    return { ok: false, status: 400, problems };
  }
  const problems = policyProblems(parsed.data, now.getTime());
  return problems.length ? { ok: false, status: 422, problems } : { ok: true, body: zoned.body, policy: parsed.data };
}
