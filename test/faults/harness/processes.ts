// One OS process of the stack under test (worker, API), started as production starts it
// (`node --import tsx <entry>`), with everything it prints appended to its own log file, so a
// failing scenario can show what each process said. Killable with any signal, restartable.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, readFileSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { stopChild, waitForLine } from '../../../scripts/lib/processes';

const root = join(__dirname, '..', '..', '..');

export class NodeService {
  private proc?: ChildProcess;
  private readonly out: WriteStream;
  /** How often it was started (1 = the first start). */
  starts = 0;

  constructor(
    readonly name: string,
    private readonly entry: string,
    private readonly env: NodeJS.ProcessEnv,
    readonly logFile: string,
  ) {
    this.out = createWriteStream(logFile, { flags: 'a' });
  }

  get pid(): number | undefined {
    return this.proc?.pid;
  }
  get running(): boolean {
    return !!this.proc && this.proc.exitCode === null && this.proc.signalCode === null;
  }

  /** Starts the process; resolves once it printed `ready`, or once `ready()` resolves (rejects if it exits first). */
  async start(ready: RegExp | (() => Promise<void>), timeoutMs = 120_000): Promise<void> {
    if (this.running) throw new Error(`${this.name} is already running (pid ${this.pid})`);
    this.starts += 1;
    const c = spawn(process.execPath, ['--import', 'tsx', join(root, this.entry)], {
      cwd: root,
      env: this.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.proc = c;
    this.note(`start #${this.starts}, pid ${c.pid}`);
    c.stdout!.on('data', (d: Buffer) => this.out.write(d));
    c.stderr!.on('data', (d: Buffer) => this.out.write(d));
    // If the suite's own process ends without stopping it (a crash, process.exit), it goes too.
    const orphaned = () => c.kill('SIGKILL');
    process.once('exit', orphaned);
    c.once('exit', (code, signal) => {
      process.removeListener('exit', orphaned);
      this.note(`pid ${c.pid} exited (code ${code}, signal ${signal})`);
    });
    if (ready instanceof RegExp) {
      await waitForLine(c, ready, timeoutMs);
      return;
    }
    const exited = new Promise<never>((_, reject) =>
      c.once('exit', (code) => reject(new Error(`${this.name} exited (${code}) while starting`))),
    );
    exited.catch(() => undefined);
    await Promise.race([ready(), exited]);
  }

  /** SIGKILL: no drain, no goodbye; resolves once the OS reports the process gone. */
  async kill(): Promise<void> {
    const c = this.proc;
    if (!c || !this.running) return;
    this.note(`SIGKILL to pid ${c.pid}`);
    const gone = new Promise<void>((resolve) => c.once('exit', () => resolve()));
    c.kill('SIGKILL');
    await gone;
  }

  /** SIGTERM (graceful), SIGKILL after 15 s. */
  async stop(): Promise<void> {
    if (this.proc && this.running) await stopChild(this.proc);
  }

  note(line: string): void {
    this.out.write(`\n--- [faults ${new Date().toISOString()}] ${this.name}: ${line}\n`);
  }

  async close(): Promise<void> {
    await this.stop();
    await new Promise<void>((resolve) => this.out.end(() => resolve()));
  }

  /** The last `chars` characters of the log. */
  tail(chars = 6000): string {
    try {
      const text = readFileSync(this.logFile, 'utf8');
      return text.slice(-chars);
    } catch {
      return '';
    }
  }
}
