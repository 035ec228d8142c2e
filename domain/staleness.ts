// The rule of a stale lead, in one place: a lead untouched by its manager for 2 business days has
// gone stale (the trade says 2–3 days: the client no longer remembers the call). The workflow's
// SLA ladder flags it when the time runs out; the "leads rotting" alarm asks the database which
// leads have been untouched that long. Both count the same business time in the same calendar.
import { addBusinessTime, type BusinessCalendar, businessDayMs, subtractBusinessTime } from './calendar';

/** Business days untouched after which a lead is stale (the low end of the trade's 2–3 days). */
export const STALE_AFTER_BUSINESS_DAYS = 2;

/** When a lead last touched at `touchedMs` goes stale. */
export function staleAt(cal: BusinessCalendar, touchedMs: number, businessDays = STALE_AFTER_BUSINESS_DAYS): number {
  return addBusinessTime(cal, touchedMs, businessDays * businessDayMs(cal));
}

/** Leads last touched at or before this instant are stale at `nowMs`. */
export function staleCutoff(cal: BusinessCalendar, nowMs: number, businessDays = STALE_AFTER_BUSINESS_DAYS): number {
  return subtractBusinessTime(cal, nowMs, businessDays * businessDayMs(cal));
}
