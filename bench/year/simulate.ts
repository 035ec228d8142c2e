// A simulated year of leads through the real lead workflow, worker and activities (real
// PostgreSQL, payload codec on) under Temporal's time-skipping test server. The simulated clock
// moves a day at a time (env.sleep), so every SLA, consent, offer, deal and re-engagement timer
// fires at its production duration; on each working day the simulated staff (actor.ts) work the
// leads whose turn it is. Afterwards every run's history is read back for its size, continued
// runs and failed workflow tasks, a sample is replayed, and the ledger is reconciled with the
// payments the simulated clients made.
import { randomUUID } from 'node:crypto';
import { temporal } from '@temporalio/proto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker, type WorkerOptions } from '@temporalio/worker';
import type { Db } from '../../platform/db';
import type { EncryptionCodec } from '../../platform/payload-codec';
import { dataConverterOf } from '../../platform/payload-codec';
import { leadWorkflow } from '../../workflows/lead';
import * as M from '../../workflows/messages';
import { createWorker } from '../../worker';
import { look, simLead, type ActorTally, type SimLead } from './actor';
import { leadStream, prng, RATES, seasonWeight } from './rates';
import { DAY } from '../../domain/time';

export interface YearOptions {
  env: TestWorkflowEnvironment;
  db: Db;
  codec: EncryptionCodec;
  workflowBundle: NonNullable<WorkerOptions['workflowBundle']>;
  /** Leads to take in (the telecom's year divided by `scale`). */
  leads: number;
  /** The stated scale-down factor (for the report only). */
  scale: number;
  /** Working days over which the leads arrive (a year: 247 in Russia's 2027 calendar). */
  intakeWorkingDays: number;
  /** Calendar days simulated after the last arrival, so its deal can run its 3–4 months. */
  tailDays: number;
  seed: number;
  /** Leads worked at once by the simulated staff. */
  concurrency: number;
  /** Leads whose every run is replayed with Worker.runReplayHistories. */
  replaySample: number;
  log: (m: string) => void;
}

export interface YearResult {
  scale: number;
  seed: number;
  leads: number;
  simulatedDays: number;
  workingDays: number;
  /** simulation = intake + staff (the actors' Updates and queries) + settle (the worker finishing) + clock (env.sleep: the timers). */
  wallSeconds: {
    total: number;
    simulation: number;
    intake: number;
    staff: number;
    settle: number;
    clock: number;
    histories: number;
    replay: number;
  };
  /** errors: looks that failed (a query or an Update that neither answered nor was refused). */
  actor: { looks: number; updates: number; refusedByWorkflow: number; errors: number };
  outcomes: Record<string, number>;
  runs: number;
  continueAsNew: number;
  eventsPerRun: { max: number; p99: number; p50: number };
  workflowTaskFailures: number;
  nondeterminismErrors: { inRun: number; replay: number; replayedRuns: number; replayedLeads: number; replayOtherErrors: number };
  workerRssMiB: { start: number; peak: number; end: number; note: string };
  workerCachedWorkflowsPeak: number;
  ledger: {
    payments: number;
    paidMinor: number;
    commissionablePayments: number;
    expectedCommissionMinor: number;
    bookedCommissionMinor: number;
    entries: number;
    byKind: Record<string, { entries: number; amountMinor: number }>;
    mismatchedLeads: string[];
    reconciles: boolean;
  };
}

const TOPICS = ['telephony', 'internet', 'cloud', 'security'];

/** Monday–Friday on Moscow's clock (the actors' working days; holidays are left to the SLA calendar). */
const isWorkingDay = (ms: number) => {
  const d = new Date(ms + 3 * 3_600_000).getUTCDay();
  return d !== 0 && d !== 6;
};

