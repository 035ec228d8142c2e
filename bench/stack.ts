// The backing services for one benchmark run, brought up with the same library functions as
// `npm start`: PostgreSQL (DATABASE_URL, else embedded in a temp folder), migrations, a headless
// Temporal dev server, and the worker and the API each in a process of its own, as in production
// — so the load generator, the API and the worker do not share one event loop.
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { createDb, type Db } from '../platform/db';
import { migrate } from '../scripts/lib/migrate';
import { freePort } from '../scripts/lib/ports';
import { ensureDatabase, startEmbeddedPostgres } from '../scripts/lib/postgres';
import { buildDist } from '../scripts/lib/build';
import { child, stopChild, waitForHttp, waitForLine } from '../scripts/lib/processes';
import { startTemporalDevServer } from '../scripts/lib/temporal';
import { codecFor, dataConverterOf } from '../platform/payload-codec';
import { newPayloadKeyEntry } from '../platform/payload-keys';
import { WORKER_ENV, WORKER_NODE_ARGS } from '../worker/sandbox';

/** BENCH_CODEC: `on` (the default, as in production) or `off` — every process and the bare client in plaintext. */
export type BenchCodec = 'on' | 'off';

export function benchCodecOf(raw: string | undefined): BenchCodec {
  if (raw === undefined || raw === '' || raw === 'on') return 'on';
  if (raw === 'off') return 'off';
  throw new Error(`BENCH_CODEC must be on or off, got ${JSON.stringify(raw)}`);
}

/**
 * BENCH_RUNTIME: `dist` (the default) runs the worker and the API compiled, as the Dockerfile's
 * image does, after `npm run build`; `tsx` runs them from the sources, as `npm start` does (tsx
 * turns Node's source maps on: the worker's workflow thread took ~13 % more CPU per evicted Update).
 */
export type BenchRuntime = 'dist' | 'tsx';

export function benchRuntimeOf(raw: string | undefined): BenchRuntime {
  if (raw === undefined || raw === '' || raw === 'dist') return 'dist';
  if (raw === 'tsx') return 'tsx';
  throw new Error(`BENCH_RUNTIME must be dist or tsx, got ${JSON.stringify(raw)}`);
}

export interface BenchStack {
  database: 'embedded' | 'external';
  /** How the worker and the API run: compiled (dist/) or from the sources (tsx). */
  runtime: BenchRuntime;
  /** Whether payloads are encrypted — by the worker, the API and the bare client alike. */
  codec: BenchCodec;
  databaseUrl: string;
  temporalAddress: string;
  taskQueue: string;
  /** The bench's own pool: seeding, and watching the read model the worker keeps. */
  db: Db;
  /** The bare Temporal client of the raw paths: the SDK's default connection (grpc-js). */
  client: Client;
  /**
   * The same bare client over the Rust core's connection (NativeConnection, uncompressed): the
   * transport the API starts new leads on (api/core-starts.ts), for a same-transport figure beside the target's.
   */
  coreClient: Client;
  /** The API process, e.g. http://127.0.0.1:PORT, and a sales caller's key for it. */
  apiUrl: string;
  apiKey: string;
  /** The API of an earlier commit (`StackOptions.baselineRoot`), on the same database and Temporal, with the same key. */
  baselineApiUrl?: string;
  /** The same API with admission control off (`StackOptions.openApi`): what intake itself costs, whatever the worker's backlog. */
  openApiUrl?: string;
  /** Resident memory of the worker and the API processes, in MiB (from ps; undefined if unknown). */
  rssMiB(): { worker?: number; api?: number };
  /** The worker's and the API's process ids (bench/cpu.ts tells their CPU apart). */
  pids(): { worker?: number; api?: number; openApi?: number };
  /** Stops everything that was started, last started first; safe to call more than once. */
  stop(): Promise<void>;
}

export interface StackOptions {
  /** More environment for the worker and the API (the notification receivers' addresses). */
  env?: Record<string, string>;
  /** A source tree of an earlier commit (bench/baseline.ts) whose API runs beside this one, for a before/after in one run. */
  baselineRoot?: string;
  /** `off`: the worker and the API from bench/plain/ and a bare client without the codec (default `on`). */
  codec?: BenchCodec;
  /** `dist` (default) or `tsx`; the plaintext processes of `codec: 'off'` (bench/plain/, not in the build) always run from the sources. */
  runtime?: BenchRuntime;
  /** Also start this tree's API with INTAKE_MAX_BACKLOG=0 beside the deployed one (the intake phase's "own cost" path). */
  openApi?: boolean;
}

