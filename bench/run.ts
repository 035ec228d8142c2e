// `npm run bench`: what the API costs on top of Temporal, path by path.
// Against one freshly started stack (PostgreSQL, Temporal dev server, the worker and the API each
// in its own process) it measures intake —
//   raw  client.workflow.start(leadWorkflow) with a bare Temporal client (the SDK's default
//        connection; beside it, for information, the same client over the core connection the API
//        starts new leads on — api/core-starts.ts), and
//   api  POST /leads over real HTTP (validate, de-duplicate, register, start the workflow),
// each at the same fixed concurrency (targets: API throughput ≥ 85 % of raw, API p99 ≤ 100 ms) —
// then staff actions, reads and list pages (bench/actions.ts), and last the platform's floor for
// an Update (bench/floor: the same shape of work with no business logic), and the notification
// delivery rate to a local SMTP server and webhook receiver (bench/notifications.ts). Figures go to
// bench/results/intake-<timestamp>.json and intake-latest.json.
// Env: BENCH_N (500), BENCH_CONCURRENCY (20), BENCH_WARMUP (20), DATABASE_URL (else embedded),
// BENCH_API_NODE_ARGS (extra node flags for the API process, e.g. --cpu-prof),
// BENCH_PHASES (intake,actions,floor,notifications: which to run; actions need intake),
// BENCH_NOTIFY_N (2000 outbox rows per delivery phase),
// BENCH_BASELINE (a commit, e.g. main: its API also takes in BENCH_N leads in the same run, bench/baseline.ts),
// BENCH_ROUNDS (intake in rounds, the paths in rotating order, the CPUs quiet before each: 5),
// BENCH_CODEC (on: the payload codec in the worker, the API and the bare client alike, as in production;
// off: none of them encrypts — run both to see what encryption costs);
// BENCH_RUNTIME (dist: the worker and the API compiled after `npm run build`, as the image runs them;
// tsx: from the sources, as npm start — bench/stack.ts);
// issue 16's phases (bench/scale.ts): processing (BENCH_N leads vs the floor), burst (BENCH_BURST_SECONDS,
// 20, at twice the processing rate, or BENCH_BURST_RATE), memory (BENCH_OPEN_LEADS more leads, 3000).
import { execFileSync } from 'node:child_process';
import { randomInt, randomUUID } from 'node:crypto';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { arch, cpus, loadavg, platform, totalmem } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { poolOf, type Db } from '../platform/db';
import { policyInForce } from '../platform/policies';
import { measureActions, PACED_RATE, type ActionFigures } from './actions';
import { exportBaseline, type BaselineTree } from './baseline';
import { measureFloor } from './floor/measure';
import { httpClient, type HttpClient } from './http';
import { figuresOf, runClosedLoop, type LoadRun, type PathFigures } from './load';
import { measureDelivery, startReceivers, type DeliveryFigures, type DeliveryPhase } from './notifications';
import { addCpu, cpuPer, describeCpu, groupCpu, readProcs, zeroCpu, type CpuSnapshot } from './cpu';
import { benchCodecOf, benchRuntimeOf, startStack } from './stack';
import { waitForQuiet } from './quiet';
import {
  measureBurst,
  measureMemory,
  measureProcessing,
  startLead,
  type BurstFigures,
  type MemoryFigures,
  type ProcessingFigures,
} from './scale';
import { printScale, scaleTargets } from './scale-report';
import { workerSizing } from '../worker/sandbox';

const TARGET_RATIO = 0.85;
const TARGET_API_P99_MS = 100;
const SETTLE_TIMEOUT_MS = 300_000;
/** At most this long waiting for quiet CPUs before each intake path: a shared machine may never be. */
const PATH_QUIET_WAIT_MS = 10_000;
const RESULTS_DIR = join(__dirname, 'results');

const log = (m: string) => console.log(`[bench] ${m}`);

function positiveInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a positive integer, got ${JSON.stringify(raw)}`);
  return n;
}

/**
 * Waits until the worker has assigned every given lead (the read model gets its manager), so one
 * phase's workflows do not run on the worker — on the same few cores — during the next phase.
 */
async function settle(db: Db, leadIds: string[]): Promise<{ seconds: number; settled: boolean }> {
  const t0 = performance.now();
  for (;;) {
    const pending = await db.lead.count({ where: { id: { in: leadIds }, managerId: null } });
    const seconds = Math.round((performance.now() - t0) / 10) / 100;
    if (pending === 0) return { seconds, settled: true };
    if (performance.now() - t0 > SETTLE_TIMEOUT_MS) {
      log(`WARNING: ${pending} of ${leadIds.length} workflows still unassigned after ${seconds} s; measuring anyway`);
      return { seconds, settled: false };
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The commit measured, and whether the working tree differed from it (then it is only a hint). */
function gitState(): { gitCommit?: string; gitDirty?: boolean } {
  const git = (...args: string[]) =>
    execFileSync('git', args, { cwd: __dirname, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  try {
    return { gitCommit: git('rev-parse', 'HEAD'), gitDirty: git('status', '--porcelain', '--untracked-files=no') !== '' };
  } catch {
    return {};
  }
}

/** Written next to the target and renamed over it, so a reader never sees half a file. */
function writeJson(path: string, data: unknown): void {
  writeFileSync(`${path}.tmp`, JSON.stringify(data, null, 2) + '\n');
  renameSync(`${path}.tmp`, path);
}

function printPath(name: string, f: PathFigures): void {
  name = name.padEnd(17);
  const l = f.latencyMs;
  console.log(
    `  ${name.padEnd(4)} ${String(f.requests).padStart(6)} req  ${f.wallSeconds.toFixed(2).padStart(7)} s  ${f.throughput.toFixed(1).padStart(8)} req/s  ` +
      `p50 ${l.p50.toFixed(1)}  p90 ${l.p90.toFixed(1)}  p99 ${l.p99.toFixed(1)}  max ${l.max.toFixed(1)} ms` +
      (f.failures ? `  FAILURES ${f.failures}` : ''),
  );
}

const PHASES = ['intake', 'actions', 'processing', 'burst', 'memory', 'floor', 'notifications'] as const;
type Phase = (typeof PHASES)[number];

function phasesOf(raw: string | undefined): Set<Phase> {
  if (!raw) return new Set(PHASES);
  const asked = raw
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
  const unknown = asked.filter((p) => !(PHASES as readonly string[]).includes(p));
  if (unknown.length) throw new Error(`BENCH_PHASES: unknown ${unknown.join(', ')} (known: ${PHASES.join(', ')})`);
  const phases = new Set(asked as Phase[]);
  if (phases.has('actions') && !phases.has('intake'))
    throw new Error('BENCH_PHASES: actions work on the leads intake takes in; add intake');
  if (phases.has('burst') && !phases.has('intake'))
    throw new Error("BENCH_PHASES: the burst's staff Updates work on the leads intake takes in; add intake");
  return phases;
}

function printDelivery(name: string, f: DeliveryPhase): void {
  console.log(
    `  ${name.padEnd(17)} ${String(f.messages).padStart(6)} msg  ${f.wallSeconds.toFixed(2).padStart(7)} s  ${f.perSecond.toFixed(1).padStart(8)} msg/s  ` +
      `${f.runs} runs; received ${f.received.email} e-mails, ${f.received.webhook} webhooks${f.notSent ? `  NOT SENT ${f.notSent}` : ''}`,
  );
}

/**
 * Stops the worker process (SIGSTOP) until `resume()`: its long polls stay open on the server and
 * the tasks scheduled meanwhile wait for it, as they would for a worker behind on its work.
 */
function pauseWorker(pid: number | undefined): { resume(): void } | undefined {
  if (!pid) return undefined;
  process.kill(pid, 'SIGSTOP');
  let resumed = false;
  const resume = () => {
    if (resumed) return;
    resumed = true;
    process.off('exit', resume);
    process.kill(pid, 'SIGCONT');
  };
  // A bench that dies mid-phase must not leave a stopped worker behind (its SIGTERM would wait).
  process.once('exit', resume);
  return { resume };
}

/** The intake row's reading: which API path the ratio is of, and the deployed one beside it. */
function intakeAgainst(f: { raw: PathFigures; api: PathFigures; open?: PathFigures; admittedRatio: number }, deferred: number): string {
  const rate = (x: PathFigures) => `${x.throughput.toFixed(1)}/s`;
  if (!f.open) return `API ${rate(f.api)} vs bare client ${rate(f.raw)}, closed loop, same run`;
  return (
    `API with admission control off ${rate(f.open)} vs bare client ${rate(f.raw)}, closed loop, worker paused, same run; ` +
    `as deployed ${rate(f.api)} (${f.admittedRatio}×, ${deferred} deferred by 429: held to the worker's rate)`
  );
}

