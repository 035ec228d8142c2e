// Alarms about the program, as pure rules: given what the activities loaded (bounded by the
// policy's windows), which alarms should be open now, with the evidence and the threshold that
// tripped them. The funnel's four alarms (leads nobody was assigned, leads rotting untouched, a
// share of target leads below the trade's 60 %, a manager converting far below the team) plus
// partner report drift (the weekly reconciliation's early warning). Seasonality (declared low
// seasons) relaxes the thresholds that volume and responsiveness move; the effective figure is
// always written into the alarm's `threshold`, so ops see what it was judged against.
import { z } from 'zod';
import { BusinessCalendar } from './calendar';
import { STALE_AFTER_BUSINESS_DAYS, staleCutoff } from './staleness';
import { trimmedText } from './text';
import { DAY, MINUTE } from './time';
import type { ReadModelStage, Stage } from './vocabulary';

export const ALARM_KINDS = [
  'not_distributed',
  'leads_rotting',
  'low_target_share',
  'manager_conversion_anomaly',
  'partner_report_drift',
  'stop_contact_overdue',
] as const;
export const AlarmKind = z.enum(ALARM_KINDS);
export type AlarmKind = z.infer<typeof AlarmKind>;

export const ALARM_STATES = ['open', 'acknowledged', 'resolved'] as const;
export type AlarmState = (typeof ALARM_STATES)[number];

/** The subject of an alarm about the program as a whole (others name a manager or a partner). */
export const PROGRAM = 'all';

/**
 * Read-model stages in which a lead should have an owner: pre-deal work, and `received` — a stage of
 * the read model only (taken in, its workflow not yet started), where a lead waits for its first owner too.
 */
export const DISTRIBUTION_STAGES = [
  'received',
  'verification',
  'awaiting_first_contact',
  'qualifying',
] as const satisfies readonly ReadModelStage[];
/** Open stages a manager works by hand: leads here rot when nobody touches them. */
export const MANAGER_STAGES = [
  'verification',
  'awaiting_first_contact',
  'qualifying',
  'awaiting_consent',
] as const satisfies readonly Stage[];

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/** An alarm that should be open: the activity inserts it unless one is open for kind + subject. */
export interface AlarmToOpen {
  kind: AlarmKind;
  subject: string;
  evidence: JsonObject;
  threshold: JsonObject;
}

