// The funnel report (DOMAIN "The funnel and its alarms"): leads → reached → target → deals →
// contracts, with conversions, the target share, the speed of first contact and re-engagement
// returns — in total and sliced by one dimension at a time. Pure: the API loads the facts, this
// module counts. Nothing here holds personal data.
//
// Definitions (every step counts a lead at most once, however often its event repeats):
//   leads      every lead created in the report's range (the cohort, by createdAt)
//   reached    the lead has a `contacted` event (a manager reached the person)
//   target     the lead has a `qualified` event (qualified as target; non-target is `closed`)
//   deals      the lead entered the stage `deal`: a `qualified` event into `deal` (ours) or a
//              `partner_accepted` event into `deal` (a partner took it)
//   contracts  the lead has a `contract_signed` event
//   conversion of a step: count / previous step's count, and count / leads (null on 0 / 0)
//   target share: target / reached (the domain's alarm is below TARGET_SHARE_ALARM = 60 %)
//   first contact: the first contact attempt — the first `contacted`, `no_answer`, `refused` or
//              `unreachable` event (every outcome of recordContact) — minus createdAt, in
//              wall-clock minutes; p50 and p90 over the leads that had one (linear
//              interpolation between closest ranks), the others counted as `untouched`
//   returns:   leads that went to re-engagement (a `refused`, `lost`, `unreachable`,
//              `consent_refused`, `consent_timeout` or `no_partner` event) and later have a
//              `returned` event; share = returned / re-engaged; days until return = the first
//              `returned` after such an event minus the latest such event before it; median
//   The cohort's events count whenever they happened (also after the range's end).
//
// Slices: period (week | month | quarter of createdAt, UTC; ISO weeks start on Monday and are
// named by their ISO week-year, "2026-W47"), source channel, referring partner
// (sourcePartnerId), manager (the current owner), region. Every lead falls in exactly one group
// (null when the dimension is empty), so each count summed over the groups equals the total.
import { DAY, MINUTE } from './time';

import { CONTACT_ATTEMPTS, isOneOf, REENGAGEMENT_ENTRIES, type Stage, type TransitionType } from './vocabulary';

export const TARGET_SHARE_ALARM = 0.6;

export const FUNNEL_STEPS = ['leads', 'reached', 'target', 'deals', 'contracts'] as const;
export type FunnelStep = (typeof FUNNEL_STEPS)[number];

/** Events that enter re-engagement: the lifecycle's own list (`toReengagement` takes only these). */
export const REENGAGEMENT_ENTRY_TYPES: readonly TransitionType[] = REENGAGEMENT_ENTRIES;
/** Every outcome of a recorded contact attempt (domain/lifecycle.ts, recordContact). */
export const CONTACT_ATTEMPT_TYPES: readonly TransitionType[] = CONTACT_ATTEMPTS;
/** The only event types the report reads: a loader may fetch just these. */
export const FUNNEL_EVENT_TYPES: readonly TransitionType[] = [
  ...new Set<TransitionType>([
    ...CONTACT_ATTEMPT_TYPES,
    ...REENGAGEMENT_ENTRY_TYPES,
    'qualified',
    'partner_accepted',
    'contract_signed',
    'returned',
  ]),
];

export const GROUP_BY = ['period', 'source', 'partner', 'manager', 'region'] as const;
export type GroupBy = (typeof GROUP_BY)[number];
export const PERIODS = ['week', 'month', 'quarter'] as const;
export type Period = (typeof PERIODS)[number];

export interface FunnelEvent {
  seq: number;
  type: string;
  stage: string;
  at: Date;
}

export interface FunnelLead {
  id: string;
  createdAt: Date;
  sourceChannel: string;
  sourcePartnerId: string | null;
  managerId: string | null;
  region: string | null;
  /** The lead's events (any order: they are read in `seq` order). */
  events: FunnelEvent[];
}

/** What one lead contributes to the report. */
export interface LeadFunnelFacts {
  reached: boolean;
  target: boolean;
  deal: boolean;
  contract: boolean;
  /** ms from creation to the first contact attempt, or null when never touched. */
  firstContactMs: number | null;
  reengaged: boolean;
  /** ms from entering re-engagement to the first return, or null when it never returned. */
  returnMs: number | null;
}

export interface Conversion {
  fromPrevious: number | null;
  fromLeads: number | null;
}

export interface FunnelRow {
  leads: number;
  reached: number;
  target: number;
  deals: number;
  contracts: number;
  conversion: { reached: Conversion; target: Conversion; deals: Conversion; contracts: Conversion };
  /** target / reached. */
  targetShare: number | null;
  /** targetShare below TARGET_SHARE_ALARM (null when nobody was reached). */
  targetShareLow: boolean | null;
  firstContact: { touched: number; untouched: number; p50Minutes: number | null; p90Minutes: number | null };
  returns: { reengaged: number; returned: number; share: number | null; medianDaysToReturn: number | null };
}

