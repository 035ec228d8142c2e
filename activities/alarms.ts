// Alarms' side of PostgreSQL: load what one alarm kind looks at (bounded by the policy's windows),
// let the pure rules of domain/alarms.ts decide, open what should be open and tell someone.
//
// "Does not fire twice while open" is the database's job: the partial unique index
// `alarms_one_open_per_subject` (kind, subject WHERE state <> 'resolved') makes the insert
// ON CONFLICT DO NOTHING, so a repeated evaluation, a retried activity or two sweeps at once open
// an alarm once. Nothing is resolved here: ops resolve alarms, and the next evaluation after that
// may open a new one if the condition still holds (a `stop_contact_overdue` alarm is resolved by
// the partner's confirmation itself: platform/repos/stop-contact-orders.ts).
//
// Notification is at least once: alarms still open and never notified are sent, then stamped
// (`notifiedAt`). A notifier failure fails the activity, so Temporal retries it (and the next
// sweep would pick the alarm up again); receivers deduplicate on the alarm's `id`.
import { randomUUID } from 'node:crypto';
import {
  type AlarmKind,
  type AlarmPolicy,
  AlarmPolicy as AlarmPolicySchema,
  type AlarmPolicyInput,
  type AlarmToOpen,
  DISTRIBUTION_STAGES,
  effectiveThresholds,
  evaluateLeadsRotting,
  rottingCutoff,
  evaluateLowTargetShare,
  evaluateManagerConversion,
  evaluateNotDistributed,
  evaluatePartnerReportDrift,
  evaluateStopContactOverdue,
  type JsonObject,
  MANAGER_STAGES,
  type PartnerCounts,
  type ReachedLead,
} from '../domain/alarms';
import { type Db, inListChunks } from '../platform/db';
import { DAY, MINUTE } from '../domain/time';
import type { ClosedReason, TransitionType } from '../domain/vocabulary';

/** What a notifier is told about a newly opened alarm. */
export interface AlarmNotice {
  id: string;
  kind: string;
  subject: string;
  state: string;
  evidence: unknown;
  threshold: unknown;
  openedAt: string;
}

/** Where newly opened alarms go (a log line, a chat webhook, a pager…). */
export interface Notifier {
  notify(alarm: AlarmNotice): Promise<void>;
}

/** Writes one JSON line per alarm (the worker's log). */
export function logNotifier(write: (line: string) => void = (line) => console.warn(line)): Notifier {
  return {
    async notify(alarm) {
      write(JSON.stringify({ msg: 'alarm opened', ...alarm }));
    },
  };
}

/** POSTs the alarm as JSON to `url`; anything but a 2xx within the timeout is a failure. */
export function webhookNotifier(url: string, opts: { timeoutMs?: number } = {}): Notifier {
  const timeoutMs = opts.timeoutMs ?? 5_000;
  return {
    async notify(alarm) {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(alarm),
        signal: AbortSignal.timeout(timeoutMs),
      });
      await res.body?.cancel().catch(() => undefined);
      if (!res.ok) throw new Error(`alarm webhook answered ${res.status} for alarm ${alarm.id}`);
    },
  };
}

/** `ALARM_WEBHOOK_URL` set: the webhook; otherwise the log. */
export function notifierFromEnv(env: NodeJS.ProcessEnv = process.env): Notifier {
  return env.ALARM_WEBHOOK_URL ? webhookNotifier(env.ALARM_WEBHOOK_URL) : logNotifier();
}

export interface AlarmEvaluation {
  kind: AlarmKind;
  at: string;
  season: string | null;
  /** Subjects the rules say should have an open alarm. */
  firing: string[];
  /** Alarms this evaluation opened (the rest of `firing` were open already). */
  opened: Array<{ id: string; subject: string }>;
  /** Alarms notified by this evaluation (newly opened, or left unnotified by an earlier failure). */
  notified: number;
}

/** Upper bound on the rows any one query of an evaluation reads. */
export const MAX_ROWS = 50_000;