async function main(): Promise<number> {
  const n = positiveInt('BENCH_N', 500);
  const concurrency = positiveInt('BENCH_CONCURRENCY', 20);
  const warmup = positiveInt('BENCH_WARMUP', 20);
  const notifyN = positiveInt('BENCH_NOTIFY_N', 2000);
  const phases = phasesOf(process.env.BENCH_PHASES);
  const codec = benchCodecOf(process.env.BENCH_CODEC);
  const runtime = benchRuntimeOf(process.env.BENCH_RUNTIME);
  // A baseline commit's API runs its own api/main.ts, which encrypts: not comparable without the codec.
  if (codec === 'off' && process.env.BENCH_BASELINE) throw new Error('BENCH_CODEC=off measures this tree only: unset BENCH_BASELINE');

  // Other work on the machine skews every figure; the load average says how much there was.
  const loadBefore = loadavg().map((x) => Math.round(x * 100) / 100);
  const baseline: BaselineTree | undefined = process.env.BENCH_BASELINE ? exportBaseline(process.env.BENCH_BASELINE) : undefined;
  // The SMTP server and the webhook receiver run in this process; the worker is told where (SMTP_URL).
  const receivers = await startReceivers();
  const stack = await startStack(log, {
    env: receivers.env,
    baselineRoot: baseline?.root,
    codec,
    runtime,
    openApi: phases.has('intake'),
  }).catch(async (err: unknown) => {
    await receivers.close();
    baseline?.remove();
    throw err;
  });
  process.once('SIGINT', () => {
    log('interrupted; stopping');
    void stack.stop().finally(() => process.exit(130));
  });
  const { db, client, taskQueue } = stack;
  const http = httpClient(stack.apiUrl, { 'x-api-key': stack.apiKey }, concurrency);
  const baseHttp = stack.baselineApiUrl ? httpClient(stack.baselineApiUrl, { 'x-api-key': stack.apiKey }, concurrency) : undefined;
  const openHttp = stack.openApiUrl ? httpClient(stack.openApiUrl, { 'x-api-key': stack.apiKey }, concurrency) : undefined;
  try {
    // Assignment needs an active manager, or every workflow would park as "not distributed".
    await db.manager.create({ data: { id: `bench-mgr-${randomUUID().slice(0, 8)}`, name: 'Bench Manager', expertise: [], territory: [] } });

    // raw: the lead rows intake would have written, inserted before any timing, so the raw
    // path's workflows find their lead and do the same worker-side work as the API's.
    // The ids after the first warmup + n are the core-connection client's (information, not the target).
    const rawIds = Array.from({ length: 2 * (warmup + n) }, () => randomUUID());
    // Like for like: the start call and the input intake makes (bench/scale.ts startLead).
    const policy = await policyInForce(db, null);
    // A bare client's i-th start, on the ids from `first` on: the default client's from 0, the core connection's after them.
    const bareStart = (c: typeof client, first: number) => (i: number) => startLead(c, taskQueue, rawIds[first + i]!, policy);
    const coreFirst = warmup + n;
    const rawStart = bareStart(client, 0);
    const coreStart = bareStart(stack.coreClient, coreFirst);

    // api: unique contacts, or de-duplication would attach (200) instead of create (201). The
    // random phone base keeps a reused external database from matching an earlier run's leads.
    // The baseline API (BENCH_BASELINE) takes in leads of its own, numbered after this API's.
    const runTag = randomUUID().slice(0, 8);
    const phoneBase = randomInt(0, 10_000_000 - 3 * (warmup + n));
    const apiIds: string[] = [];
    const baseIds: string[] = [];
    const openIds: string[] = [];
    let deferred = 0;
    const poster = (h: HttpClient, ids: string[], offset: number) => async (i: number) => {
      const body = {
        source: { channel: 'web_form' },
        person: { name: 'Bench Person' },
        phone: `+7916${String(phoneBase + offset + i).padStart(7, '0')}`,
        email: `bench-${runTag}-${offset + i}@example.com`,
        topic: 'crm',
      };
      let { status, text } = await h.call('POST', '/leads', body);
      // Admission control (api/admission.ts) defers a lead while the worker is behind: a caller
      // waits Retry-After and asks again, and that wait is part of the request's latency.
      for (let tries = 0; status === 429 && tries < 60; tries++) {
        deferred += 1;
        await new Promise((r) => setTimeout(r, 1000));
        ({ status, text } = await h.call('POST', '/leads', body));
      }
      if (status !== 201) throw new Error(`HTTP ${status}: ${text.slice(0, 300)}`);
      ids.push((JSON.parse(text) as { leadId: string }).leadId);
    };
    const apiPost = poster(http, apiIds, 0);
    const basePost = baseHttp && poster(baseHttp, baseIds, warmup + n);
    const openPost = openHttp && poster(openHttp, openIds, 2 * (warmup + n));

    let intake:
      | {
          raw: PathFigures;
          /** The bare client over the core connection the API starts on: the same-transport comparison (information). */
          rawCore: PathFigures;
          /** The API (admission off) against `rawCore`. */
          coreRatio: number;
          api: PathFigures;
          base?: PathFigures;
          /** This API with admission control off: what intake itself costs, the target's path. */
          open?: PathFigures;
          /** The target: the API's own throughput (admission off) against the bare client's. */
          ratio: number;
          /** The API as deployed (admission on): its rate is held to the worker's while a backlog waits. */
          admittedRatio: number;
          baseRatio?: number;
          ratioPass: boolean;
          p99Pass: boolean;
          settled: { warmup: number; raw: number; rawCore: number; api: number; base?: number; open?: number };
          allSettled: boolean;
          rounds: number;
          /** Each path's throughput (req/s) round by round: how much the machine's load moved under the run. */
          perRound: Record<string, number[]>;
          cpuPerRequest: Record<string, { requests: CpuSnapshot; settled: CpuSnapshot }>;
          failureSamples: Record<string, string[]>;
        }
      | undefined;
    if (phases.has('intake')) {
      await db.lead.createMany({
        // Marked started: the intake sweeper would otherwise start the workflows of rows waiting for a later round.
        data: rawIds.map((id) => ({
          id,
          intakeKey: `bench-raw:${id}`,
          kind: 'lead',
          sourceChannel: 'web_form',
          personName: 'Bench Person',
          topic: 'crm',
          stage: 'received',
          currency: 'RUB',
          workflowStartedAt: new Date(),
        })),
      });
      log(`warming up: ${warmup} requests per path (not measured)`);
      const warm = [
        await runClosedLoop(warmup, concurrency, rawStart),
        await runClosedLoop(warmup, concurrency, coreStart),
        await runClosedLoop(warmup, concurrency, (i) => apiPost(n + i)),
      ];
      if (basePost) warm.push(await runClosedLoop(warmup, concurrency, (i) => basePost(n + i)));
      if (openPost) warm.push(await runClosedLoop(warmup, concurrency, (i) => openPost(n + i)));
      // A warm-up request that failed only for the machine's load (a 202: the start missed its 3 s
      // deadline) is said, not fatal: the measured phases count their own failures.
      const warmFailures = warm.flatMap((w) => w.failureSamples);
      if (warmFailures.length) log(`WARNING: warm-up requests failed: ${warmFailures.slice(0, 3).join(' | ').slice(0, 600)}`);
      const settledWarmup = await settle(db, [
        ...rawIds.slice(0, warmup),
        ...rawIds.slice(coreFirst, coreFirst + warmup),
        ...apiIds,
        ...baseIds,
        ...openIds,
      ]);
      apiIds.length = 0;
      baseIds.length = 0;
      openIds.length = 0;

      // In rounds, each path taking n/rounds requests per round in a rotating order, the worker
      // settled and the CPUs quiet before each: a machine whose load drifts during the run (other
      // work, the worker's growing cache and tables, the last path's leads still being processed)
      // then weighs on every path alike instead of on whichever ran after another. Five rounds by
      // default: in one, the bare client always went first, straight after the warm-up had
      // settled, and a change of load on the shared machine could fall on one path alone (three
      // single-round runs of one tree read 0.62–0.88×).
      const rounds = Math.min(n, positiveInt('BENCH_ROUNDS', 5));
      type Path = {
        name: 'raw' | 'rawCore' | 'base' | 'open' | 'api';
        op: (i: number) => Promise<void>;
        ids: () => string[];
      };
      // A bare path's leads so far: the measured starts it has made, after its warm-up's.
      const barePath = (name: 'raw' | 'rawCore', start: (i: number) => Promise<void>, first: number): Path => {
        let started = 0;
        return {
          name,
          op: (i) => {
            started = Math.max(started, i + 1);
            return start(warmup + i);
          },
          ids: () => rawIds.slice(first + warmup, first + warmup + started),
        };
      };
      const pathList: Path[] = [
        barePath('raw', rawStart, 0),
        barePath('rawCore', coreStart, coreFirst),
        ...(basePost ? [{ name: 'base' as const, op: basePost, ids: () => baseIds }] : []),
        ...(openPost ? [{ name: 'open' as const, op: openPost, ids: () => openIds }] : []),
        { name: 'api', op: apiPost, ids: () => apiIds },
      ];
      const paths: Array<
        Path & {
          runs: LoadRun[];
          settled: number[];
          /** CPU ms by process while its requests ran, and until the worker had settled them too. */
          cpu: { requests: CpuSnapshot; settled: CpuSnapshot };
        }
      > = pathList.map((x) => ({ ...x, runs: [], settled: [], cpu: { requests: zeroCpu(), settled: zeroCpu() } }));
      let allSettled = settledWarmup.settled;
      for (let r = 0; r < rounds; r++) {
        const from = Math.floor((r * n) / rounds);
        const count = Math.floor(((r + 1) * n) / rounds) - from;
        for (let k = 0; k < paths.length; k++) {
          const path = paths[(r + k) % paths.length]!;
          const label =
            path.name === 'base'
              ? `api baseline ${baseline!.commit.slice(0, 7)}`
              : path.name === 'open'
                ? 'api, admission control off'
                : path.name === 'rawCore'
                  ? 'raw, core connection'
                  : path.name;
          log(
            `round ${r + 1}/${rounds} ${label}: ${count} ${path.name.startsWith('raw') ? 'workflow starts' : 'POST /leads'} at concurrency ${concurrency}`,
          );
          // The bare client and the API without admission control are measured on what they do
          // themselves: the worker is paused while their requests run (it takes their leads up once
          // they are done). Left running, it would process earlier leads inside their window, and
          // the slower path would be billed more of that processing the longer it took. The API as
          // deployed needs the worker (admission control waits for it), so it runs with it.
          await waitForQuiet({ timeoutMs: PATH_QUIET_WAIT_MS });
          const pause = path.name !== 'api' ? pauseWorker(stack.pids().worker) : undefined;
          const cpuFrom = groupCpu(readProcs(), stack.pids());
          try {
            path.runs.push(await runClosedLoop(count, concurrency, (i) => path.op(from + i)));
          } finally {
            pause?.resume();
          }
          const done = figuresOf(path.runs[path.runs.length - 1]!);
          log(`  ${label}: ${done.throughput}/s (${done.wallSeconds} s)`);
          const cpuRequests = groupCpu(readProcs(), stack.pids());
          const settled = await settle(db, path.ids());
          addCpu(path.cpu.requests, cpuFrom, cpuRequests);
          addCpu(path.cpu.settled, cpuFrom, groupCpu(readProcs(), stack.pids()));
          path.settled.push(settled.seconds);
          allSettled &&= settled.settled;
        }
      }
      const joined = (runs: LoadRun[]): LoadRun => ({
        requests: runs.reduce((a, x) => a + x.requests, 0),
        failures: runs.reduce((a, x) => a + x.failures, 0),
        failureSamples: runs.flatMap((x) => x.failureSamples).slice(0, 5),
        latenciesMs: runs.flatMap((x) => x.latenciesMs),
        wallMs: runs.reduce((a, x) => a + x.wallMs, 0),
      });
      const pathOf = (name: string) => paths.find((x) => x.name === name);
      const rawRun = joined(pathOf('raw')!.runs);
      const rawCoreRun = joined(pathOf('rawCore')!.runs);
      const apiRun = joined(pathOf('api')!.runs);
      const baseRun = pathOf('base') && joined(pathOf('base')!.runs);
      const openRun = pathOf('open') && joined(pathOf('open')!.runs);
      const settledOf = (name: string) => Math.round((pathOf(name)?.settled.reduce((a, x) => a + x, 0) ?? 0) * 100) / 100;
      log(`worker settled after each path's requests in ${paths.map((x) => `${x.name} ${x.settled.join(' + ')} s`).join('; ')}`);
      // What each path costs the machine, by process: the ratio is one of CPU on shared cores.
      const cpuPerRequest = Object.fromEntries(
        paths.map((x) => {
          const requests = x.runs.reduce((a, r) => a + r.requests, 0);
          return [x.name, { requests: cpuPer(zeroCpu(), x.cpu.requests, requests), settled: cpuPer(zeroCpu(), x.cpu.settled, requests) }];
        }),
      );
      for (const [name, c] of Object.entries(cpuPerRequest)) {
        log(`intake ${name}: CPU ms per request while sent: ${describeCpu(c.requests)}; until processed: ${describeCpu(c.settled)}`);
      }

      const raw = figuresOf(rawRun);
      const rawCore = figuresOf(rawCoreRun);
      const api = figuresOf(apiRun);
      const base = baseRun && figuresOf(baseRun);
      const open = openRun && figuresOf(openRun);
      const ratioOf = (f: PathFigures, of = raw) => Math.round((f.throughput / of.throughput) * 1000) / 1000;
      // The target reads the API's own cost: the bare client starts workflows with no admission
      // control, so the deployed API (which defers new leads while 100 wait for the worker) is
      // read beside it, not against it — its rate is the worker's processing rate by design.
      const ratio = ratioOf(open ?? api);
      intake = {
        raw,
        rawCore,
        coreRatio: ratioOf(open ?? api, rawCore),
        api,
        base,
        open,
        ratio,
        admittedRatio: ratioOf(api),
        baseRatio: base && ratioOf(base),
        ratioPass: ratio >= TARGET_RATIO,
        p99Pass: (open ?? api).latencyMs.p99 <= TARGET_API_P99_MS,
        settled: {
          warmup: settledWarmup.seconds,
          raw: settledOf('raw'),
          rawCore: settledOf('rawCore'),
          api: settledOf('api'),
          ...(baseRun ? { base: settledOf('base') } : {}),
          ...(openRun ? { open: settledOf('open') } : {}),
        },
        allSettled,
        rounds,
        perRound: Object.fromEntries(paths.map((x) => [x.name, x.runs.map((r) => figuresOf(r).throughput)])),
        cpuPerRequest,
        failureSamples: {
          raw: rawRun.failureSamples,
          rawCore: rawCoreRun.failureSamples,
          api: apiRun.failureSamples,
          ...(baseRun ? { base: baseRun.failureSamples } : {}),
          ...(openRun ? { open: openRun.failureSamples } : {}),
        },
      };
    }

    // Staff actions and reads on the leads just taken in (each already assigned to the manager).
    let actions: ActionFigures | undefined;
    if (phases.has('actions')) {
      log(`actions: one Update per lead through the API and from a bare client; reads; list pages`);
      actions = await measureActions({
        client,
        http,
        pool: poolOf(db),
        rawLeadIds: rawIds.slice(warmup),
        apiLeadIds: apiIds,
        concurrency,
        log,
      });
    }

    // Issue 16 (bench/scale.ts): processing rate vs its floor, an intake burst at twice that rate, memory.
    const scaleStack = {
      client,
      pool: poolOf(db),
      taskQueue,
      temporalAddress: stack.temporalAddress,
      rssMiB: stack.rssMiB,
      pids: stack.pids,
      policy,
    };
    let processing: ProcessingFigures | undefined;
    if (phases.has('processing')) processing = await measureProcessing(scaleStack, n, concurrency, log);
    let burst: BurstFigures | undefined;
    if (phases.has('burst')) {
      const rate = process.env.BENCH_BURST_RATE
        ? positiveInt('BENCH_BURST_RATE', 50)
        : Math.max(10, Math.round(2 * (processing?.lead.perSecond ?? 25)));
      burst = await measureBurst({
        http,
        client,
        rate,
        seconds: positiveInt('BENCH_BURST_SECONDS', 20),
        updateRate: 5,
        updateLeadIds: apiIds,
        log,
      });
    }
    let memoryScale: MemoryFigures | undefined;
    if (phases.has('memory'))
      memoryScale = await measureMemory(scaleStack, positiveInt('BENCH_OPEN_LEADS', 3000), workerSizing().maxCachedWorkflows, log);

    // Every lead of the run has been worked by now: the worker holds them in its workflow cache.
    const memory = {
      leadsStarted: (phases.has('intake') ? rawIds.length + warmup : 0) + apiIds.length + baseIds.length + openIds.length,
      rssMiB: stack.rssMiB(),
    };
    log(`memory: worker ${memory.rssMiB.worker} MiB, API ${memory.rssMiB.api} MiB resident after ${memory.leadsStarted} leads`);

    // The platform alone: the same shape of Update on a workflow with no business logic.
    const floor = phases.has('floor')
      ? await measureFloor({ client, temporalAddress: stack.temporalAddress, taskQueue, serial: 100, paced: n, rate: PACED_RATE, log })
      : undefined;

    // Notification delivery: outbox rows through the delivery workflow to the SMTP server and the webhook receiver.
    let notifications: DeliveryFigures | undefined;
    if (phases.has('notifications')) {
      notifications = await measureDelivery({ client, pool: poolOf(db), taskQueue, receivers, n: notifyN, log });
    }

    console.log('');
    const gitNow = gitState();
    console.log(
      `Benchmark: N=${n}, concurrency=${concurrency}, ${cpus().length} CPUs, node ${process.version}, ${stack.database} PostgreSQL, ` +
        `load average ${loadBefore[0]} before; commit ${gitNow.gitCommit?.slice(0, 7) ?? '?'}${gitNow.gitDirty ? ' (dirty)' : ''}; ` +
        (stack.runtime === 'dist' ? 'worker and API compiled (dist/, as the image)' : 'worker and API from the sources (tsx)'),
    );
    console.log(
      codec === 'on'
        ? 'Payload codec ON: the worker, the API and the bare client all encrypt (AES-256-GCM, a key per lead); ratios against that client'
        : 'Payload codec OFF (BENCH_CODEC=off): nothing is encrypted, by the worker, the API or the bare client',
    );
    if (intake) {
      console.log(`\nIntake (${intake.rounds} round${intake.rounds > 1 ? 's' : ''}, paths in rotating order)`);
      printPath('raw', intake.raw);
      printPath('raw, core conn.', intake.rawCore);
      if (intake.base) printPath(`api ${baseline!.commit.slice(0, 7)}`, intake.base);
      if (intake.open) printPath('api, no admission', intake.open);
      printPath('api', intake.api);
      if (intake.baseRatio !== undefined) {
        console.log(
          `  baseline ${baseline!.commit.slice(0, 7)} API/raw throughput ratio ${intake.baseRatio.toFixed(3)}  (this API ${intake.ratio.toFixed(3)}; ` +
            `${((intake.open ?? intake.api).throughput / intake.base!.throughput).toFixed(2)}× the baseline's throughput; both without admission control)`,
        );
      }
      const which = intake.open ? 'API (admission off)' : 'API';
      console.log(
        `  ${which}/raw throughput ratio ${intake.ratio.toFixed(3)}  (target ≥ ${TARGET_RATIO}): ${intake.ratioPass ? 'PASS' : 'MISS'}`,
      );
      console.log(
        `  ${which}/raw over the core connection ${intake.coreRatio.toFixed(3)}  (information: the same transport as the API's starts, api/core-starts.ts)`,
      );
      if (intake.open) {
        console.log(
          `  API as deployed (admission on)/raw ${intake.admittedRatio.toFixed(3)}: ${deferred} POSTs deferred by 429 while the worker was behind`,
        );
      }
      console.log(
        `  ${which} p99 ${(intake.open ?? intake.api).latencyMs.p99.toFixed(1)} ms  (target ≤ ${TARGET_API_P99_MS} ms): ${intake.p99Pass ? 'PASS' : 'MISS'}`,
      );
    }
    if (actions || floor)
      console.log(`\nStaff actions and reads (same stack; closed loop at concurrency ${concurrency}, paced at ${PACED_RATE} req/s)`);
    if (actions) {
      printPath('update raw', actions.updateRaw);
      printPath('update api', actions.updateApi);
      printPath('update raw paced', actions.updateRawPaced);
      printPath('update api paced', actions.updateApiPaced);
      printPath('update raw serial', actions.updateRawSerial);
      printPath('update api serial', actions.updateApiSerial);
      console.log(`  Update API/raw throughput ratio ${actions.updateRatio.toFixed(3)}  (codec ${codec} on both paths)`);
    }
    if (floor) {
      printPath('floor serial', floor.updateSerial);
      printPath('floor paced', floor.updatePaced);
    }
    if (actions) {
      printPath('read paced', actions.read);
      printPath('list', actions.list);
      for (const [name, t] of Object.entries(actions.targets))
        console.log(`  ${name} ${t.value} (target ${name.endsWith('Ms') ? '≤' : '≥'} ${t.target}): ${t.pass ? 'PASS' : 'MISS'}`);
    }
    if (notifications) {
      console.log(
        `\nNotification delivery (the notifications-deliver workflow back to back: ≤ ${notifications.perRun} rows a run, ` +
          `${notifications.inFlight} at a time; the Schedule starts one run a minute)`,
      );
      printDelivery('email', notifications.email);
      printDelivery('email + webhook', notifications.emailAndWebhook);
    }
    const scale = scaleTargets({
      processing,
      burst,
      memory: memoryScale,
      intakeRatio: intake?.ratio,
      intakeAgainst: intake && intakeAgainst(intake, deferred),
    });
    printScale(scale, { processing, burst, memory: memoryScale, intakeDeferred: deferred });
    for (const [name, samples] of Object.entries(intake?.failureSamples ?? {})) {
      for (const s of samples) console.log(`  ${name} failure: ${s}`);
    }

    const timestamp = new Date().toISOString();
    const result = {
      benchmark: 'intake',
      timestamp,
      machine: {
        cpus: cpus().length,
        cpuModel: cpus()[0]?.model,
        totalMemGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
        platform: platform(),
        arch: arch(),
        node: process.version,
        loadAverage1mBefore: loadBefore[0],
        loadAverage1mAfter: Math.round(loadavg()[0]! * 100) / 100,
      },
      config: {
        n,
        concurrency,
        warmup,
        notifyN,
        phases: [...phases],
        database: stack.database,
        payloadCodec: codec,
        runtime: stack.runtime,
        ...gitNow,
        ...(baseline ? { baselineCommit: baseline.commit } : {}),
      },
      ...(intake
        ? {
            raw: intake.raw,
            // The bare client over the core connection the API starts on (information; the target's bare client is `raw`).
            rawCore: intake.rawCore,
            apiNoAdmissionRawCoreThroughputRatio: intake.coreRatio,
            api: intake.api,
            apiRawThroughputRatio: intake.admittedRatio,
            // This API with admission control off (INTAKE_MAX_BACKLOG=0): the throughput target's path.
            ...(intake.open ? { apiNoAdmission: intake.open, apiNoAdmissionRawThroughputRatio: intake.ratio } : {}),
            // The API of BENCH_BASELINE on the same stack, measured just before this one.
            ...(intake.base ? { apiBaseline: intake.base, apiBaselineRawThroughputRatio: intake.baseRatio } : {}),
            targets: {
              throughputRatio: { target: TARGET_RATIO, value: intake.ratio, pass: intake.ratioPass },
              apiP99Ms: { target: TARGET_API_P99_MS, value: (intake.open ?? intake.api).latencyMs.p99, pass: intake.p99Pass },
            },
            // How long the worker took to assign each path's leads once its requests ended (summed over the rounds).
            workerSettleSeconds: intake.settled,
            rounds: intake.rounds,
            perRoundThroughput: intake.perRound,
            settled: intake.allSettled,
            failureSamples: intake.failureSamples,
            cpuPerRequest: intake.cpuPerRequest,
          }
        : {}),
      actions,
      // An Update with the lead's shape of work (timer re-armed, one activity, one more workflow
      // task) but no business logic: what Temporal itself costs on this machine.
      platformFloor: floor,
      notifications,
      memory,
      // Issue 16: each target with the figure it is read against, measured in this run.
      scale: { targets: scale, processing, burst, memory: memoryScale, intakeDeferred: deferred },
    };
    mkdirSync(RESULTS_DIR, { recursive: true });
    const file = join(RESULTS_DIR, `intake-${timestamp.replace(/[:.]/g, '-')}.json`);
    writeJson(file, result);
    writeJson(join(RESULTS_DIR, 'intake-latest.json'), result);
    console.log(`\n  written ${file}\n  written ${join(RESULTS_DIR, 'intake-latest.json')}`);

    // A failed start is not a slow start: figures with failures are not a benchmark.
    const actionFailures = [
      ...(actions
        ? [
            actions.updateRaw,
            actions.updateApi,
            actions.updateRawPaced,
            actions.updateApiPaced,
            actions.updateRawSerial,
            actions.updateApiSerial,
            actions.read,
            actions.list,
          ]
        : []),
      ...(floor ? [floor.updateSerial, floor.updatePaced] : []),
    ].reduce((a, f) => a + f.failures, 0);
    const intakeFailures =
      (intake
        ? intake.api.failures + intake.raw.failures + intake.rawCore.failures + (intake.base?.failures ?? 0) + (intake.open?.failures ?? 0)
        : 0) + (burst?.intake.failed ?? 0);
    const notSent = notifications ? notifications.email.notSent + notifications.emailAndWebhook.notSent : 0;
    if (intakeFailures || actionFailures || notSent) {
      console.error(
        `[bench] FAILED: ${intakeFailures} intake and ${actionFailures} action requests did not succeed; ${notSent} notifications not sent`,
      );
      return 1;
    }
    return 0;
  } finally {
    http.close();
    baseHttp?.close();
    openHttp?.close();
    await stack.stop();
    await receivers.close();
    baseline?.remove();
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error('[bench]', err);
    process.exitCode = 1;
  },
);