export async function simulateYear(o: YearOptions): Promise<YearResult> {
  const started = Date.now();
  const rss = rssSampler();
  const taskQueue = `year-${randomUUID()}`;
  const worker = await createWorker({
    connection: o.env.nativeConnection,
    taskQueue,
    db: o.db,
    codec: o.codec,
    workflowBundle: o.workflowBundle,
  });
  const running = worker.run();
  let cachedPeak = 0;
  try {
    const roster = await seedRoster(o.db, o.seed);
    const startMs = await o.env.currentTimeMs();
    const arrivals = arrivalDays(o, startMs);
    const leads: SimLead[] = [];
    const tally: ActorTally = { updates: 0, refused: 0, queries: 0, errors: 0, payments: [] };
    const lastArrivalCal = arrivals.calendarDays;
    const totalDays = lastArrivalCal + o.tailDays;
    // Working-day index of each calendar day (the actors count working days).
    const workIndex: number[] = [0];
    for (let c = 0; c < totalDays; c++) workIndex.push(workIndex[c]! + (isWorkingDay(startMs + c * DAY) ? 1 : 0));
    let nextLead = 0;
    const simStarted = Date.now();
    const phases = { intake: 0, staff: 0, settle: 0, clock: 0 };
    const timed = async (phase: keyof typeof phases, fn: () => Promise<unknown>) => {
      const t0 = Date.now();
      await fn();
      phases[phase] += (Date.now() - t0) / 1000;
    };
    let cal = 0;
    let logged = -30;
    while (cal < totalDays) {
      const w = workIndex[cal]!;
      if (isWorkingDay(startMs + cal * DAY)) {
        const today: SimLead[] = [];
        await timed('intake', async () => {
          const numbers: number[] = [];
          while (nextLead < o.leads && arrivals.day[nextLead]! <= w) numbers.push(nextLead++);
          await inParallel(numbers, o.concurrency, async (n) => {
            today.push(await intake(o, roster, n, taskQueue));
          });
          await inParallel(today, o.concurrency, (l) => waitAssigned(o.db, l));
          today.sort((a, b) => a.n - b.n);
        });
        for (const l of today) l.nextLook = l.rng() < RATES.callSameDay ? w : w + 1;
        leads.push(...today);
        const due = leads.filter((l) => l.nextLook !== undefined && l.nextLook <= w);
        await timed('staff', () =>
          inParallel(due, o.concurrency, async (l) => {
            try {
              await look(l, w, tally);
            } catch (err) {
              // A lead that cannot be read or acted on is counted and reported, and looked at again tomorrow.
              if (tally.errors++ < 5) o.log(`lead ${l.leadId}: ${err instanceof Error ? err.message : String(err)}`);
              l.nextLook = w + 1;
            }
          }),
        );
      }
      await timed('settle', () => settle(worker));
      cachedPeak = Math.max(cachedPeak, worker.getStatus().numCachedWorkflows);
      // Straight on to the next working day anyone has work, or the end: the timers in between fire all the same.
      const nextWork = Math.min(arrivals.day[nextLead] ?? Infinity, ...leads.map((l) => l.nextLook ?? Infinity));
      let days = 1;
      while (cal + days < totalDays && !(isWorkingDay(startMs + (cal + days) * DAY) && workIndex[cal + days]! >= nextWork)) days++;
      await timed('clock', () => o.env.sleep(days * DAY));
      cal += days;
      if (cal - logged >= 30) {
        logged = cal;
        o.log(
          `day ${cal}/${totalDays}: ${leads.length} leads, ${tally.updates} updates, ${Math.round((Date.now() - simStarted) / 1000)} s, rss ${rss.now()} MiB`,
        );
      }
    }
    await settle(worker);
    const simulation = (Date.now() - simStarted) / 1000;

    const ledger = await reconcile(o.db, tally);
    const h0 = Date.now();
    const histories = await readHistories(o, leads);
    const h1 = Date.now();
    const replay = await replaySample(o, histories);
    const h2 = Date.now();
    const outcomes: Record<string, number> = {};
    await inParallel(leads, o.concurrency, async (l) => {
      const s = await l.handle.query(M.getState);
      const k = s.stage === 'closed' ? `closed:${s.closedReason}` : s.stage;
      outcomes[k] = (outcomes[k] ?? 0) + 1;
    });
    const sizes = histories.flatMap((h) => h.runs.map((r) => r.events)).sort((a, b) => a - b);
    const rssNow = rss.stop();
    return {
      scale: o.scale,
      seed: o.seed,
      leads: leads.length,
      simulatedDays: totalDays,
      workingDays: workIndex[totalDays]!,
      wallSeconds: {
        total: (Date.now() - started) / 1000,
        simulation,
        ...round(phases),
        histories: (h1 - h0) / 1000,
        replay: (h2 - h1) / 1000,
      },
      actor: { looks: tally.queries, updates: tally.updates, refusedByWorkflow: tally.refused, errors: tally.errors },
      outcomes: Object.fromEntries(Object.entries(outcomes).sort()),
      runs: sizes.length,
      continueAsNew: sizes.length - histories.length,
      eventsPerRun: { max: sizes.at(-1) ?? 0, p99: quantile(sizes, 0.99), p50: quantile(sizes, 0.5) },
      workflowTaskFailures: histories.reduce((n, h) => n + h.runs.reduce((m, r) => m + r.taskFailures, 0), 0),
      nondeterminismErrors: { inRun: histories.reduce((n, h) => n + h.runs.reduce((m, r) => m + r.nondeterminism, 0), 0), ...replay },
      workerRssMiB: {
        ...rssNow,
        note: 'the bench process, which hosts the worker (in-process, as the tests run it) and the simulated staff',
      },
      workerCachedWorkflowsPeak: cachedPeak,
      ledger,
    };
  } finally {
    worker.shutdown();
    await running;
  }
}