const MonthDay = z.string().regex(/^(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/, 'MM-DD');

/** A declared low season, inclusive, in local (business) dates; `from` after `to` wraps the new year. */
export const Season = z.object({ name: trimmedText(64), from: MonthDay, to: MonthDay });
export type Season = z.infer<typeof Season>;

/** DOMAIN: "dips in summer, the May holidays and the second half of December". */
export const DEFAULT_LOW_SEASONS: Season[] = [
  { name: 'may_holidays', from: '05-01', to: '05-11' },
  { name: 'summer', from: '06-01', to: '08-31' },
  { name: 'late_december', from: '12-15', to: '12-31' },
];

const count = (n: number) => z.number().int().positive().default(n);

export const AlarmPolicy = z.object({
  /** Offset of business local time from UTC, minutes (Moscow: +180, no DST): decides the season's date. */
  utcOffsetMinutes: z.number().int().min(-720).max(840).default(180),
  /** Team overloaded: leads not distributed at the top of the funnel. */
  notDistributed: z
    .object({
      /** A lead without a manager this long after intake is not distributed. */
      olderThanMinutes: count(60),
      /** The workflow's `not_distributed` events (nobody available) count within this window. */
      windowMinutes: count(60),
      /** Fires at this many such leads. */
      minLeads: count(1),
    })
    .prefault({}),
  /** The business calendar the rotting rule counts in (the same one the leads' SLA clocks use). */
  calendar: BusinessCalendar.prefault({}),
  /** Leads rotting: the stale rule (domain/staleness.ts) asked of the read model. */
  leadsRotting: z
    .object({
      /** Business days in the same open stage after which a lead is rotting (besides the workflow's stale flag). */
      staleAfterBusinessDays: z.number().positive().default(STALE_AFTER_BUSINESS_DAYS),
      /** One alarm per manager with at least this many rotting leads. */
      minLeads: count(1),
    })
    .prefault({}),
  /** Too many non-target leads: "target share below 60%" (the program ran at 60–68%). */
  lowTargetShare: z
    .object({
      windowDays: count(30),
      floor: z.number().min(0).max(1).default(0.6),
      /** No verdict on fewer reached leads than this. */
      minReached: count(30),
      /** Count reached leads still being qualified as non-target (off by default: they are not decided yet). */
      countUndecided: z.boolean().default(false),
    })
    .prefault({}),
  /** Anomalous conversion of one manager, too high or too low, against the rest of the team. */
  managerConversion: z
    .object({
      windowDays: count(30),
      /** |z| of the two-proportion z-test at which a manager is flagged. */
      zThreshold: z.number().positive().default(3),
      /** Reached leads a manager (and the rest of the team) needs before being judged. */
      minSample: count(20),
      countUndecided: z.boolean().default(false),
    })
    .prefault({}),
  /** A partner's sent-leads report drifting from what we received (leads lost between form and CRM). */
  partnerReportDrift: z
    .object({
      windowDays: count(30),
      /** |sent − received| / sent above this fires. */
      tolerance: z.number().min(0).default(0.1),
      minSent: count(10),
    })
    .prefault({}),
  seasonality: z
    .object({
      lowSeasons: z.array(Season).default(DEFAULT_LOW_SEASONS),
      /** In a low season the target-share floor is multiplied by this (fewer, noisier leads). */
      targetShareFloorFactor: z.number().positive().max(1).default(0.85),
      /** …the report drift tolerance by this (partners' forms and staff on holiday). */
      driftToleranceFactor: z.number().min(1).default(1.5),
      /** …and the rotting threshold (business days) by this (managers on holiday, clients slower). */
      rottingDaysFactor: z.number().min(1).default(1.5),
    })
    .prefault({}),
});
export type AlarmPolicy = z.infer<typeof AlarmPolicy>;
export type AlarmPolicyInput = z.input<typeof AlarmPolicy>;

export const defaultAlarmPolicy = (): AlarmPolicy => AlarmPolicy.parse({});

/** Evidence lists at most this many ids; counts are always complete. */
export const EVIDENCE_IDS = 100;

const round = (x: number, places = 4) => Math.round(x * 10 ** places) / 10 ** places;
const iso = (d: Date) => d.toISOString();

// --- seasonality ----------------------------------------------------------------------------------

/** The declared low season `now` falls in (business local date), if any. */
export function activeSeason(policy: AlarmPolicy, now: Date): Season | undefined {
  const md = new Date(now.getTime() + policy.utcOffsetMinutes * MINUTE).toISOString().slice(5, 10);
  return policy.seasonality.lowSeasons.find((s) => (s.from <= s.to ? md >= s.from && md <= s.to : md >= s.from || md <= s.to));
}

/** The thresholds in force at `now`: the policy's, shifted by the low season if one is declared. */
export function effectiveThresholds(policy: AlarmPolicy, now: Date) {
  const season = activeSeason(policy, now);
  const s = policy.seasonality;
  const f = (factor: number) => (season ? factor : 1);
  return {
    season: season?.name ?? null,
    rottingBusinessDays: round(policy.leadsRotting.staleAfterBusinessDays * f(s.rottingDaysFactor)),
    targetShareFloor: round(policy.lowTargetShare.floor * f(s.targetShareFloorFactor)),
    driftTolerance: round(policy.partnerReportDrift.tolerance * f(s.driftToleranceFactor)),
    factors: {
      rottingDays: f(s.rottingDaysFactor),
      targetShareFloor: f(s.targetShareFloorFactor),
      driftTolerance: f(s.driftToleranceFactor),
    },
  };
}

// --- team overloaded: not distributed ------------------------------------------------------------

export interface UnassignedLead {
  leadId: string;
  stage: string;
  createdAt: Date;
}
export interface NotDistributedEvent {
  leadId: string;
  at: Date;
}

/**
 * One program-wide alarm when at least `minLeads` leads are not distributed: open leads older than
 * `olderThanMinutes` with no manager, or leads the workflow could not give to anyone (its
 * `not_distributed` event) within the last `windowMinutes`. Each lead counts once.
 */
export function evaluateNotDistributed(
  input: { unassigned: UnassignedLead[]; events: NotDistributedEvent[] },
  policy: AlarmPolicy,
  now: Date,
): AlarmToOpen[] {
  const p = policy.notDistributed;
  const cutoff = now.getTime() - p.olderThanMinutes * MINUTE;
  const since = now.getTime() - p.windowMinutes * MINUTE;
  const stages: readonly string[] = DISTRIBUTION_STAGES;
  const old = input.unassigned.filter((l) => stages.includes(l.stage) && l.createdAt.getTime() <= cutoff);
  const events = input.events.filter((e) => e.at.getTime() > since && e.at.getTime() <= now.getTime());
  const leads = [...new Set([...old.map((l) => l.leadId), ...events.map((e) => e.leadId)])].sort();
  if (leads.length < p.minLeads) return [];
  const oldest = old.reduce<Date | undefined>((m, l) => (!m || l.createdAt < m ? l.createdAt : m), undefined);
  return [
    {
      kind: 'not_distributed',
      subject: PROGRAM,
      evidence: {
        leads: leads.length,
        unassigned: old.length,
        notDistributedEvents: events.length,
        oldestUnassignedAt: oldest ? iso(oldest) : null,
        leadIds: leads.slice(0, EVIDENCE_IDS),
      },
      threshold: { minLeads: p.minLeads, olderThanMinutes: p.olderThanMinutes, windowMinutes: p.windowMinutes },
    },
  ];
}

// --- leads rotting, per manager -------------------------------------------------------------------

export interface OpenLead {
  leadId: string;
  managerId: string | null;
  stage: string;
  stale: boolean;
  stageChangedAt: Date;
}

/**
 * One alarm per manager owning open leads (verification, first contact, qualifying, consent) that
 * are rotting: flagged stale by the workflow's SLA ladder, or in the same stage longer than the
 * stale threshold counted in business time (2 business days; × the season's factor in a low season).
 */
/** Leads whose stage last changed at or before this instant are rotting at `now`. */
export function rottingCutoff(policy: AlarmPolicy, now: Date): number {
  return staleCutoff(policy.calendar, now.getTime(), effectiveThresholds(policy, now).rottingBusinessDays);
}

export function evaluateLeadsRotting(leads: OpenLead[], policy: AlarmPolicy, now: Date): AlarmToOpen[] {
  const eff = effectiveThresholds(policy, now);
  const cutoff = rottingCutoff(policy, now);
  const stages: readonly string[] = MANAGER_STAGES;
  const byManager = new Map<string, OpenLead[]>();
  for (const l of leads) {
    if (!l.managerId || !stages.includes(l.stage)) continue;
    if (!l.stale && l.stageChangedAt.getTime() > cutoff) continue;
    byManager.set(l.managerId, [...(byManager.get(l.managerId) ?? []), l]);
  }
  const out: AlarmToOpen[] = [];
  for (const [managerId, rotting] of [...byManager].sort(([a], [b]) => a.localeCompare(b))) {
    if (rotting.length < policy.leadsRotting.minLeads) continue;
    rotting.sort((a, b) => a.stageChangedAt.getTime() - b.stageChangedAt.getTime() || a.leadId.localeCompare(b.leadId));
    out.push({
      kind: 'leads_rotting',
      subject: managerId,
      evidence: {
        leads: rotting.length,
        flaggedStale: rotting.filter((l) => l.stale).length,
        oldestStageChangeAt: iso(rotting[0]!.stageChangedAt),
        byStage: Object.fromEntries(MANAGER_STAGES.map((s) => [s, rotting.filter((l) => l.stage === s).length]).filter(([, n]) => n)),
        leadIds: rotting.slice(0, EVIDENCE_IDS).map((l) => l.leadId),
      },
      threshold: {
        businessDays: eff.rottingBusinessDays,
        baseBusinessDays: policy.leadsRotting.staleAfterBusinessDays,
        season: eff.season,
        seasonFactor: eff.factors.rottingDays,
        minLeads: policy.leadsRotting.minLeads,
        orStaleFlag: true,
      },
    });
  }
  return out;
}

// --- target share and conversion --------------------------------------------------------------------

/**
 * A lead reached by a manager (its first `contacted` event) and what qualification made of it:
 * `target` (a `qualified` event: only target leads are qualified), `non_target` (closed with a
 * `non_target` reason), `undecided` (still qualifying), `other` (lost, refused, opted out… before
 * a verdict: reached, not target).
 */
export interface ReachedLead {
  leadId: string;
  managerId: string | null;
  reachedAt: Date;
  outcome: 'target' | 'non_target' | 'undecided' | 'other';
}

function reachedInWindow(reached: ReachedLead[], windowDays: number, now: Date): ReachedLead[] {
  const from = now.getTime() - windowDays * DAY;
  return reached.filter((r) => r.reachedAt.getTime() >= from && r.reachedAt.getTime() < now.getTime());
}

/**
 * Target share over the rolling window = target leads ÷ reached leads, among leads first reached
 * in the window. Reached leads still being qualified are left out of both unless `countUndecided`
 * (a lead reached yesterday has no verdict yet; counting it as non-target would pull every
 * rolling share down). Fires below the floor (60%; × the season's factor in a low season) once
 * at least `minReached` leads count.
 */
export function evaluateLowTargetShare(reached: ReachedLead[], policy: AlarmPolicy, now: Date): AlarmToOpen[] {
  const p = policy.lowTargetShare;
  const eff = effectiveThresholds(policy, now);
  const inWindow = reachedInWindow(reached, p.windowDays, now);
  const counted = p.countUndecided ? inWindow : inWindow.filter((r) => r.outcome !== 'undecided');
  const target = counted.filter((r) => r.outcome === 'target').length;
  if (counted.length < p.minReached) return [];
  const share = round(target / counted.length);
  if (share >= eff.targetShareFloor) return [];
  return [
    {
      kind: 'low_target_share',
      subject: PROGRAM,
      evidence: {
        share,
        target,
        reached: inWindow.length,
        counted: counted.length,
        nonTarget: inWindow.filter((r) => r.outcome === 'non_target').length,
        otherOutcome: inWindow.filter((r) => r.outcome === 'other').length,
        undecided: inWindow.filter((r) => r.outcome === 'undecided').length,
        from: iso(new Date(now.getTime() - p.windowDays * DAY)),
        to: iso(now),
      },
      threshold: {
        floor: eff.targetShareFloor,
        baseFloor: p.floor,
        season: eff.season,
        seasonFactor: eff.factors.targetShareFloor,
        minReached: p.minReached,
        windowDays: p.windowDays,
        countUndecided: p.countUndecided,
      },
    },
  ];
}

/**
 * Two-proportion z statistic of x1/n1 against x2/n2 with the pooled standard error; undefined
 * when there is nothing to compare (an empty group, or everyone at 0% or 100%).
 */
export function twoProportionZ(x1: number, n1: number, x2: number, n2: number): number | undefined {
  if (n1 <= 0 || n2 <= 0) return undefined;
  const pooled = (x1 + x2) / (n1 + n2);
  const se = Math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2));
  if (!(se > 0)) return undefined;
  return (x1 / n1 - x2 / n2) / se;
}

