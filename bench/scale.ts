// Issue 16's targets, measured on the bench's stack (bench/run.ts calls these; BENCH_PHASES picks):
//   processing  leads processed per second — started, read model written, manager assigned, first
//               task made — against the platform floor for the same shape (bench/floor/workflow.ts);
//   memory      worker RSS with many open leads, and an Update on a lead evicted from the cache,
//               one at a time;
//   burst       new leads through the API at twice the sustainable rate while staff Updates come in
//               at a steady pace: the Updates' latency, and how many leads admission deferred (429).
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Client } from '@temporalio/client';
import type { Pool } from 'pg';
import { type LeadStartRow, leadWorkflowInput, startLeadWorkflow } from '../platform/lead-start';
import type { PolicyInForce } from '../platform/policies';
import { child, stopChild, waitForLine } from '../scripts/lib/processes';
import * as M from '../workflows/messages';
import { cpuPer, type CpuSnapshot, describeCpu, groupCpu, readProcs } from './cpu';
import { processingFloorWorkflow, processingShapeFloorWorkflow } from './floor/workflow';
import type { HttpClient } from './http';
import { figuresOf, runClosedLoop, runOpenLoop, type PathFigures } from './load';
import { waitForQuiet } from './quiet';
import { type SentUpdate, type UpdateBreakdown, updateBreakdown } from './update-breakdown';

export const SCALE_TARGETS = {
  /** Leads processed per second vs the floor workflow of the same shape. */
  processingRatio: 0.8,
  /** Worker RSS with 20,000 open leads (MiB). */
  rssMiBAt20k: 1024,
  /** An Update on an evicted lead, one at a time, p99 (ms). */
  evictedUpdateP99Ms: 100,
  /** A staff Update during an intake burst at twice the sustainable rate, p99 (ms). */
  burstUpdateP99Ms: 1000,
};

const OPEN_LEADS_TARGET = 20_000;
const POLL_MS = 250;
const WAIT_LIMIT_MS = 300_000;
/** At most this long waiting for quiet CPUs before a phase: on a shared machine they never are, and the bench must end in 10 minutes. */
const QUIET_WAIT_MS = 15_000;

export interface ScaleStack {
  client: Client;
  pool: Pool;
  taskQueue: string;
  temporalAddress: string;
  rssMiB(): { worker?: number; api?: number };
  pids(): { worker?: number; api?: number };
  /** The policy in force when the run began, which intake puts in a new lead's input too. */
  policy: PolicyInForce;
}

type Log = (m: string) => void;

/** Lead rows as intake registers them, so the workflows find their lead (the raw path of bench/run.ts). */
async function registerLeads(pool: Pool, n: number): Promise<string[]> {
  const ids = Array.from({ length: n }, () => randomUUID());
  for (let i = 0; i < ids.length; i += 1000) {
    const batch = ids.slice(i, i + 1000);
    await pool.query(
      `INSERT INTO leads (id, intake_key, kind, source_channel, person_name, topic, stage, currency, workflow_started_at)
       SELECT id, 'bench-scale:' || id, 'lead', 'web_form', 'Bench Person', 'crm', 'received', 'RUB', now() FROM unnest($1::text[]) AS id`,
      [batch],
    );
  }
  return ids;
}

/**
 * A lead started from a bare client exactly as intake starts it: the same start call
 * (platform/lead-start.ts: id policies, priority, search attributes, the Web UI's summary and
 * details) and the same input, with the policy in force and its version — only the API is missing.
 */
export function startLead(client: Client, taskQueue: string, leadId: string, policy: PolicyInForce): Promise<void> {
  const row: LeadStartRow = {
    id: leadId,
    kind: 'lead',
    sourceChannel: 'web_form',
    sourcePartnerId: null,
    region: null,
    topic: 'crm',
    previousLeadId: null,
    returnedAfterOptOut: false,
  };
  return startLeadWorkflow(client, taskQueue, leadWorkflowInput(row, policy.policy, policy.version));
}

/** A staff Update from a bare Temporal client: a missed call recorded on the lead. */
const missedCall = (client: Client, leadId: string, updateId?: string): Promise<void> =>
  client.workflow
    .getHandle(`lead-${leadId}`)
    .executeUpdate(M.recordContact, {
      args: [{ actor: 'sales:bench', input: { outcome: 'no_answer' } }],
      ...(updateId ? { updateId } : {}),
    })
    .then(() => undefined);

/** A bare-client missed call that keeps its id and times in `sent`, for the breakdown from its lead's history. */
async function tracedMissedCall(client: Client, leadId: string, sent: SentUpdate[]): Promise<void> {
  const u: SentUpdate = { leadId, updateId: randomUUID(), sentAt: Date.now() };
  sent.push(u);
  await missedCall(client, leadId, u.updateId);
  u.answeredAt = Date.now();
}

