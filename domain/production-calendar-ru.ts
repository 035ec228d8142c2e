// Russia's production calendar as data: the days the annual holidays (Labour Code art. 112, the
// calendar's `annualHolidays`) do not cover — days off moved by decree or by art. 112 itself (a
// holiday falling on a weekend moves to the next working day), and weekend days made working
// days. Shipped as the first default policy version (migration 20261202010000); ops add next
// year's through POST /policies once the government publishes it (README, "Policy").
// Shortened pre-holiday days are not modelled: the SLA clock counts them as full days.

export interface ProductionYear {
  year: number;
  /** Where the figures come from, and whether the year is final. */
  source: string;
  /** Days off beyond the annual holidays, YYYY-MM-DD. */
  extraHolidays: string[];
  /** Weekend days that are working days, YYYY-MM-DD. */
  extraWorkdays: string[];
}

export const RU_PRODUCTION_CALENDAR: ProductionYear[] = [
  {
    year: 2026,
    source:
      'Government Decree of 24.09.2025 No. 1466: Sat 3 Jan → Fri 9 Jan, Sun 4 Jan → Thu 31 Dec; ' +
      'art. 112: Sun 8 Mar → Mon 9 Mar, Sat 9 May → Mon 11 May',
    extraHolidays: ['2026-01-09', '2026-03-09', '2026-05-11', '2026-12-31'],
    extraWorkdays: [],
  },
  {
    year: 2027,
    source:
      'provisional — no decree for 2027 yet: only art. 112 transfers (Sat 1 May → Mon 3 May, Sun 9 May → Mon 10 May, ' +
      'Sat 12 Jun → Mon 14 Jun); the decree will place Sat 2 Jan and Sun 3 Jan',
    extraHolidays: ['2027-05-03', '2027-05-10', '2027-06-14'],
    extraWorkdays: [],
  },
];

/** The calendar fields the production calendar sets (merged into a policy's `calendar`). */
export function ruProductionCalendar(): { timeZone: string; utcOffsetMinutes: number; extraHolidays: string[]; extraWorkdays: string[] } {
  return {
    timeZone: 'Europe/Moscow',
    utcOffsetMinutes: 180,
    extraHolidays: RU_PRODUCTION_CALENDAR.flatMap((y) => y.extraHolidays),
    extraWorkdays: RU_PRODUCTION_CALENDAR.flatMap((y) => y.extraWorkdays),
  };
}