/**
 * Conversion is **target ÷ reached** (qualification's verdict on the leads the manager reached),
 * not contracts ÷ reached: a B2B deal cycle is 3–4 months, so a 30-day window would see almost no
 * contracts, and qualification is where one manager's judgement (too lenient, too strict, or
 * gaming the figures) shows. Each manager with at least `minSample` decided reached leads in the
 * window is compared with the rest of the team pooled (also at least `minSample`) by a
 * two-proportion z-test; |z| ≥ `zThreshold` (3) fires, whether too high or too low. Not shifted
 * by seasons: a season moves the whole team, and the test is relative.
 */
export function evaluateManagerConversion(reached: ReachedLead[], policy: AlarmPolicy, now: Date): AlarmToOpen[] {
  const p = policy.managerConversion;
  const counted = reachedInWindow(reached, p.windowDays, now).filter((r) => r.managerId && (p.countUndecided || r.outcome !== 'undecided'));
  const team = { n: counted.length, x: counted.filter((r) => r.outcome === 'target').length };
  const per = new Map<string, { n: number; x: number }>();
  for (const r of counted) {
    const m = per.get(r.managerId!) ?? { n: 0, x: 0 };
    m.n += 1;
    if (r.outcome === 'target') m.x += 1;
    per.set(r.managerId!, m);
  }
  const out: AlarmToOpen[] = [];
  for (const [managerId, m] of [...per].sort(([a], [b]) => a.localeCompare(b))) {
    const rest = { n: team.n - m.n, x: team.x - m.x };
    if (m.n < p.minSample || rest.n < p.minSample) continue;
    const z = twoProportionZ(m.x, m.n, rest.x, rest.n);
    if (z === undefined || Math.abs(z) < p.zThreshold) continue;
    out.push({
      kind: 'manager_conversion_anomaly',
      subject: managerId,
      evidence: {
        direction: z > 0 ? 'high' : 'low',
        z: round(z, 3),
        manager: { reached: m.n, target: m.x, conversion: round(m.x / m.n) },
        restOfTeam: { reached: rest.n, target: rest.x, conversion: round(rest.x / rest.n) },
        from: iso(new Date(now.getTime() - p.windowDays * DAY)),
        to: iso(now),
      },
      threshold: {
        metric: 'target/reached',
        test: 'two-proportion z (pooled), manager vs rest of team',
        zAbs: p.zThreshold,
        minSample: p.minSample,
        windowDays: p.windowDays,
        countUndecided: p.countUndecided,
      },
    });
  }
  return out;
}

