// The product's own processes (worker, API) as children of a launcher: `npm start` and the
// benchmark run them exactly as production does, one OS process each.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

const root = join(__dirname, '..', '..');

/**
 * The node arguments that run `entry` (a .ts file under the repo, or under `root`): with tsx's
 * loader from the sources, or — `compiled` — its output under dist/ as the Dockerfile's image runs
 * it (`npm run build` first). tsx turns Node's source maps on, which the compiled processes leave
 * off: each function the workflow sandbox compiles and each stack it formats pays for them.
 */
export function entryArgs(entry: string, opts: { root?: string; compiled?: boolean } = {}): string[] {
  const base = opts.root ?? root;
  if (!opts.compiled) return ['--import', 'tsx', join(base, entry)];
  if (!entry.endsWith('.ts')) throw new Error(`a compiled entry is built from a .ts source, not ${entry}`);
  return [join(base, 'dist', `${entry.slice(0, -'.ts'.length)}.js`)];
}

/**
 * Starts `entry` (see entryArgs: from the sources with tsx's loader, or compiled); its output is
 * prefixed with `[name]`. `root`: the benchmark runs an earlier commit's API beside this one.
 */
export function child(
  name: string,
  entry: string,
  env: NodeJS.ProcessEnv,
  opts: { quiet?: boolean; nodeArgs?: string[]; root?: string; compiled?: boolean } = {},
): ChildProcess {
  // Plain node, with tsx's loader or none (no wrapper process), so signals reach the child itself.
  const c = spawn(process.execPath, [...(opts.nodeArgs ?? []), ...entryArgs(entry, opts)], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const prefix = (chunk: Buffer) =>
    chunk
      .toString()
      .split('\n')
      .filter(Boolean)
      .map((l) => `[${name}] ${l}`)
      .join('\n') + '\n';
  // Quiet children's output is read and dropped: an unread pipe would fill and block the child.
  if (opts.quiet) c.stdout?.resume();
  else c.stdout?.on('data', (d: Buffer) => process.stdout.write(prefix(d)));
  c.stderr?.on('data', (d: Buffer) => process.stderr.write(prefix(d)));
  return c;
}

export interface Supervised {
  /** The child running now (a new one after each restart). */
  current(): ChildProcess;
  /** Stops it and starts no other. */
  stop(): Promise<void>;
}

/**
 * Keeps a child running, as a process manager would: a worker or API that dies (a crash, an OOM
 * kill, a `kill -9` from a curious ops engineer) is started again, so one dead process does not take
 * the whole local stack down. It is started again 1 s after it exits, the delay doubling up to 30 s
 * while it keeps dying; one that ran `quickMs` or longer is healthy again. `maxQuickExits` exits in
 * a row, each within `quickMs` of its start, is a crash loop (a bad configuration, a port in use):
 * `onGiveUp` is called with the last exit code instead of starting it once more.
 */
export function supervise(
  name: string,
  start: () => ChildProcess,
  opts: {
    log: (m: string) => void;
    onGiveUp: (code: number) => void;
    /** True once the launcher is stopping (a Ctrl-C reaches the children too): an exit then is no crash. */
    stopping?: () => boolean;
    firstDelayMs?: number;
    quickMs?: number;
    maxQuickExits?: number;
  },
): Supervised {
  const firstDelayMs = opts.firstDelayMs ?? 1_000;
  const quickMs = opts.quickMs ?? 30_000;
  const maxQuickExits = opts.maxQuickExits ?? 5;
  let c = start();
  let startedAt = Date.now();
  let quickExits = 0;
  let delayMs = firstDelayMs;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const watch = () =>
    c.once('exit', (code, signal) => {
      if (stopped || opts.stopping?.()) return;
      if (Date.now() - startedAt < quickMs) quickExits++;
      else [quickExits, delayMs] = [0, firstDelayMs];
      if (quickExits >= maxQuickExits) {
        opts.log(`${name} exited ${quickExits} times in a row within ${quickMs / 1000} s of starting (${signal ?? code}); giving up`);
        return opts.onGiveUp(code ?? 1);
      }
      opts.log(`${name} exited (${signal ?? code}); starting it again in ${delayMs / 1000} s`);
      timer = setTimeout(() => {
        if (stopped || opts.stopping?.()) return;
        c = start();
        startedAt = Date.now();
        watch();
      }, delayMs);
      delayMs = Math.min(delayMs * 2, 30_000);
    });
  watch();
  return {
    current: () => c,
    stop: async () => {
      stopped = true;
      clearTimeout(timer);
      await stopChild(c);
    },
  };
}

/** SIGTERM (the child drains and exits), SIGKILL if it has not after 15 s. */
export function stopChild(c: ChildProcess): Promise<void> {
  return new Promise((done) => {
    if (c.exitCode !== null || c.signalCode !== null) return done();
    c.once('exit', () => done());
    c.kill('SIGTERM');
    setTimeout(() => c.kill('SIGKILL'), 15_000).unref();
  });
}

/** Resolves once `url` answers 2xx; rejects after the timeout or when `c` exits first. */
export async function waitForHttp(url: string, opts: { timeoutMs?: number; process?: ChildProcess } = {}): Promise<void> {
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (opts.process && opts.process.exitCode !== null) throw new Error(`the process behind ${url} exited (${opts.process.exitCode})`);
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not up yet
    }
    if (Date.now() > until) throw new Error(`${url} did not answer within ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

/** Resolves at the first line of the child's stdout that matches; rejects if it exits first. */
export function waitForLine(c: ChildProcess, pattern: RegExp, timeoutMs = 60_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffered = '';
    const timer = setTimeout(() => finish(new Error(`no line matching ${pattern} within ${timeoutMs / 1000} s`)), timeoutMs);
    const onData = (d: Buffer) => {
      buffered += d.toString();
      const line = buffered.split('\n').find((l) => pattern.test(l));
      if (line) finish(undefined, line);
      else buffered = buffered.slice(-4000);
    };
    const onExit = (code: number | null) => finish(new Error(`exited (${code}) before printing ${pattern}`));
    const finish = (err?: Error, line?: string) => {
      clearTimeout(timer);
      c.stdout?.off('data', onData);
      c.off('exit', onExit);
      if (err) reject(err);
      else resolve(line!);
    };
    c.stdout?.on('data', onData);
    c.once('exit', onExit);
  });
}