async function loadNotDistributed(db: Db, policy: AlarmPolicy, now: Date) {
  const p = policy.notDistributed;
  const [unassigned, events] = await Promise.all([
    db.lead.findMany({
      where: {
        managerId: null,
        stage: { in: [...DISTRIBUTION_STAGES] },
        createdAt: { lte: new Date(now.getTime() - p.olderThanMinutes * MINUTE) },
      },
      select: { id: true, stage: true, createdAt: true },
      orderBy: { createdAt: 'asc' },
      take: MAX_ROWS,
    }),
    db.leadEvent.findMany({
      where: { type: 'not_distributed', at: { gt: new Date(now.getTime() - p.windowMinutes * MINUTE), lte: now } },
      select: { leadId: true, at: true },
      orderBy: { at: 'asc' },
      take: MAX_ROWS,
    }),
  ]);
  return { unassigned: unassigned.map((l) => ({ leadId: l.id, stage: l.stage, createdAt: l.createdAt })), events };
}

async function loadRotting(db: Db, policy: AlarmPolicy, now: Date) {
  const cutoff = new Date(rottingCutoff(policy, now));
  const rows = await db.lead.findMany({
    where: { managerId: { not: null }, stage: { in: [...MANAGER_STAGES] }, OR: [{ stale: true }, { stageChangedAt: { lte: cutoff } }] },
    select: { id: true, managerId: true, stage: true, stale: true, stageChangedAt: true },
    orderBy: { stageChangedAt: 'asc' },
    take: MAX_ROWS,
  });
  return rows.map((l) => ({ leadId: l.id, managerId: l.managerId, stage: l.stage, stale: l.stale, stageChangedAt: l.stageChangedAt }));
}

/** Leads first reached (`contacted`) in the window, with the manager who owns them and the verdict so far. */
async function loadReached(db: Db, windowDays: number, now: Date): Promise<ReachedLead[]> {
  const contacted = await db.leadEvent.findMany({
    where: { type: 'contacted' satisfies TransitionType, at: { gte: new Date(now.getTime() - windowDays * DAY), lt: now } },
    select: { leadId: true, at: true },
    orderBy: { at: 'asc' },
    take: MAX_ROWS,
  });
  const firstReached = new Map<string, Date>();
  for (const c of contacted) if (!firstReached.has(c.leadId)) firstReached.set(c.leadId, c.at);
  const out: ReachedLead[] = [];
  for (const ids of inListChunks([...firstReached.keys()])) {
    const [leads, qualified, nonTarget] = await Promise.all([
      db.lead.findMany({ where: { id: { in: ids } }, select: { id: true, managerId: true, stage: true } }),
      db.leadEvent.findMany({
        where: { leadId: { in: ids }, type: 'qualified' satisfies TransitionType, at: { lte: now } },
        select: { leadId: true },
        distinct: ['leadId'],
      }),
      // Closed as not a target by `now` (closing is a lead's last stage change).
      db.lead.findMany({
        where: { id: { in: ids }, closedReason: 'non_target' satisfies ClosedReason, stageChangedAt: { lte: now } },
        select: { id: true },
      }),
    ]);
    const target = new Set(qualified.map((q) => q.leadId));
    const rejected = new Set(nonTarget.map((l) => l.id));
    for (const l of leads) {
      const outcome = target.has(l.id) ? 'target' : rejected.has(l.id) ? 'non_target' : l.stage === 'qualifying' ? 'undecided' : 'other';
      out.push({ leadId: l.id, managerId: l.managerId, reachedAt: firstReached.get(l.id)!, outcome });
    }
  }
  return out;
}

/**
 * Partners with sent-leads rows dated in the window; each compared from the window's start to
 * its last upload (or now, if earlier), on both sides.
 */
async function loadPartnerCounts(db: Db, policy: AlarmPolicy, now: Date): Promise<PartnerCounts[]> {
  const from = new Date(now.getTime() - policy.partnerReportDrift.windowDays * DAY);
  const reporting = await db.partnerSentLead.groupBy({
    by: ['partnerId'],
    where: { sentAt: { gte: from, lt: now } },
    orderBy: { partnerId: 'asc' },
    take: MAX_ROWS,
  });
  const out: PartnerCounts[] = [];
  for (const { partnerId } of reporting) {
    const last = await db.partnerSentLead.aggregate({ where: { partnerId }, _max: { uploadedAt: true } });
    const lastUpload = last._max.uploadedAt;
    const to = lastUpload && lastUpload < now ? lastUpload : now;
    const [sent, received] = await Promise.all([
      db.partnerSentLead.count({ where: { partnerId, sentAt: { gte: from, lt: to } } }),
      db.inquiry.count({ where: { partnerId, receivedAt: { gte: from, lt: to } } }),
    ]);
    out.push({ partnerId, sent, received, from, to });
  }
  return out;
}