export interface FunnelGroup extends FunnelRow {
  /** The period ("2026-11", "2026-Q4", "2026-W47") or the dimension's value; null = none. */
  key: string | null;
}

export interface FunnelReport {
  total: FunnelRow;
  groups: FunnelGroup[];
}

export interface FunnelOptions {
  groupBy?: GroupBy;
  period?: Period;
  /** With groupBy period: every period overlapping [from, to) gets a row, empty ones too. */
  range?: { from: Date; to: Date };
}

const round = (x: number, digits: number) => {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
};
/** A ratio rounded to 4 decimals; null when the denominator is 0. */
export const ratio = (n: number, d: number): number | null => (d === 0 ? null : round(n / d, 4));

/** The p-th quantile (0..1) by linear interpolation between closest ranks; null when empty. */
export function quantile(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const h = (sorted.length - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.ceil(h);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (h - lo);
}

export function leadFacts(lead: FunnelLead): LeadFunnelFacts {
  const events = [...lead.events].sort((a, b) => a.seq - b.seq);
  const facts: LeadFunnelFacts = {
    reached: false,
    target: false,
    deal: false,
    contract: false,
    firstContactMs: null,
    reengaged: false,
    returnMs: null,
  };
  let reengagedAt: number | undefined;
  for (const e of events) {
    const at = e.at.getTime();
    // The column holds what any version of the workflow wrote; the names asked for are today's vocabulary.
    const was = (...types: readonly TransitionType[]) => isOneOf(types, e.type);
    if (was('contacted')) facts.reached = true;
    if (was('qualified')) facts.target = true;
    if (was('qualified', 'partner_accepted') && e.stage === ('deal' satisfies Stage)) facts.deal = true;
    if (was('contract_signed')) facts.contract = true;
    if (facts.firstContactMs === null && was(...CONTACT_ATTEMPT_TYPES)) facts.firstContactMs = Math.max(0, at - lead.createdAt.getTime());
    if (was(...REENGAGEMENT_ENTRY_TYPES)) {
      facts.reengaged = true;
      reengagedAt = at;
    }
    if (was('returned') && reengagedAt !== undefined && facts.returnMs === null) facts.returnMs = Math.max(0, at - reengagedAt);
  }
  return facts;
}

/** The full step set over some leads' facts. */
export function funnelRow(facts: readonly LeadFunnelFacts[]): FunnelRow {
  const count = (pick: (f: LeadFunnelFacts) => boolean) => facts.reduce((n, f) => n + (pick(f) ? 1 : 0), 0);
  const leads = facts.length;
  const reached = count((f) => f.reached);
  const target = count((f) => f.target);
  const deals = count((f) => f.deal);
  const contracts = count((f) => f.contract);
  const conv = (n: number, previous: number): Conversion => ({ fromPrevious: ratio(n, previous), fromLeads: ratio(n, leads) });
  const touchedMs = facts.flatMap((f) => (f.firstContactMs === null ? [] : [f.firstContactMs]));
  const returnMs = facts.flatMap((f) => (f.returnMs === null ? [] : [f.returnMs]));
  const minutes = (p: number) => {
    const q = quantile(touchedMs, p);
    return q === null ? null : round(q / MINUTE, 2);
  };
  const medianReturn = quantile(returnMs, 0.5);
  const reengaged = count((f) => f.reengaged);
  const targetShare = ratio(target, reached);
  return {
    leads,
    reached,
    target,
    deals,
    contracts,
    conversion: {
      reached: conv(reached, leads),
      target: conv(target, reached),
      deals: conv(deals, target),
      contracts: conv(contracts, deals),
    },
    targetShare,
    targetShareLow: targetShare === null ? null : target / reached < TARGET_SHARE_ALARM,
    firstContact: { touched: touchedMs.length, untouched: leads - touchedMs.length, p50Minutes: minutes(0.5), p90Minutes: minutes(0.9) },
    returns: {
      reengaged,
      returned: returnMs.length,
      share: ratio(returnMs.length, reengaged),
      medianDaysToReturn: medianReturn === null ? null : round(medianReturn / DAY, 2),
    },
  };
}

// --- periods (UTC) ------------------------------------------------------------------------------

/** The start of the period holding `d` (Monday 00:00 UTC for weeks). */
export function periodStart(d: Date, period: Period): Date {
  const y = d.getUTCFullYear();
  const m = d.getUTCMonth();
  if (period === 'month') return new Date(Date.UTC(y, m, 1));
  if (period === 'quarter') return new Date(Date.UTC(y, m - (m % 3), 1));
  const dayOfWeek = (d.getUTCDay() + 6) % 7; // Monday = 0
  return new Date(Date.UTC(y, m, d.getUTCDate() - dayOfWeek));
}

export function nextPeriod(start: Date, period: Period): Date {
  const y = start.getUTCFullYear();
  const m = start.getUTCMonth();
  if (period === 'month') return new Date(Date.UTC(y, m + 1, 1));
  if (period === 'quarter') return new Date(Date.UTC(y, m + 3, 1));
  return new Date(Date.UTC(y, m, start.getUTCDate() + 7));
}

/** "2026-11", "2026-Q4", or the ISO week "2026-W47" (its Thursday decides the week-year). */
export function periodKey(d: Date, period: Period): string {
  const y = d.getUTCFullYear();
  const m = d.getUTCMonth();
  if (period === 'month') return `${y}-${String(m + 1).padStart(2, '0')}`;
  if (period === 'quarter') return `${y}-Q${Math.floor(m / 3) + 1}`;
  const monday = periodStart(d, 'week');
  const thursday = new Date(monday.getTime() + 3 * DAY);
  const weekYear = thursday.getUTCFullYear();
  const week = Math.floor((thursday.getTime() - Date.UTC(weekYear, 0, 1)) / DAY / 7) + 1;
  return `${weekYear}-W${String(week).padStart(2, '0')}`;
}

// --- the report ---------------------------------------------------------------------------------

function dimension(lead: FunnelLead, groupBy: GroupBy, period: Period): string | null {
  switch (groupBy) {
    case 'period':
      return periodKey(lead.createdAt, period);
    case 'source':
      return lead.sourceChannel;
    case 'partner':
      return lead.sourcePartnerId;
    case 'manager':
      return lead.managerId;
    case 'region':
      return lead.region;
  }
}

/** Keys ascending (periods chronologically, as their names sort), the null group last. */
const byKey = (a: string | null, b: string | null) => (a === b ? 0 : a === null ? 1 : b === null ? -1 : a < b ? -1 : 1);

export function funnelReport(leads: readonly FunnelLead[], opts: FunnelOptions = {}): FunnelReport {
  const facts = leads.map((l) => ({ lead: l, facts: leadFacts(l) }));
  const total = funnelRow(facts.map((f) => f.facts));
  if (!opts.groupBy) return { total, groups: [] };
  const groupBy = opts.groupBy;
  const period = opts.period ?? 'month';
  const buckets = new Map<string | null, LeadFunnelFacts[]>();
  if (groupBy === 'period' && opts.range && opts.range.from < opts.range.to) {
    for (let p = periodStart(opts.range.from, period); p < opts.range.to; p = nextPeriod(p, period)) buckets.set(periodKey(p, period), []);
  }
  for (const f of facts) {
    const key = dimension(f.lead, groupBy, period);
    const bucket = buckets.get(key);
    if (bucket) bucket.push(f.facts);
    else buckets.set(key, [f.facts]);
  }
  const groups = [...buckets.entries()].sort(([a], [b]) => byKey(a, b)).map(([key, fs]) => ({ key, ...funnelRow(fs) }));
  return { total, groups };
}

// --- CSV ------------------------------------------------------------------------------------------

export const CSV_COLUMNS = [
  'scope',
  'key',
  'leads',
  'reached',
  'target',
  'deals',
  'contracts',
  'reached_from_leads',
  'target_from_reached',
  'deals_from_target',
  'contracts_from_deals',
  'target_from_leads',
  'deals_from_leads',
  'contracts_from_leads',
  'target_share',
  'target_share_low',
  'first_contact_touched',
  'first_contact_untouched',
  'first_contact_p50_minutes',
  'first_contact_p90_minutes',
  'reengaged',
  'returned',
  'return_share',
  'median_days_to_return',
] as const;

function csvCells(scope: 'group' | 'total', key: string | null, r: FunnelRow): Array<string | number | boolean | null> {
  const c = r.conversion;
  return [
    scope,
    key,
    r.leads,
    r.reached,
    r.target,
    r.deals,
    r.contracts,
    c.reached.fromPrevious,
    c.target.fromPrevious,
    c.deals.fromPrevious,
    c.contracts.fromPrevious,
    c.target.fromLeads,
    c.deals.fromLeads,
    c.contracts.fromLeads,
    r.targetShare,
    r.targetShareLow,
    r.firstContact.touched,
    r.firstContact.untouched,
    r.firstContact.p50Minutes,
    r.firstContact.p90Minutes,
    r.returns.reengaged,
    r.returns.returned,
    r.returns.share,
    r.returns.medianDaysToReturn,
  ];
}

/**
 * One CSV cell (RFC 4180): empty for null; quoted when it holds a comma, quote or line break;
 * text that a spreadsheet would run as a formula (= + - @ tab CR first) gets a leading '.
 */
export function csvCell(v: string | number | boolean | null): string {
  if (v === null) return '';
  if (typeof v !== 'string') return String(v);
  const safe = /^[=+\-@\t\r]/.test(v) ? `'${v}` : v;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** The report as CSV: a header row, one row per group, then the total row (CRLF line ends). */
export function funnelCsv(report: FunnelReport): string {
  const rows = [
    CSV_COLUMNS.join(','),
    ...report.groups.map((g) => csvCells('group', g.key, g).map(csvCell).join(',')),
    csvCells('total', null, report.total).map(csvCell).join(','),
  ];
  return `${rows.join('\r\n')}\r\n`;
}