// --- partner report drift ------------------------------------------------------------------------------

/**
 * One partner's counts over the compared period: `sent` rows of its sent-leads report and
 * `received` inquiries from it. The period ends at the partner's last upload (or now): leads we
 * received after the last report cannot be on it yet.
 */
export interface PartnerCounts {
  partnerId: string;
  sent: number;
  received: number;
  from: Date;
  to: Date;
}

/** |sent − received| ÷ sent above the tolerance (10%; × the season's factor) with at least `minSent` sent. */
export function evaluatePartnerReportDrift(partners: PartnerCounts[], policy: AlarmPolicy, now: Date): AlarmToOpen[] {
  const p = policy.partnerReportDrift;
  const eff = effectiveThresholds(policy, now);
  return [...partners]
    .sort((a, b) => a.partnerId.localeCompare(b.partnerId))
    .filter((c) => c.sent >= p.minSent && round(Math.abs(c.sent - c.received) / c.sent) > eff.driftTolerance)
    .map((c) => ({
      kind: 'partner_report_drift' as const,
      subject: c.partnerId,
      evidence: {
        sent: c.sent,
        received: c.received,
        drift: round(Math.abs(c.sent - c.received) / c.sent),
        direction: c.received < c.sent ? 'fewer_received' : 'more_received',
        from: iso(c.from),
        to: iso(c.to),
      },
      threshold: {
        tolerance: eff.driftTolerance,
        baseTolerance: p.tolerance,
        season: eff.season,
        seasonFactor: eff.factors.driftTolerance,
        minSent: p.minSent,
        windowDays: p.windowDays,
      },
    }));
}