interface Roster {
  managers: string[];
  partners: string[];
}

/** A sales team of eight under one team lead, and twelve partners: call centres that refer leads and take some. */
async function seedRoster(db: Db, seed: number): Promise<Roster> {
  const r = prng(seed);
  const tag = randomUUID().slice(0, 6);
  const lead = `tl-${tag}`;
  await db.manager.create({ data: { id: lead, name: 'Team lead', expertise: [], territory: [] } });
  const managers = Array.from({ length: 8 }, (_, i) => `m${i + 1}-${tag}`);
  await db.manager.createMany({ data: managers.map((id) => ({ id, name: id, teamLeadId: lead, expertise: TOPICS, territory: [] })) });
  const partners = Array.from({ length: 12 }, (_, i) => `p${i + 1}-${tag}`);
  await db.partner.createMany({
    data: partners.map((id, i) => ({
      id,
      name: id,
      expertise: [TOPICS[i % 4]!, TOPICS[(i + 1 + Math.floor(r() * 3)) % 4]!],
      regions: [],
      reserveFor: [],
      grade: 3 + Math.floor(r() * 3),
      capacity: 100_000,
      status: 'active',
    })),
  });
  return { managers, partners };
}

/** Each lead's arrival (working-day index), spread over the intake span by the seasonal weights. */
function arrivalDays(o: YearOptions, startMs: number): { day: number[]; calendarDays: number } {
  const weights: number[] = [];
  let cal = 0;
  for (; weights.length < o.intakeWorkingDays; cal++)
    if (isWorkingDay(startMs + cal * DAY)) weights.push(seasonWeight(new Date(startMs + cal * DAY)));
  const total = weights.reduce((a, b) => a + b, 0);
  const day: number[] = [];
  let acc = 0;
  let w = 0;
  for (let i = 0; i < o.leads; i++) {
    const q = ((i + 0.5) / o.leads) * total; // evenly spaced quantiles of the weighted working days
    while (w < weights.length - 1 && acc + weights[w]! < q) acc += weights[w++]!;
    day.push(w);
  }
  return { day, calendarDays: cal };
}