/** Resolves when `done()` reaches `n` (polled), with the time from `t0`; gives up after WAIT_LIMIT_MS. */
async function until(n: number, done: () => Promise<number>, t0: number): Promise<{ seconds: number; reached: number }> {
  for (;;) {
    const reached = await done();
    const ms = performance.now() - t0;
    if (reached >= n || ms > WAIT_LIMIT_MS) return { seconds: Math.round(ms / 10) / 100, reached };
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

/** Leads of `ids` assigned, with their first task and their read model written. */
async function processedCount(pool: Pool, ids: string[]): Promise<number> {
  const { rows } = await pool.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM leads l WHERE l.id = ANY($1) AND l.manager_id IS NOT NULL
       AND EXISTS (SELECT 1 FROM tasks t WHERE t.lead_id = l.id AND t.kind = 'first_contact')`,
    [ids],
  );
  return rows[0]!.n;
}

export interface ProcessingFigures {
  n: number;
  concurrency: number;
  lead: { seconds: number; perSecond: number; processed: number };
  /** The floor of the target: a bare workflow of the lead's shape (regular activities that do nothing). */
  floor: { seconds: number; perSecond: number; processed: number };
  /** The lead's own shape since its local activities: the same steps, one local activity after another. */
  lowestFloor: { seconds: number; perSecond: number; processed: number };
  ratio: number;
  ratioVsLowest: number;
  /**
   * CPU ms per lead and per floor workflow, by process (bench/cpu.ts): the ratio is one of CPU per
   * workflow on shared cores, and this says in which process the lead spends more. Empty off Linux.
   */
  cpuPerLead: CpuSnapshot;
  cpuPerFloor: CpuSnapshot;
  pass: boolean;
}

type Rate = { seconds: number; perSecond: number; processed: number };
const rateOf = (x: { seconds: number; reached: number }): Rate => ({
  seconds: x.seconds,
  processed: x.reached,
  perSecond: Math.round((x.reached / x.seconds) * 10) / 10,
});

/**
 * Starts n leads from a bare client (concurrency c) and times until every one is processed; then
 * the same for n floor workflows of the lead's shape (one activity per step), and n of the lead's
 * own (the same steps, one local activity after another), on a worker of their own. The lead's
 * figure includes its database writes, the codec and the business logic; the floors' are Temporal
 * alone.
 */
export async function measureProcessing(s: ScaleStack, n: number, concurrency: number, log: Log): Promise<ProcessingFigures> {
  const ids = await registerLeads(s.pool, n);
  await waitForQuiet({ timeoutMs: QUIET_WAIT_MS });
  log(`processing: ${n} leads started at concurrency ${concurrency}, timed until each is assigned with its first task`);
  const cpuBefore = groupCpu(readProcs(), s.pids());
  const t0 = performance.now();
  await runClosedLoop(n, concurrency, (i) => startLead(s.client, s.taskQueue, ids[i]!, s.policy));
  const lead = rateOf(await until(n, () => processedCount(s.pool, ids), t0));
  const cpuPerLead = cpuPer(cpuBefore, groupCpu(readProcs(), s.pids()), lead.processed);
  log(`processing: CPU ms per lead by process: ${describeCpu(cpuPerLead)}`);

  const floorQueue = `${s.taskQueue}-processing-floor`;
  const worker = child(
    'floor-worker',
    'bench/floor/worker.ts',
    { ...process.env, TEMPORAL_ADDRESS: s.temporalAddress, TASK_QUEUE: floorQueue },
    { quiet: true },
  );
  try {
    await waitForLine(worker, /floor worker polling/, 180_000); // it bundles its workflow first: slow on a busy machine
    const floorPids = () => ({ ...s.pids(), floorWorker: worker.pid });
    const floorOf = async (workflow: typeof processingFloorWorkflow, what: string): Promise<{ rate: Rate; cpu: CpuSnapshot }> => {
      await waitForQuiet({ timeoutMs: QUIET_WAIT_MS });
      log(`processing floor: ${n} bare workflows of the same shape, ${what}, timed until each has completed`);
      const run = randomUUID().slice(0, 8);
      const cpuBefore = groupCpu(readProcs(), floorPids());
      const started = performance.now();
      await runClosedLoop(n, concurrency, async (i) => {
        await s.client.workflow.start(workflow, { workflowId: `floor-processing-${run}-${i}`, taskQueue: floorQueue });
      });
      const query = `TaskQueue="${floorQueue}" AND WorkflowType="${workflow.name}" AND ExecutionStatus="Completed"`;
      const rate = rateOf(await until(n, async () => (await s.client.workflow.count(query)).count, started));
      return { rate, cpu: cpuPer(cpuBefore, groupCpu(readProcs(), floorPids()), rate.processed) };
    };
    const { rate: floor, cpu: cpuPerFloor } = await floorOf(processingShapeFloorWorkflow, 'one activity per step');
    log(`processing floor: CPU ms per workflow by process: ${describeCpu(cpuPerFloor)}`);
    const { rate: lowestFloor } = await floorOf(processingFloorWorkflow, 'local activities one after another, as the lead has');
    const ratio = Math.round((lead.perSecond / floor.perSecond) * 1000) / 1000;
    const ratioVsLowest = Math.round((lead.perSecond / lowestFloor.perSecond) * 1000) / 1000;
    return {
      n,
      concurrency,
      lead,
      floor,
      lowestFloor,
      ratio,
      ratioVsLowest,
      cpuPerLead,
      cpuPerFloor,
      pass: ratio >= SCALE_TARGETS.processingRatio && lead.processed === n,
    };
  } finally {
    await stopChild(worker);
  }
}

export interface MemoryFigures {
  openLeads: number;
  maxCachedWorkflows: number;
  /** Worker RSS (MiB) after each step of open leads. */
  rssMiB: Array<{ openLeads: number; worker?: number }>;
  /** RSS at 20,000 open leads: measured when the run opened that many, else extrapolated (see `extrapolated`). */
  rssMiBAt20k?: number;
  extrapolated: boolean;
  evictedUpdate: PathFigures;
  /** Where those Updates spent their time, from their leads' histories (bench/update-breakdown.ts). */
  evictedUpdateBreakdown: UpdateBreakdown;
  /** Each of those Updates' latency (ms) in the order sent: where the slow ones fall (the first? one every so often?). */
  evictedUpdateInOrderMs: number[];
  pass: { rss: boolean; evictedUpdate: boolean };
}

/**
 * Opens `openLeads` leads (on top of those the run already has) in steps, reading the worker's
 * RSS after each; then an Update, one at a time, on 100 of the first ones — long evicted from a
 * cache of `maxCachedWorkflows` when openLeads exceeds it, so each replays its history first.
 * An evicted lead costs the worker nothing, so beyond the cache RSS stays flat: the figure at
 * 20,000 is the last step's when the run stops short of it (and says so).
 */
export async function measureMemory(s: ScaleStack, openLeads: number, maxCachedWorkflows: number, log: Log): Promise<MemoryFigures> {
  const steps = 4;
  const ids: string[] = [];
  const rss: MemoryFigures['rssMiB'] = [{ openLeads: 0, worker: s.rssMiB().worker }];
  for (let k = 1; k <= steps; k++) {
    const count = Math.floor((k * openLeads) / steps) - Math.floor(((k - 1) * openLeads) / steps);
    const batch = await registerLeads(s.pool, count);
    ids.push(...batch);
    const t0 = performance.now();
    await runClosedLoop(batch.length, 20, (i) => startLead(s.client, s.taskQueue, batch[i]!, s.policy));
    await until(batch.length, () => processedCount(s.pool, batch), t0);
    rss.push({ openLeads: ids.length, worker: s.rssMiB().worker });
    log(`memory: ${ids.length} leads open, worker RSS ${rss[rss.length - 1]!.worker} MiB`);
  }
  const serial = Math.min(100, ids.length);
  await waitForQuiet({ timeoutMs: QUIET_WAIT_MS });
  log(
    `memory: ${serial} Updates one at a time on the first leads (evicted: ${openLeads > maxCachedWorkflows ? 'yes' : 'no, fewer leads than the cache holds'})`,
  );
  const sent: SentUpdate[] = [];
  const sentAt: number[] = [];
  const update = (i: number) => {
    sentAt[i] = Date.now();
    return tracedMissedCall(s.client, ids[i]!, sent);
  };
  const run = await runClosedLoop(serial, 1, update);
  const evictedUpdate = figuresOf(run);
  const evictedUpdateBreakdown = await updateBreakdown(s.client, sent);
  const evictedUpdateInOrderMs = run.latenciesMs.map((x) => Math.round(x));
  // One at a time, so the i-th latency is the i-th Update's; the instant lines them up with the processes' logs.
  const slow = evictedUpdateInOrderMs.flatMap((x, i) =>
    x > SCALE_TARGETS.evictedUpdateP99Ms ? [`#${i + 1} sent ${new Date(sentAt[i]!).toISOString().slice(11, 23)}: ${x} ms`] : [],
  );
  log(`memory: Updates over ${SCALE_TARGETS.evictedUpdateP99Ms} ms: ${slow.join(', ') || 'none'}`);
  const last = rss[rss.length - 1]!.worker;
  const extrapolated = ids.length < OPEN_LEADS_TARGET;
  return {
    openLeads: ids.length,
    maxCachedWorkflows,
    rssMiB: rss,
    rssMiBAt20k: last,
    extrapolated,
    evictedUpdate,
    evictedUpdateBreakdown,
    evictedUpdateInOrderMs,
    pass: {
      rss: last !== undefined && last <= SCALE_TARGETS.rssMiBAt20k && (ids.length >= OPEN_LEADS_TARGET || ids.length > maxCachedWorkflows),
      evictedUpdate: evictedUpdate.latencyMs.p99 <= SCALE_TARGETS.evictedUpdateP99Ms && evictedUpdate.failures === 0,
    },
  };
}

export interface BurstFigures {
  ratePerSecond: number;
  seconds: number;
  intake: { offered: number; created: number; deferred: number; failed: number; samples: string[] };
  update: PathFigures;
  /** The same Update from a bare Temporal client, alongside at the same rate: what the lead's workflow takes. */
  updateRaw: PathFigures;
  /** Where the bare client's Updates spent their time, from their leads' histories (bench/update-breakdown.ts). */
  updateRawBreakdown: UpdateBreakdown;
  updateRatePerSecond: number;
  pass: boolean;
}

/**
 * POST /leads at `rate` for `seconds` (open loop: a 429 is deferred work, counted, not retried)
 * while staff Updates (a missed call through the API) arrive at `updateRate` on leads taken in
 * before the burst, and as many from a bare Temporal client (the lead's own share of the latency,
 * without the API) — on every other lead of the same list, so both find their leads as often in
 * the worker's cache; the Updates' latency counts from when each was due.
 */
export async function measureBurst(opts: {
  http: HttpClient;
  client: Client;
  rate: number;
  seconds: number;
  updateRate: number;
  updateLeadIds: string[];
  log: Log;
}): Promise<BurstFigures> {
  const { http, rate, seconds, updateRate, log } = opts;
  const offered = Math.round(rate * seconds);
  const intake = { offered, created: 0, deferred: 0, failed: 0, samples: [] as string[] };
  const tag = randomUUID().slice(0, 8);
  const phoneBase = Math.floor(Math.random() * 9_000_000);
  await waitForQuiet({ timeoutMs: QUIET_WAIT_MS });
  log(`burst: ${offered} POST /leads at ${rate} req/s for ${seconds} s, Updates at ${updateRate} req/s alongside`);
  const post = async (i: number) => {
    const { status, text } = await http.call('POST', '/leads', {
      source: { channel: 'web_form' },
      person: { name: 'Bench Burst' },
      phone: `+7915${String((phoneBase + i) % 10_000_000).padStart(7, '0')}`,
      email: `burst-${tag}-${i}@example.com`,
      topic: 'crm',
    });
    if (status === 201) intake.created += 1;
    else if (status === 429) intake.deferred += 1;
    else {
      intake.failed += 1;
      if (intake.samples.length < 3) intake.samples.push(`HTTP ${status}: ${text.slice(0, 200)}`);
    }
  };
  const updates = Math.min(Math.floor(opts.updateLeadIds.length / 2), Math.round(updateRate * seconds));
  const update = async (i: number) => {
    const { status, text } = await http.call('POST', `/leads/${opts.updateLeadIds[2 * i]}/contact`, { outcome: 'no_answer' });
    if (status !== 200) throw new Error(`HTTP ${status}: ${text.slice(0, 200)}`);
  };
  // The bare client's Updates carry an id the breakdown finds in their leads' histories afterwards.
  const sent: SentUpdate[] = [];
  const rawUpdate = (i: number) => tracedMissedCall(opts.client, opts.updateLeadIds[2 * i + 1]!, sent);
  const [, updateRun, rawRun] = await Promise.all([
    runOpenLoop(offered, rate, post),
    runOpenLoop(updates, updateRate, update),
    runOpenLoop(updates, updateRate, rawUpdate),
  ]);
  const updateFigures = figuresOf(updateRun);
  const breakdown = await updateBreakdown(opts.client, sent);
  return {
    ratePerSecond: rate,
    seconds,
    intake,
    update: updateFigures,
    updateRaw: figuresOf(rawRun),
    updateRawBreakdown: breakdown,
    updateRatePerSecond: updateRate,
    pass: updateFigures.latencyMs.p99 <= SCALE_TARGETS.burstUpdateP99Ms && updateFigures.failures === 0 && intake.failed === 0,
  };
}