// --- stop-contact orders not confirmed in time ---------------------------------------------------

/** A stop-contact order (a partner's `stop_contact` task) still waiting for the partner's confirmation. */
export interface OpenStopContactOrder {
  leadId: string;
  partnerId: string;
  taskKey: string;
  dueAt: Date;
}

/**
 * One alarm per lead whose client withdrew consent while a partner whose stop-contact order is past
 * its deadline (the task's dueAt: the lead policy's `stopContactConfirmBusinessDays`) has not
 * confirmed that it stopped contact and deleted the data. Per lead, not per partner: it is the
 * client's withdrawal that is not carried out. Resolved when the confirmations arrive
 * (platform/repos/stop-contact-orders.ts), not by ops.
 */
export function evaluateStopContactOverdue(orders: OpenStopContactOrder[], now: Date): AlarmToOpen[] {
  const byLead = new Map<string, OpenStopContactOrder[]>();
  for (const o of orders) {
    if (o.dueAt.getTime() > now.getTime()) continue;
    byLead.set(o.leadId, [...(byLead.get(o.leadId) ?? []), o]);
  }
  return [...byLead]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([leadId, overdue]) => {
      overdue.sort((a, b) => a.dueAt.getTime() - b.dueAt.getTime() || a.partnerId.localeCompare(b.partnerId));
      return {
        kind: 'stop_contact_overdue' as const,
        subject: leadId,
        evidence: {
          leadId,
          partners: overdue.map((o) => o.partnerId),
          taskKeys: overdue.map((o) => o.taskKey),
          dueAt: iso(overdue[0]!.dueAt),
          hoursOverdue: round((now.getTime() - overdue[0]!.dueAt.getTime()) / 3_600_000, 1),
        },
        threshold: { deadline: "the order's dueAt (lead policy stopContactConfirmBusinessDays)" },
      };
    });
}
