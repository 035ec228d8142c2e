// The production build, run as production runs it: `npm run build`, then the compiled migration
// job, worker and API as processes of their own (plain `node dist/…`, no tsx, a bare environment,
// from a folder laid out as the Dockerfile's runtime image: only what it copies, no sources)
// against the real Temporal dev server and PostgreSQL of the test setup. A lead goes in over
// HTTP and is read back once its workflow has assigned it; both processes stop on SIGTERM. Tracing is on (an OTLP
// receiver in this process): the lead's trace runs from the API's request to the worker's activity.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client, Connection, ScheduleNotFoundError } from '@temporalio/client';
import { createDb, type Db } from '../../platform/db';
import { scheduleSpecs } from '../../platform/schedules';
import { freePort } from '../../scripts/lib/ports';
import { ensureDatabase } from '../../scripts/lib/postgres';
import { waitForHttp, waitForLine } from '../../scripts/lib/processes';
import { seedManager } from '../helpers/db';
import { buildDist } from '../../scripts/lib/build';
import { runtimeImageDir } from './dockerfile';
import { otlpReceiver, type OtlpReceiver } from '../helpers/tracing';

const run = promisify(execFile);

jest.setTimeout(240_000);

/** A compiled entry point as its own process, with only the environment production gives it. */
function node(entry: string, env: Record<string, string>): ChildProcess & { output(): string } {
  const c = spawn(process.execPath, [join(app, entry)], {
    cwd: app,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', NODE_ENV: 'production', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (d: Buffer) => {
    output = (output + d.toString()).slice(-8000);
  };
  c.stdout!.on('data', keep);
  c.stderr!.on('data', keep);
  return Object.assign(c, { output: () => output });
}

/** SIGTERM, then the exit code and signal (SIGKILL after 30 s, which fails the test). */
function terminate(c: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((done) => {
    if (c.exitCode !== null || c.signalCode !== null) return done({ code: c.exitCode, signal: c.signalCode });
    const killer = setTimeout(() => c.kill('SIGKILL'), 30_000);
    c.once('exit', (code, signal) => {
      clearTimeout(killer);
      done({ code, signal });
    });
    c.kill('SIGTERM');
  });
}

const taskQueue = `dist-${randomUUID().slice(0, 8)}`;
let app: string;
let databaseUrl: string;
let db: Db | undefined;
let worker: ReturnType<typeof node> | undefined;
let api: ReturnType<typeof node> | undefined;
let receiver: OtlpReceiver | undefined;

beforeAll(async () => {
  // The build itself, as `npm run build` (and the Dockerfile) runs it. A failure shows tsc's errors.
  await buildDist();
  app = runtimeImageDir();
  // A database of its own, so the manager seeded below is the only one to assign to.
  const url = new URL(process.env.DATABASE_URL!);
  url.pathname = `/dist_${randomUUID().slice(0, 8)}`;
  databaseUrl = url.toString();
  await ensureDatabase(databaseUrl);
}, 600_000);

afterAll(async () => {
  for (const c of [api, worker]) if (c && c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await db?.$disconnect();
  await receiver?.close();
  if (app) rmSync(app, { recursive: true, force: true });
  // The worker made the engine's Schedules on the shared dev server: nothing of this run fires later.
  const connection = await Connection.connect({ address: process.env.TEMPORAL_ADDRESS! });
  const client = new Client({ connection });
  for (const { scheduleId } of scheduleSpecs(taskQueue)) {
    await client.schedule
      .getHandle(scheduleId)
      .delete()
      .catch((err: unknown) => {
        if (!(err instanceof ScheduleNotFoundError)) throw err;
      });
  }
  await connection.close();
});

test('the compiled migration job applies prisma/migrations to a fresh database', async () => {
  const { stdout } = await run(process.execPath, [join(app, 'dist/scripts/db-migrate.js')], {
    cwd: app,
    env: { PATH: process.env.PATH, DATABASE_URL: databaseUrl, MIGRATOR: 'builtin' },
    timeout: 120_000,
  });
  expect(stdout).toMatch(/\[migrate\] [1-9]\d* applied, 0 already in place/);
  db = createDb(databaseUrl, 2);
  expect(await db.lead.count()).toBe(0); // the schema is there
});

test('node dist/worker/main.js and node dist/api/main.js take a lead in, work it, and stop gracefully on SIGTERM', async () => {
  expect(db).toBeDefined(); // migrated by the test above
  const managerId = await seedManager(db!);
  receiver = await otlpReceiver();
  const common = {
    DATABASE_URL: databaseUrl,
    TEMPORAL_ADDRESS: process.env.TEMPORAL_ADDRESS!,
    TASK_QUEUE: taskQueue,
    PAYLOAD_KEYS: process.env.PAYLOAD_KEYS!,
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
  };
  const metricsPort = await freePort();
  // The worker loads the traced workflow bundle the build wrote into dist/.data/workflow-bundles.
  worker = node('dist/worker/main.js', { ...common, WORKER_METRICS_ADDRESS: `127.0.0.1:${metricsPort}` });
  await waitForLine(worker, /worker polling task queue .*; traces to http:\/\/127\.0\.0\.1:\d+\/v1\/traces as leads-worker/, 180_000).catch(
    (err: Error) => {
      throw new Error(`${err.message}\n${worker!.output()}`);
    },
  );

  const key = `dist-sales-key-${randomUUID()}`;
  const port = await freePort();
  api = node('dist/api/main.js', { ...common, API_HOST: '127.0.0.1', API_PORT: String(port), API_KEYS: `${key}:sales:anna` });
  const base = `http://127.0.0.1:${port}`;
  await waitForHttp(`${base}/ready`, { process: api, timeoutMs: 60_000 }).catch((err: Error) => {
    throw new Error(`${err.message}\n${api!.output()}`);
  });

  const phone = `+7916${Math.floor(1_000_000 + Math.random() * 8_999_999)}`;
  const taken = await fetch(`${base}/leads`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': key },
    body: JSON.stringify({ source: { channel: 'web_form' }, person: { name: 'Ivan Petrov' }, phone, topic: 'crm' }),
  });
  expect(taken.status).toBe(201);
  const { leadId } = (await taken.json()) as { leadId: string };

  // Read back through the workflow's query until the worker has assigned the lead (its first
  // transition takes it from `received` to first contact; the manager is picked next).
  let state: { stage?: string; managerId?: string } = {};
  const until = Date.now() + 60_000;
  while (Date.now() < until) {
    const res = await fetch(`${base}/leads/${leadId}`, { headers: { 'x-api-key': key } });
    expect(res.status).toBe(200);
    state = (await res.json()) as typeof state;
    if (state.managerId) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  expect(state).toMatchObject({ stage: 'awaiting_first_contact', managerId });
  // The activities write the read model too, just after the workflow moves (so it may trail the
  // query by a moment), and the worker serves its metrics.
  let row = await db!.lead.findUniqueOrThrow({ where: { id: leadId } });
  for (const end = Date.now() + 30_000; row.managerId !== managerId && Date.now() < end; await new Promise((r) => setTimeout(r, 250))) {
    row = await db!.lead.findUniqueOrThrow({ where: { id: leadId } });
  }
  expect(row).toMatchObject({ managerId });
  expect((await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).status).toBe(200);

  const [apiExit, workerExit] = await Promise.all([terminate(api), terminate(worker)]);
  expect({
    api: apiExit,
    worker: workerExit,
    output: apiExit.code || workerExit.code ? `${api.output()}\n${worker.output()}` : '',
  }).toEqual({ api: { code: 0, signal: null }, worker: { code: 0, signal: null }, output: '' });

  // Both flushed their spans on the way out: the intake request's trace reaches the assignment activity in the worker
  // (RunWorkflow itself ends with the lead's run, which is still open).
  const spans = receiver.spans();
  const start = spans.find((sp) => sp.name === 'StartWorkflow:leadWorkflow' && sp.attributes.temporalWorkflowId === `lead-${leadId}`);
  const trace = spans.filter((sp) => sp.traceId === start?.traceId).map((sp) => `${sp.service} ${sp.name}`);
  expect(trace).toEqual(
    expect.arrayContaining([
      'leads-api POST /leads',
      'leads-api StartWorkflow:leadWorkflow',
      'leads-worker StartActivity:assignManager',
      'leads-worker RunActivity:assignManager',
    ]),
  );
});
