// `npm run bench`: what the API costs on top of Temporal, path by path.
// Against one freshly started stack (PostgreSQL, Temporal dev server, the worker and the API each
// in its own process) it measures intake —
//   raw  client.workflow.start(leadWorkflow) with a bare Temporal client, and
//   api  POST /leads over real HTTP (validate, de-duplicate, register, start the workflow),
// each at the same fixed concurrency (targets: API throughput ≥ 85 % of raw, API p99 ≤ 100 ms) —
// then staff actions, reads and list pages (bench/actions.ts), and last the platform's floor for
// an Update (bench/floor: the same shape of work with no business logic). Figures go to
// bench/results/intake-<timestamp>.json and intake-latest.json.
// Env: BENCH_N (500), BENCH_CONCURRENCY (20), BENCH_WARMUP (20), DATABASE_URL (else embedded),
// BENCH_API_NODE_ARGS (extra node flags for the API process, e.g. --cpu-prof).
import { execFileSync } from 'node:child_process';
import { randomInt, randomUUID } from 'node:crypto';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { arch, cpus, loadavg, platform, totalmem } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { poolOf, type Db } from '../activities/db';
import { WorkflowIdConflictPolicy, WorkflowIdReusePolicy } from '@temporalio/common';
import { leadWorkflow, type LeadWorkflowInput } from '../workflows/lead';
import { LeadSource, LeadStage } from '../workflows/search-attributes';
import { measureActions, PACED_RATE } from './actions';
import { measureFloor } from './floor/measure';
import { httpClient } from './http';
import { figuresOf, runClosedLoop, type PathFigures } from './load';
import { startStack } from './stack';

