// The product's own processes (worker, API) as children of a launcher: `npm start` and the
// benchmark run them exactly as production does, one OS process each.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

const root = join(__dirname, '..', '..');

/**
 * Starts `entry` (a .ts file under the repo, or under `opts.root`: the benchmark runs an earlier
 * commit's API beside this one) with tsx's loader; its output is prefixed with `[name]`.
 */
export function child(
  name: string,
  entry: string,
  env: NodeJS.ProcessEnv,
  opts: { quiet?: boolean; nodeArgs?: string[]; root?: string } = {},
): ChildProcess {
  // Plain node with tsx's loader (no wrapper process), so signals reach the child itself.
  const c = spawn(process.execPath, [...(opts.nodeArgs ?? []), '--import', 'tsx', join(opts.root ?? root, entry)], {
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