/** As intake does it: the registry row first, then the lead's workflow. */
async function intake(o: YearOptions, roster: Roster, n: number, taskQueue: string): Promise<SimLead> {
  const rng = leadStream(o.seed, n);
  const leadId = randomUUID();
  const fromPartner = rng() < RATES.fromPartner;
  const partnerId = fromPartner ? roster.partners[Math.floor(rng() * roster.partners.length)] : undefined;
  const kind = rng() < RATES.interest ? 'interest' : 'lead';
  const topic = TOPICS[Math.floor(rng() * TOPICS.length)]!;
  const sourceChannel = fromPartner ? 'partner' : 'web_form';
  await o.db.lead.create({
    data: {
      id: leadId,
      intakeKey: `year:${leadId}`,
      sourceChannel,
      sourcePartnerId: partnerId ?? null,
      kind,
      personName: kind === 'interest' ? null : `Client ${n}`,
      phone: `+7495${String(1_000_000 + n).slice(-7)}`,
      email: `client-${n}-${leadId.slice(0, 8)}@example.test`,
      topic,
      stage: 'received',
    },
  });
  await o.env.client.workflow.start(leadWorkflow, {
    workflowId: `lead-${leadId}`,
    taskQueue,
    args: [{ leadId, kind, sourceChannel, partnerId, topic }],
  });
  return simLead(o.env.client, n, leadId, rng);
}

