// The whole product as deployed, one OS process per part, each of which a scenario can kill:
//   PostgreSQL (embedded; stopped and started again on the same data folder),
//   the Temporal dev server on a SQLite file (SIGKILLed and started again on the same file and port),
//   the worker and the API (`node --import tsx worker/main.ts`, `api/main.ts`).
// Every process's output goes to a log file in a temp folder; `report()` prints their tails.
import { appendFileSync, chmodSync, createWriteStream, mkdirSync, mkdtempSync, readFileSync, rmSync, type WriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { Pool } from 'pg';
import { migrate } from '../../../scripts/lib/migrate';
import { freePort } from '../../../scripts/lib/ports';
import { startEmbeddedPostgres, type RunningPostgres } from '../../../scripts/lib/postgres';
import { startTemporalDevServer, type RunningTemporal } from '../../../scripts/lib/temporal';
import { createDb, type Db } from '../../../platform/db';
import { codecFor, dataConverterOf } from '../../../platform/payload-codec';
import { useTestPayloadKeys } from '../../setup/payload-keys';
import { Requests } from './http';
import { NodeService } from './processes';

/** The API's bound on any request (REQUEST_DEADLINE_MS, default 10 s): an outage answers 503 within it. */
export const DEADLINE_MS = Number(process.env.REQUEST_DEADLINE_MS ?? 10_000);
export const TASK_QUEUE = 'faults';
export const PARTNERS = ['ptn-faults-a', 'ptn-faults-b'] as const;
export const MANAGERS = ['mgr-faults-1', 'mgr-faults-2', 'mgr-faults-3'] as const;

export type Caller = 'sales' | 'ops' | 'team_lead' | (typeof PARTNERS)[number];

export class FaultStack {
  readonly dir = mkdtempSync(join(tmpdir(), 'lead-engine-faults-'));
  readonly logs = join(this.dir, 'logs');
  keys = {} as Record<Caller, string>;
  pgPort = 0;
  temporalPort = 0;
  apiUrl = '';
  databaseUrl = '';
  /** The suite's own connections: checks read PostgreSQL and Temporal directly. */
  db!: Pool;
  temporal!: Client;
  codecDb?: Db;
  http!: Requests;
  worker!: NodeService;
  api!: NodeService;
  private pg?: RunningPostgres;
  private tmp?: RunningTemporal;
  private temporalLog?: WriteStream;
  private connection?: Connection;
  private readonly startedAt = Date.now();

  async start(log: (m: string) => void): Promise<void> {
    // As root the embedded PostgreSQL runs as its own unprivileged user, which must enter this folder.
    chmodSync(this.dir, 0o755);
    mkdirSync(this.logs);
    this.temporalLog = createWriteStream(join(this.logs, 'temporal.log'), { flags: 'a' });
    [this.pgPort, this.temporalPort] = [await freePort(), await freePort()];
    await this.startPostgres();
    await migrate(this.databaseUrl);
    this.db = new Pool({ connectionString: this.databaseUrl, max: 4 });
    // A dropped connection (PostgreSQL stopped) must not crash the suite; the next query reconnects.
    this.db.on('error', () => undefined);
    await this.seed();
    await this.startTemporal();
    this.connection = await Connection.connect({ address: `127.0.0.1:${this.temporalPort}` });
    // The suite's own client reads what the worker encrypted: the same key, lead keys from the same database.
    this.codecDb = createDb(this.databaseUrl, 2);
    this.temporal = new Client({
      connection: this.connection,
      dataConverter: dataConverterOf(codecFor(this.codecDb, { ...process.env, PAYLOAD_KEYS: useTestPayloadKeys() })),
    });

    const apiPort = await freePort();
    this.apiUrl = `http://127.0.0.1:${apiPort}`;
    const run = Math.random().toString(36).slice(2, 10);
    const roles: Record<Caller, string> = {
      sales: 'sales',
      ops: 'ops',
      team_lead: 'team_lead',
      [PARTNERS[0]]: 'partner',
      [PARTNERS[1]]: 'partner',
    };
    this.keys = Object.fromEntries(Object.keys(roles).map((c) => [c, `faults-${c}-${run}-key`])) as Record<Caller, string>;
    const apiKeys = Object.entries(roles).map(
      ([caller, role]) => `${this.keys[caller as Caller]}:${role}:${role === 'partner' ? caller : `faults-${caller}`}`,
    );
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      PAYLOAD_KEYS: useTestPayloadKeys(),
      NODE_ENV: 'production',
      DATABASE_URL: this.databaseUrl,
      TEMPORAL_ADDRESS: `127.0.0.1:${this.temporalPort}`,
      TASK_QUEUE,
      API_HOST: '127.0.0.1',
      API_PORT: String(apiPort),
      API_KEYS: apiKeys.join(','),
      RATE_LIMIT_PER_MINUTE: '100000000',
      REQUEST_DEADLINE_MS: String(DEADLINE_MS),
      WORKER_METRICS_ADDRESS: '',
      LOG_LEVEL: 'warn',
    };
    this.worker = new NodeService('worker', 'worker/main.ts', env, join(this.logs, 'worker.log'));
    this.api = new NodeService('api', 'api/main.ts', env, join(this.logs, 'api.log'));
    await this.startWorker();
    log(`worker pid ${this.worker.pid} polling "${TASK_QUEUE}"`);
    await this.startApi();
    log(
      `API pid ${this.api.pid} on ${this.apiUrl}; stack up in ${((Date.now() - this.startedAt) / 1000).toFixed(1)} s; logs in ${this.logs}`,
    );
    this.http = new Requests(this.apiUrl, this.keys, DEADLINE_MS);
  }

  startWorker(): Promise<void> {
    return this.worker.start(/worker polling/);
  }

  /** LOG_LEVEL=warn keeps Fastify's "listening" line quiet: the API is up when /health answers. */
  startApi(): Promise<void> {
    return this.api.start(() => waitHealthy(this.apiUrl));
  }

  async startPostgres(): Promise<void> {
    this.pg = await startEmbeddedPostgres({
      dataDir: join(this.dir, 'pg'),
      port: this.pgPort,
      database: 'leads_faults',
      persistent: true,
      log: (m) => appendFileSync(join(this.logs, 'postgres.log'), `${new Date().toISOString()} ${m}\n`),
    });
    this.databaseUrl = this.pg.url;
  }

  /** Stops PostgreSQL (a fast shutdown: every connection is dropped); the data folder stays. */
  async stopPostgres(): Promise<void> {
    await this.pg?.stop();
    this.pg = undefined;
  }

  async startTemporal(): Promise<void> {
    this.tmp = await startTemporalDevServer({ port: this.temporalPort, dbFile: join(this.dir, 'temporal.db') });
    const out = this.temporalLog!;
    out.write(`\n--- [faults ${new Date().toISOString()}] temporal: started, pid ${this.tmp.process.pid}\n`);
    this.tmp.process.stderr?.on('data', (d: Buffer) => out.write(d));
    // If the suite's own process ends without stopping it (a crash, process.exit), it goes too.
    const p = this.tmp.process;
    const orphaned = () => p.kill('SIGKILL');
    process.once('exit', orphaned);
    p.once('exit', () => process.removeListener('exit', orphaned));
  }

  /** SIGKILL to the Temporal server: no shutdown, the SQLite file is left as the crash left it. */
  async killTemporal(): Promise<void> {
    const p = this.tmp?.process;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    this.temporalLog!.write(`\n--- [faults ${new Date().toISOString()}] temporal: SIGKILL to pid ${p.pid}\n`);
    const gone = new Promise<void>((resolve) => p.once('exit', () => resolve()));
    p.kill('SIGKILL');
    await gone;
    this.tmp = undefined;
  }

  get temporalRunning(): boolean {
    return !!this.tmp;
  }
  get postgresRunning(): boolean {
    return !!this.pg;
  }

  /** Managers to assign leads to, partners to refer them and earn commission (with an agreement). */
  private async seed(): Promise<void> {
    for (const id of MANAGERS) {
      await this.db.query('INSERT INTO managers (id, name, active, expertise, territory) VALUES ($1, $1, true, $2, $2)', [id, []]);
    }
    for (const id of PARTNERS) {
      await this.db.query(
        `INSERT INTO partners (id, name, expertise, regions, reserve_for, grade, capacity, status) VALUES ($1, $1, $2, '{}', '{}', 3, 100, 'active')`,
        [id, ['crm']],
      );
    }
  }

  /** The tail of every process's log, for a failing scenario (repeated lines folded into one). */
  report(lines = 40): string {
    const files = ['api.log', 'worker.log', 'temporal.log', 'postgres.log'];
    return files
      .map((f) => {
        let text = '';
        try {
          text = readFileSync(join(this.logs, f), 'utf8');
        } catch {
          /* never written */
        }
        return `===== ${join(this.logs, f)} (${text.length} chars; last ${lines} distinct lines) =====\n${foldRepeats(text).slice(-lines).join('\n')}`;
      })
      .join('\n');
  }

  /** Stops everything that runs, in reverse order; each step bounded, so one stuck step stops nothing else. */
  async stop(opts: { keepLogs: boolean }): Promise<void> {
    const steps: Array<[string, () => Promise<unknown>]> = [
      ['API', () => this.api?.close() ?? Promise.resolve()],
      ['worker', () => this.worker?.close() ?? Promise.resolve()],
      ['client connection', () => this.connection?.close() ?? Promise.resolve()],
      ['Temporal', () => this.tmp?.stop() ?? Promise.resolve()],
      ['suite pool', () => this.db?.end() ?? Promise.resolve()],
      ['codec pool', () => this.codecDb?.$disconnect() ?? Promise.resolve()],
      ['PostgreSQL', () => this.stopPostgres()],
    ];
    for (const [name, run] of steps) await bounded(name, run);
    this.temporalLog?.end();
    if (!opts.keepLogs) rmSync(this.dir, { recursive: true, force: true });
    else rmSync(join(this.dir, 'pg'), { recursive: true, force: true });
  }
}