const TARGET_RATIO = 0.85;
const TARGET_API_P99_MS = 100;
const SETTLE_TIMEOUT_MS = 300_000;
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
  const git = (...args: string[]) => execFileSync('git', args, { cwd: __dirname, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
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

async function main(): Promise<number> {
  const n = positiveInt('BENCH_N', 500);
  const concurrency = positiveInt('BENCH_CONCURRENCY', 20);
  const warmup = positiveInt('BENCH_WARMUP', 20);

  // Other work on the machine skews every figure; the load average says how much there was.
  const loadBefore = loadavg().map((x) => Math.round(x * 100) / 100);
  const stack = await startStack(log);
  process.once('SIGINT', () => {
    log('interrupted; stopping');
    void stack.stop().finally(() => process.exit(130));
  });
  const { db, client, taskQueue } = stack;
  const http = httpClient(stack.apiUrl, { 'x-api-key': stack.apiKey }, concurrency);
  try {
    // Assignment needs an active manager, or every workflow would park as "not distributed".
    await db.manager.create({ data: { id: `bench-mgr-${randomUUID().slice(0, 8)}`, name: 'Bench Manager', expertise: [], territory: [] } });

    // raw: the lead rows intake would have written, inserted before any timing, so the raw
    // path's workflows find their lead and do the same worker-side work as the API's.
    const rawIds = Array.from({ length: warmup + n }, () => randomUUID());
    await db.lead.createMany({
      data: rawIds.map((id) => ({ id, intakeKey: `bench-raw:${id}`, kind: 'lead', sourceChannel: 'web_form', personName: 'Bench Person', topic: 'crm', stage: 'received', currency: 'RUB' })),
    });
    const rawStart = async (i: number) => {
      const input: LeadWorkflowInput = { leadId: rawIds[i]!, kind: 'lead', sourceChannel: 'web_form', topic: 'crm' };
      // Like for like: the same id policies and initial search attributes intake starts with.
      await client.workflow.start(leadWorkflow, {
        workflowId: `lead-${input.leadId}`, taskQueue, args: [input],
        workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING, workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
        typedSearchAttributes: [{ key: LeadStage, value: 'received' }, { key: LeadSource, value: input.sourceChannel }],
      });
    };

    // api: unique contacts, or de-duplication would attach (200) instead of create (201). The
    // random phone base keeps a reused external database from matching an earlier run's leads.
    const runTag = randomUUID().slice(0, 8);
    const phoneBase = randomInt(0, 10_000_000 - (warmup + n));
    const apiIds: string[] = [];
    const apiPost = async (i: number) => {
      const { status, text } = await http.call('POST', '/leads', {
        source: { channel: 'web_form' },
        person: { name: 'Bench Person' },
        phone: `+7916${String(phoneBase + i).padStart(7, '0')}`,
        email: `bench-${runTag}-${i}@example.com`,
        topic: 'crm',
      });
      if (status !== 201) throw new Error(`HTTP ${status}: ${text.slice(0, 300)}`);
      apiIds.push((JSON.parse(text) as { leadId: string }).leadId);
    };

    log(`warming up: ${warmup} requests per path (not measured)`);
    const warm = [await runClosedLoop(warmup, concurrency, rawStart), await runClosedLoop(warmup, concurrency, (i) => apiPost(n + i))];
    const warmFailures = warm.flatMap((w) => w.failureSamples);
    if (warmFailures.length) throw new Error(`warm-up failed: ${warmFailures.join(' | ')}`);
    const settledWarmup = await settle(db, [...rawIds.slice(0, warmup), ...apiIds]);
    apiIds.length = 0;

    log(`raw: ${n} workflow starts at concurrency ${concurrency}`);
    const rawRun = await runClosedLoop(n, concurrency, (i) => rawStart(warmup + i));
    const settledRaw = await settle(db, rawIds.slice(warmup));
    log(`raw: worker settled in ${settledRaw.seconds} s after the last start`);

    log(`api: ${n} POST /leads at concurrency ${concurrency}`);
    const apiRun = await runClosedLoop(n, concurrency, apiPost);
    const settledApi = await settle(db, apiIds);
    log(`api: worker settled in ${settledApi.seconds} s after the last request`);

    // Staff actions and reads on the leads just taken in (each already assigned to the manager).
    log(`actions: one Update per lead through the API and from a bare client; reads; list pages`);
    const actions = await measureActions({
      client, http, pool: poolOf(db), rawLeadIds: rawIds.slice(warmup), apiLeadIds: apiIds, concurrency, log,
    });

    // Every lead of the run has been worked by now: the worker holds them in its workflow cache.
    const memory = { leadsStarted: rawIds.length + apiIds.length + warmup, rssMiB: stack.rssMiB() };
    log(`memory: worker ${memory.rssMiB.worker} MiB, API ${memory.rssMiB.api} MiB resident after ${memory.leadsStarted} leads`);

    // The platform alone: the same shape of Update on a workflow with no business logic.
    const floor = await measureFloor({ client, temporalAddress: stack.temporalAddress, taskQueue, serial: 100, paced: n, rate: PACED_RATE, log });

    const raw = figuresOf(rawRun);
    const api = figuresOf(apiRun);
    const ratio = Math.round((api.throughput / raw.throughput) * 1000) / 1000;
    const ratioPass = ratio >= TARGET_RATIO;
    const p99Pass = api.latencyMs.p99 <= TARGET_API_P99_MS;

    console.log('');
    console.log(`Intake benchmark: N=${n}, concurrency=${concurrency}, ${cpus().length} CPUs, node ${process.version}, ${stack.database} PostgreSQL, load average ${loadBefore[0]} before`);
    printPath('raw', raw);
    printPath('api', api);
    console.log(`  API/raw throughput ratio ${ratio.toFixed(3)}  (target ≥ ${TARGET_RATIO}): ${ratioPass ? 'PASS' : 'MISS'}`);
    console.log(`  API p99 ${api.latencyMs.p99.toFixed(1)} ms  (target ≤ ${TARGET_API_P99_MS} ms): ${p99Pass ? 'PASS' : 'MISS'}`);
    console.log(`\nStaff actions and reads (same stack; closed loop at concurrency ${concurrency}, paced at ${PACED_RATE} req/s)`);
    printPath('update raw', actions.updateRaw);
    printPath('update api', actions.updateApi);
    printPath('update raw paced', actions.updateRawPaced);
    printPath('update api paced', actions.updateApiPaced);
    printPath('update raw serial', actions.updateRawSerial);
    printPath('update api serial', actions.updateApiSerial);
    printPath('floor serial', floor.updateSerial);
    printPath('floor paced', floor.updatePaced);
    printPath('read paced', actions.read);
    printPath('list', actions.list);
    for (const [name, t] of Object.entries(actions.targets)) console.log(`  ${name} ${t.value} (target ${name.endsWith('Ms') ? '≤' : '≥'} ${t.target}): ${t.pass ? 'PASS' : 'MISS'}`);
    for (const [name, run] of [['raw', rawRun], ['api', apiRun]] as const) {
      for (const s of run.failureSamples) console.log(`  ${name} failure: ${s}`);
    }

    const timestamp = new Date().toISOString();
    const result = {
      benchmark: 'intake',
      timestamp,
      machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, totalMemGiB: Math.round(totalmem() / 2 ** 30 * 10) / 10, platform: platform(), arch: arch(), node: process.version,
        loadAverage1mBefore: loadBefore[0], loadAverage1mAfter: Math.round(loadavg()[0]! * 100) / 100 },
      config: { n, concurrency, warmup, database: stack.database, ...gitState() },
      raw,
      api,
      apiRawThroughputRatio: ratio,
      targets: {
        throughputRatio: { target: TARGET_RATIO, value: ratio, pass: ratioPass },
        apiP99Ms: { target: TARGET_API_P99_MS, value: api.latencyMs.p99, pass: p99Pass },
      },
      // How long the worker took to assign each phase's leads once the phase ended.
      workerSettleSeconds: { warmup: settledWarmup.seconds, raw: settledRaw.seconds, api: settledApi.seconds },
      settled: settledWarmup.settled && settledRaw.settled && settledApi.settled,
      failureSamples: { raw: rawRun.failureSamples, api: apiRun.failureSamples },
      actions,
      // An Update with the lead's shape of work (timer re-armed, one activity, one more workflow
      // task) but no business logic: what Temporal itself costs on this machine.
      platformFloor: floor,
      memory,
    };
    mkdirSync(RESULTS_DIR, { recursive: true });
    const file = join(RESULTS_DIR, `intake-${timestamp.replace(/[:.]/g, '-')}.json`);
    writeJson(file, result);
    writeJson(join(RESULTS_DIR, 'intake-latest.json'), result);
    console.log(`\n  written ${file}\n  written ${join(RESULTS_DIR, 'intake-latest.json')}`);

    // A failed start is not a slow start: figures with failures are not a benchmark.
    const actionFailures = [actions.updateRaw, actions.updateApi, actions.updateRawPaced, actions.updateApiPaced, actions.updateRawSerial, actions.updateApiSerial, actions.read, actions.list, floor.updateSerial, floor.updatePaced].reduce((a, f) => a + f.failures, 0);
    if (api.failures || raw.failures || actionFailures) {
      console.error(`[bench] FAILED: ${api.failures} API, ${raw.failures} raw and ${actionFailures} action requests did not succeed`);
      return 1;
    }
    return 0;
  } finally {
    http.close();
    await stack.stop();
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