/** Until the lead has its manager (the read model says so): the simulated staff act as that manager. */
async function waitAssigned(db: Db, l: SimLead): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const row = await db.lead.findUnique({ where: { id: l.leadId }, select: { managerId: true, stage: true } });
    if (row?.managerId || (row && row.stage !== 'received' && row.stage !== 'awaiting_first_contact' && row.stage !== 'verification'))
      return;
    if (Date.now() > deadline) throw new Error(`lead ${l.leadId} was not assigned within 60 s`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Lets the worker finish what the day's actions started (activities, workflow tasks) before the
 * clock jumps, as a day of real time would: the worker must be seen idle a few polls in a row.
 */
async function settle(worker: Worker): Promise<void> {
  let quiet = 0;
  const deadline = Date.now() + 30_000;
  while (quiet < 3 && Date.now() < deadline) {
    const s = worker.getStatus();
    quiet = s.numInFlightActivities === 0 && s.numInFlightWorkflowActivations === 0 ? quiet + 1 : 0;
    await new Promise((r) => setTimeout(r, 15));
  }
}

interface LeadHistory {
  workflowId: string;
  runs: Array<{ runId: string; events: number; taskFailures: number; nondeterminism: number; history: temporal.api.history.v1.IHistory }>;
}

const NONDETERMINISM = temporal.api.enums.v1.WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_NON_DETERMINISTIC_ERROR;

/** Every run of every lead, latest first back to the first, through continuedExecutionRunId. */
async function readHistories(o: YearOptions, leads: SimLead[]): Promise<LeadHistory[]> {
  const out: LeadHistory[] = [];
  await inParallel(leads, o.concurrency, async (l) => {
    const workflowId = `lead-${l.leadId}`;
    const runs: LeadHistory['runs'] = [];
    let runId: string | undefined = (await l.handle.describe()).runId;
    while (runId) {
      const history: temporal.api.history.v1.IHistory = await o.env.client.workflow.getHandle(workflowId, runId).fetchHistory();
      const events: temporal.api.history.v1.IHistoryEvent[] = history.events ?? [];
      const failed = events.filter((e) => e.workflowTaskFailedEventAttributes);
      runs.push({
        runId,
        events: events.length,
        history,
        taskFailures: failed.length,
        nondeterminism: failed.filter(
          (e) =>
            e.workflowTaskFailedEventAttributes!.cause === NONDETERMINISM ||
            /nondetermin/i.test(e.workflowTaskFailedEventAttributes!.failure?.message ?? ''),
        ).length,
      });
      runId = events[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId || undefined;
    }
    out.push({ workflowId, runs });
  });
  return out.sort((a, b) => a.workflowId.localeCompare(b.workflowId));
}

/** Replays every run of a sample of leads — those with the most runs first, then a spread of the rest. */
async function replaySample(o: YearOptions, histories: LeadHistory[]) {
  const r = prng(o.seed ^ 0x5eed);
  const byRuns = [...histories].sort((a, b) => b.runs.length - a.runs.length || a.workflowId.localeCompare(b.workflowId));
  const half = Math.ceil(o.replaySample / 2);
  const sample = new Set(byRuns.slice(0, half));
  const rest = byRuns.slice(half);
  while (sample.size < Math.min(o.replaySample, histories.length) && rest.length)
    sample.add(rest.splice(Math.floor(r() * rest.length), 1)[0]!);
  const items = [...sample].flatMap((h) => h.runs.map((run) => ({ workflowId: h.workflowId, history: run.history })));
  let replay = 0;
  let other = 0;
  const results = Worker.runReplayHistories({ workflowBundle: o.workflowBundle, dataConverter: dataConverterOf(o.codec) }, items);
  for await (const res of results) {
    if (!res.error) continue;
    if (res.error.name === 'DeterminismViolationError') replay++;
    else other++;
    o.log(`replay of ${res.workflowId} ${res.runId}: ${res.error.name}: ${res.error.message}`);
  }
  return { replay, replayedRuns: items.length, replayedLeads: sample.size, replayOtherErrors: other };
}

/** The ledger against the payments the simulated clients made: every commission, to the kopeck. */
async function reconcile(db: Db, tally: ActorTally): Promise<YearResult['ledger']> {
  const commissionable = tally.payments.filter((p) => p.commissionMinor > 0);
  const expected = commissionable.reduce((s, p) => s + p.commissionMinor, 0);
  // The commission is booked by an activity after the payment's Update has answered.
  const deadline = Date.now() + 60_000;
  while (
    (await db.ledgerEntry.count({ where: { kind: { startsWith: 'commission_' } } })) < commissionable.length &&
    Date.now() < deadline
  ) {
    await new Promise((r) => setTimeout(r, 200));
  }
  const rows = await db.ledgerEntry.findMany({
    where: { kind: { startsWith: 'commission_' } },
    select: { leadId: true, kind: true, amountMinor: true },
  });
  const byKind: Record<string, { entries: number; amountMinor: number }> = {};
  const byLead = new Map<string, number>();
  for (const e of rows) {
    const k = (byKind[e.kind] ??= { entries: 0, amountMinor: 0 });
    k.entries++;
    k.amountMinor += Number(e.amountMinor);
    byLead.set(e.leadId!, (byLead.get(e.leadId!) ?? 0) + Number(e.amountMinor));
  }
  const want = new Map<string, number>();
  for (const p of commissionable) want.set(p.leadId, (want.get(p.leadId) ?? 0) + p.commissionMinor);
  const mismatched = [...new Set([...want.keys(), ...byLead.keys()])].filter((id) => (want.get(id) ?? 0) !== (byLead.get(id) ?? 0)).sort();
  const booked = rows.reduce((s, e) => s + Number(e.amountMinor), 0);
  return {
    payments: tally.payments.length,
    paidMinor: tally.payments.reduce((s, p) => s + p.amountMinor, 0),
    commissionablePayments: commissionable.length,
    expectedCommissionMinor: expected,
    bookedCommissionMinor: booked,
    entries: rows.length,
    byKind,
    mismatchedLeads: mismatched,
    reconciles: mismatched.length === 0 && booked === expected && rows.length === commissionable.length,
  };
}

function rssSampler() {
  const mib = () => Math.round(process.memoryUsage.rss() / 1_048_576);
  const start = mib();
  let peak = start;
  const timer = setInterval(() => {
    peak = Math.max(peak, mib());
  }, 500);
  timer.unref();
  return {
    now: () => {
      peak = Math.max(peak, mib());
      return mib();
    },
    stop: () => {
      clearInterval(timer);
      const end = mib();
      return { start, peak: Math.max(peak, end), end };
    },
  };
}

const round = <T extends Record<string, number>>(o: T): T =>
  Object.fromEntries(Object.entries(o).map(([k, v]) => [k, Math.round(v * 10) / 10])) as T;

function quantile(sorted: number[], q: number): number {
  if (!sorted.length) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
}

async function inParallel<T>(items: T[], width: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(width, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}