/** Lines with escape codes removed, runs of lines that differ only in numbers and times folded into one (×n). */
function foldRepeats(text: string): string[] {
  const out: Array<{ line: string; shape: string; n: number }> = [];
  for (const raw of text.replace(/\u001b\[[0-9;]*m/g, '').split('\n')) {
    if (!raw.trim()) continue;
    const line = raw.slice(0, 400);
    const shape = line.replace(/[0-9a-f]{8}-[0-9a-f-]{27}|\d+/g, '#');
    const last = out[out.length - 1];
    if (last && last.shape === shape) last.n += 1;
    else out.push({ line, shape, n: 1 });
  }
  return out.map((l) => (l.n > 1 ? `(×${l.n}) ${l.line}` : l.line));
}

async function waitHealthy(url: string, timeoutMs = 60_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      if ((await fetch(`${url}/health`)).ok) return;
    } catch {
      /* not up yet */
    }
    if (Date.now() > until) throw new Error(`${url}/health did not answer in ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function bounded(name: string, run: () => Promise<unknown>, ms = 30_000): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const stuck = new Promise<'stuck'>((resolve) => {
    timer = setTimeout(() => resolve('stuck'), ms);
  });
  try {
    if ((await Promise.race([run().then(() => 'done' as const), stuck])) === 'stuck')
      console.error(`[faults] teardown: ${name} stuck after ${ms / 1000} s`);
  } catch (err) {
    console.error(`[faults] teardown: ${name} failed:`, err);
  } finally {
    clearTimeout(timer);
  }
}
