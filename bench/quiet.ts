// Waits for the machine to go quiet before a measured phase: the workflows a phase started keep
// the worker, Temporal and PostgreSQL busy for seconds after its last request, and that work
// would otherwise be billed to whatever is measured next.
import { cpus } from 'node:os';
import { figuresOf, type LoadRun, type PathFigures } from './load';

function busyFraction(from: ReturnType<typeof cpus>, to: ReturnType<typeof cpus>): number {
  let busy = 0;
  let total = 0;
  to.forEach((cpu, i) => {
    const a = from[i]!.times;
    const b = cpu.times;
    const idle = b.idle - a.idle;
    const all = b.user - a.user + (b.nice - a.nice) + (b.sys - a.sys) + (b.irq - a.irq) + idle;
    busy += all - idle;
    total += all;
  });
  return total > 0 ? busy / total : 0;
}

/**
 * Resolves once a one-second sample shows the CPUs at most `maxBusy` busy (or after `timeoutMs`),
 * with how long it waited and the last sample, so a result can say what it was measured on.
 */
export async function waitForQuiet(opts: { maxBusy?: number; timeoutMs?: number } = {}): Promise<{ waitedSeconds: number; busy: number }> {
  const maxBusy = opts.maxBusy ?? 0.25;
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const t0 = Date.now();
  for (;;) {
    const before = cpus();
    await new Promise((r) => setTimeout(r, 1000));
    const busy = Math.round(busyFraction(before, cpus()) * 100) / 100;
    if (busy <= maxBusy || Date.now() - t0 >= timeoutMs) return { waitedSeconds: Math.round((Date.now() - t0) / 100) / 10, busy };
  }
}

export type QuietStart = Awaited<ReturnType<typeof waitForQuiet>>;

/** One measured phase: waits for quiet, says how busy the CPUs still were, then runs it. */
export async function measuredPhase(
  name: string,
  log: (m: string) => void,
  run: () => Promise<LoadRun>,
): Promise<{ figures: PathFigures; start: QuietStart }> {
  const start = await waitForQuiet();
  log(`  ${name}: began after ${start.waitedSeconds} s, CPUs ${Math.round(start.busy * 100)} % busy`);
  return { figures: figuresOf(await run()), start };
}