export async function startStack(log: (m: string) => void, opts: StackOptions = {}): Promise<BenchStack> {
  const steps: Array<{ name: string; run: () => Promise<void> }> = [];
  const onStop = (name: string, run: () => Promise<void>) => steps.push({ name, run });
  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      for (const step of steps.reverse()) await boundedStep(step.name, step.run);
    })());

  try {
    const dir = mkdtempSync(join(tmpdir(), 'lead-engine-bench-'));
    chmodSync(dir, 0o755); // as root the embedded PostgreSQL runs as its own unprivileged user
    onStop('remove temp folder', async () => rmSync(dir, { recursive: true, force: true }));

    let url = process.env.DATABASE_URL;
    const database = url ? 'external' : 'embedded';
    if (url) {
      await ensureDatabase(url);
    } else {
      const pg = await startEmbeddedPostgres({
        dataDir: join(dir, 'pg'),
        port: await freePort(),
        database: 'leads_bench',
        persistent: false,
        log,
      });
      onStop('stop PostgreSQL', pg.stop);
      url = pg.url;
    }
    await migrate(url);
    log(`PostgreSQL ready (${database})`);

    const temporal = await startTemporalDevServer({ port: await freePort() });
    onStop('stop Temporal dev server', temporal.stop);
    log(`Temporal dev server ready on ${temporal.address}`);

    const db = createDb(url);
    onStop('disconnect bench db', () => db.$disconnect());
    const connection = await Connection.connect({ address: temporal.address });
    onStop('close client connection', () => connection.close());
    // The bare client encrypts like the API and the worker (the same key, lead keys in the same
    // database), so the comparison shows what the API adds, and both pay for the codec.
    // (Set in this process's environment, which the floor's worker inherits too.) With the codec
    // off, none of them encrypts: the difference between two runs is what encryption costs.
    const codec = opts.codec ?? 'on';
    const payloadKeys = (process.env.PAYLOAD_KEYS ??= newPayloadKeyEntry('bench'));
    const dataConverter = codec === 'on' ? dataConverterOf(codecFor(db, { ...process.env, PAYLOAD_KEYS: payloadKeys })) : undefined;
    const client = new Client({ connection, dataConverter });
    const core = await NativeConnection.connect({ address: temporal.address, grpcCompression: { codec: 'none' } });
    onStop('close core client connection', () => core.close());
    const coreClient = new Client({ connection: core, dataConverter });
    const runtime: BenchRuntime = codec === 'on' ? (opts.runtime ?? 'dist') : 'tsx';
    if (runtime === 'dist') {
      const t0 = Date.now();
      await buildDist();
      log(`npm run build done in ${((Date.now() - t0) / 1000).toFixed(1)} s: the worker and the API run compiled, from dist/`);
    }
    const compiled = runtime === 'dist';
    // The bench's own processes — this load generator (the bare client) and the floor's workers,
    // which inherit this variable — run like the product's: source maps off when it runs compiled.
    process.env.BENCH_RUNTIME = runtime;
    process.setSourceMapsEnabled(!compiled);

    // A queue of its own, so an external cluster's other workers never pick up bench tasks.
    const taskQueue = `bench-${randomUUID()}`;
    // A sales caller, as a staff member entering a lead would be. The limiter stays in the path
    // (its cost is part of every request) but high enough never to answer 429 to the benchmark.
    const apiKey = `bench-${randomUUID()}`;
    const apiPort = await freePort();
    const env = {
      ...process.env,
      DATABASE_URL: url,
      TEMPORAL_ADDRESS: temporal.address,
      TASK_QUEUE: taskQueue,
      WORKER_METRICS_ADDRESS: '',
      API_HOST: '127.0.0.1',
      API_PORT: String(apiPort),
      API_KEYS: `${apiKey}:sales:bench`,
      RATE_LIMIT_PER_MINUTE: '100000000',
      LOG_LEVEL: 'warn',
      PAYLOAD_KEYS: payloadKeys,
      ...opts.env,
    };
    const worker = child(
      'worker',
      codec === 'on' ? 'worker/main.ts' : 'bench/plain/worker.ts',
      { ...env, ...WORKER_ENV },
      {
        quiet: true,
        compiled,
        // BENCH_WORKER_NODE_ARGS, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof", profiles the worker (one file per thread).
        nodeArgs: [...WORKER_NODE_ARGS, ...(process.env.BENCH_WORKER_NODE_ARGS ?? '').split(' ').filter(Boolean)],
      },
    );
    onStop('stop worker', () => stopChild(worker));
    await waitForLine(worker, /worker polling/, 180_000); // it bundles the workflows first: slow on a busy machine
    log(`worker process ${worker.pid} polling ${taskQueue}`);
    // BENCH_API_NODE_ARGS, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof", profiles the API under load.
    const nodeArgs = (process.env.BENCH_API_NODE_ARGS ?? '').split(' ').filter(Boolean);
    const apiScript = codec === 'on' ? 'api/main.ts' : 'bench/plain/api.ts';
    /** An API process on `port`, stopped with the stack, ready once its /health answers. */
    const startApi = async (
      what: string,
      name: string,
      port: number,
      apiEnv: NodeJS.ProcessEnv,
      childOpts: { root?: string; script?: string; nodeArgs?: string[] } = {},
    ) => {
      const proc = child(
        name,
        childOpts.script ?? apiScript,
        { ...apiEnv, API_PORT: String(port) },
        {
          quiet: true,
          nodeArgs: childOpts.nodeArgs ?? nodeArgs,
          root: childOpts.root,
          // An earlier commit's tree (the baseline) is run from its sources: it has no build of its own.
          compiled: compiled && !childOpts.root,
        },
      );
      onStop(`stop ${what}`, () => stopChild(proc));
      const url = `http://127.0.0.1:${port}`;
      await waitForHttp(`${url}/health`, { process: proc });
      log(`${what} process ${proc.pid} on ${url}`);
      return { proc, url };
    };
    const { proc: api, url: apiUrl } = await startApi('API', 'api', apiPort, env);
    // The other two run without admission control: the intake phase's "own cost" path (bench/run.ts)
    // and the baseline read against it.
    const unadmitted = { ...env, INTAKE_MAX_BACKLOG: '0' };
    const baseline = opts.baselineRoot
      ? await startApi(`baseline API (${opts.baselineRoot})`, 'api-baseline', await freePort(), unadmitted, {
          root: opts.baselineRoot,
          script: 'api/main.ts',
          nodeArgs: [],
        })
      : undefined;
    const openApi = opts.openApi ? await startApi('API without admission control', 'api-open', await freePort(), unadmitted) : undefined;

    const rssMiB = () => ({ worker: rssOf(worker.pid), api: rssOf(api.pid) });
    return {
      database,
      runtime,
      codec,
      databaseUrl: url,
      temporalAddress: temporal.address,
      taskQueue,
      db,
      client,
      coreClient,
      apiUrl,
      apiKey,
      baselineApiUrl: baseline?.url,
      openApiUrl: openApi?.url,
      rssMiB,
      pids: () => ({ worker: worker.pid, api: api.pid, openApi: openApi?.proc.pid }),
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** A process's resident set in MiB, by ps (Linux and macOS alike). */
function rssOf(pid: number | undefined): number | undefined {
  if (!pid) return undefined;
  try {
    const kib = Number(execFileSync('ps', ['-o', 'rss=', '-p', String(pid)], { encoding: 'utf8' }).trim());
    return Number.isFinite(kib) && kib > 0 ? Math.round(kib / 1024) : undefined;
  } catch {
    return undefined;
  }
}

const STEP_TIMEOUT_MS = 30_000;

/** One shutdown step; a failing or stuck one is reported and skipped so the rest still stop. */
async function boundedStep(name: string, run: () => Promise<void>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const stuck = new Promise<'stuck'>((resolve) => {
    timer = setTimeout(() => resolve('stuck'), STEP_TIMEOUT_MS);
  });
  try {
    const outcome = await Promise.race([run().then(() => 'done' as const), stuck]);
    if (outcome === 'stuck') console.error(`[bench] shutdown: "${name}" did not finish in ${STEP_TIMEOUT_MS / 1000} s; going on`);
  } catch (err) {
    console.error(`[bench] shutdown: "${name}" failed:`, err);
  } finally {
    clearTimeout(timer);
  }
}