/** Stop-contact orders past their deadline with no confirmation yet (the partial index tasks_stop_contact_open_idx). */
async function loadOverdueStopContact(db: Db, now: Date) {
  const rows = await db.task.findMany({
    where: { kind: 'stop_contact', doneAt: null, dueAt: { lte: now } },
    select: { key: true, leadId: true, assignee: true, dueAt: true },
    orderBy: { dueAt: 'asc' },
    take: MAX_ROWS,
  });
  return rows.map((t) => ({ leadId: t.leadId, partnerId: t.assignee.replace(/^partner:/, ''), taskKey: t.key, dueAt: t.dueAt! }));
}

async function evaluate(db: Db, kind: AlarmKind, policy: AlarmPolicy, now: Date): Promise<AlarmToOpen[]> {
  switch (kind) {
    case 'not_distributed':
      return evaluateNotDistributed(await loadNotDistributed(db, policy, now), policy, now);
    case 'leads_rotting':
      return evaluateLeadsRotting(await loadRotting(db, policy, now), policy, now);
    case 'low_target_share':
      return evaluateLowTargetShare(await loadReached(db, policy.lowTargetShare.windowDays, now), policy, now);
    case 'manager_conversion_anomaly':
      return evaluateManagerConversion(await loadReached(db, policy.managerConversion.windowDays, now), policy, now);
    case 'partner_report_drift':
      return evaluatePartnerReportDrift(await loadPartnerCounts(db, policy, now), policy, now);
    case 'stop_contact_overdue':
      return evaluateStopContactOverdue(await loadOverdueStopContact(db, now), now);
  }
}

export function alarmActivities(db: Db, notifier: Notifier = notifierFromEnv()) {
  return {
    /**
     * Evaluates one alarm kind at `now` (ISO; the workflow's clock): opens what should be open and
     * is not, notifies alarms of this kind not notified yet. Never resolves anything.
     */
    async evaluateAlarms(kind: AlarmKind, now: string, policyInput: AlarmPolicyInput = {}): Promise<AlarmEvaluation> {
      const policy = AlarmPolicySchema.parse(policyInput);
      const at = new Date(now);
      if (Number.isNaN(at.getTime())) throw new Error(`evaluateAlarms: bad time ${now}`);
      const firing = await evaluate(db, kind, policy, at);
      const opened =
        firing.length === 0
          ? []
          : await db.alarm.createManyAndReturn({
              data: firing.map((a) => ({
                id: randomUUID(),
                kind: a.kind,
                subject: a.subject,
                state: 'open',
                evidence: a.evidence,
                threshold: a.threshold,
                openedAt: at,
              })),
              // ON CONFLICT DO NOTHING: the partial unique index keeps one open alarm per kind + subject.
              skipDuplicates: true,
              select: { id: true, subject: true },
            });
      return {
        kind,
        at: at.toISOString(),
        season: effectiveThresholds(policy, at).season,
        firing: firing.map((a) => a.subject),
        opened,
        notified: await notifyPending(db, notifier, kind),
      };
    },
  };
}

/** Sends every open alarm of `kind` nobody was told about yet, then stamps it; throws if any send failed. */
async function notifyPending(db: Db, notifier: Notifier, kind: AlarmKind): Promise<number> {
  const pending = await db.alarm.findMany({ where: { kind, state: 'open', notifiedAt: null }, orderBy: { openedAt: 'asc' }, take: 500 });
  let notified = 0;
  const failures: string[] = [];
  for (const a of pending) {
    try {
      await notifier.notify({
        id: a.id,
        kind: a.kind,
        subject: a.subject,
        state: a.state,
        evidence: a.evidence as JsonObject,
        threshold: a.threshold as JsonObject,
        openedAt: a.openedAt.toISOString(),
      });
    } catch (err) {
      failures.push(`${a.id}: ${err instanceof Error ? err.message : String(err)}`);
      continue;
    }
    await db.alarm.updateMany({ where: { id: a.id, notifiedAt: null }, data: { notifiedAt: new Date() } });
    notified += 1;
  }
  if (failures.length) throw new Error(`could not notify ${failures.length} alarm(s): ${failures.join('; ')}`);
  return notified;
}
