// The backing services for one benchmark run, brought up with the same library functions as
// `npm start` and the test setup: PostgreSQL (DATABASE_URL, else embedded in a temp folder),
// migrations, a headless Temporal dev server, and one in-process worker.
import { randomUUID } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { createDb, type Db } from '../activities/db';
import { migrate } from '../scripts/lib/migrate';
import { freePort } from '../scripts/lib/ports';
import { ensureDatabase, startEmbeddedPostgres } from '../scripts/lib/postgres';
import { startTemporalDevServer } from '../scripts/lib/temporal';
import { createWorker } from '../worker';

export interface BenchStack {
  database: 'embedded' | 'external';
  databaseUrl: string;
  temporalAddress: string;
  taskQueue: string;
  /** The API's pool and the worker's pool are separate, as in production (separate processes). */
  apiDb: Db;
  workerDb: Db;
  /** One Temporal client for both paths, so they share the very same gRPC connection. */
  client: Client;
  /** Stops everything that was started, last started first; safe to call more than once. */
  stop(): Promise<void>;
}

export async function startStack(log: (m: string) => void): Promise<BenchStack> {
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
      const pg = await startEmbeddedPostgres({ dataDir: join(dir, 'pg'), port: await freePort(), database: 'leads_bench', persistent: false, log });
      onStop('stop PostgreSQL', pg.stop);
      url = pg.url;
    }
    await migrate(url);
    log(`PostgreSQL ready (${database})`);

    const temporal = await startTemporalDevServer({ port: await freePort() });
    onStop('stop Temporal dev server', temporal.stop);
    log(`Temporal dev server ready on ${temporal.address}`);

    const workerDb = createDb(url);
    onStop('disconnect worker db', () => workerDb.$disconnect());
    const apiDb = createDb(url);
    onStop('disconnect api db', () => apiDb.$disconnect());

    const connection = await Connection.connect({ address: temporal.address });
    onStop('close client connection', () => connection.close());
    const client = new Client({ connection });

    const native = await NativeConnection.connect({ address: temporal.address });
    onStop('close worker connection', () => native.close());
    // A queue of its own, so an external cluster's other workers never pick up bench tasks.
    const taskQueue = `bench-${randomUUID()}`;
    const worker = await createWorker({ connection: native, taskQueue, db: workerDb });
    // A worker that dies mid-run would only show up as a settle timeout; say why at once.
    const running = worker.run().catch((err: unknown) => console.error('[bench] worker stopped with an error:', err));
    onStop('shut down worker', async () => {
      worker.shutdown();
      await running;
    });
    log(`worker polling ${taskQueue}`);

    return { database, databaseUrl: url, temporalAddress: temporal.address, taskQueue, apiDb, workerDb, client, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

const STEP_TIMEOUT_MS = 30_000;

/** One shutdown step; a failing or stuck one is reported and skipped so the rest still stop. */
async function boundedStep(name: string, run: () => Promise<void>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const stuck = new Promise<'stuck'>((resolve) => { timer = setTimeout(() => resolve('stuck'), STEP_TIMEOUT_MS); });
  try {
    const outcome = await Promise.race([run().then(() => 'done' as const), stuck]);
    if (outcome === 'stuck') console.error(`[bench] shutdown: "${name}" did not finish in ${STEP_TIMEOUT_MS / 1000} s; going on`);
  } catch (err) {
    console.error(`[bench] shutdown: "${name}" failed:`, err);
  } finally {
    clearTimeout(timer);
  }
}
