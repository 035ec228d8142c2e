// A closed-loop load generator and its latency statistics.
// Closed loop: C callers each issue their next request as soon as the previous one answers, so
// throughput and latency are measured under the same fixed concurrency for every path.
import { performance } from 'node:perf_hooks';

export interface LoadRun {
  requests: number;
  failures: number;
  /** A few failure messages, enough to see what went wrong without flooding the output. */
  failureSamples: string[];
  /** Latencies of the successful requests, in milliseconds. */
  latenciesMs: number[];
  wallMs: number;
}

const MAX_FAILURE_SAMPLES = 5;

/** Runs op(0..n-1) with at most `concurrency` in flight; a throwing op counts as a failure. */
export async function runClosedLoop(n: number, concurrency: number, op: (i: number) => Promise<void>): Promise<LoadRun> {
  const latenciesMs: number[] = [];
  const failureSamples: string[] = [];
  let failures = 0;
  let next = 0;
  const caller = async () => {
    for (let i = next++; i < n; i = next++) {
      const t0 = performance.now();
      try {
        await op(i);
        latenciesMs.push(performance.now() - t0);
      } catch (err) {
        failures += 1;
        if (failureSamples.length < MAX_FAILURE_SAMPLES) failureSamples.push(err instanceof Error ? err.message : String(err));
      }
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: Math.min(concurrency, n) }, caller));
  return { requests: n, failures, failureSamples, latenciesMs, wallMs: performance.now() - started };
}

export interface PathFigures {
  requests: number;
  ok: number;
  failures: number;
  wallSeconds: number;
  /** Successful requests per second of wall time. */
  throughput: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number; mean: number };
}

/** Nearest-rank percentile of an ascending array (no interpolation: every value was observed). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

export function figuresOf(run: LoadRun): PathFigures {
  const sorted = [...run.latenciesMs].sort((a, b) => a - b);
  const ok = sorted.length;
  const wallSeconds = run.wallMs / 1000;
  const round = (x: number) => Math.round(x * 100) / 100;
  return {
    requests: run.requests,
    ok,
    failures: run.failures,
    wallSeconds: round(wallSeconds),
    throughput: round(ok / wallSeconds),
    latencyMs: {
      p50: round(percentile(sorted, 50)),
      p90: round(percentile(sorted, 90)),
      p99: round(percentile(sorted, 99)),
      max: round(sorted[ok - 1] ?? Number.NaN),
      mean: round(ok ? sorted.reduce((s, x) => s + x, 0) / ok : Number.NaN),
    },
  };
}

/**
 * Open loop: request i is due at i/rate seconds, whether or not earlier ones have answered, and
 * its latency counts from when it was due — so a stall shows up in the percentiles instead of
 * silently slowing the arrival rate (no coordinated omission).
 */
export async function runOpenLoop(n: number, ratePerSecond: number, op: (i: number) => Promise<void>): Promise<LoadRun> {
  const latenciesMs: number[] = [];
  const failureSamples: string[] = [];
  let failures = 0;
  const interval = 1000 / ratePerSecond;
  const started = performance.now();
  const inFlight: Array<Promise<void>> = [];
  for (let i = 0; i < n; i++) {
    const due = started + i * interval;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    inFlight.push(
      op(i).then(
        () => {
          latenciesMs.push(performance.now() - due);
        },
        (err: unknown) => {
          failures += 1;
          if (failureSamples.length < MAX_FAILURE_SAMPLES) failureSamples.push(err instanceof Error ? err.message : String(err));
        },
      ),
    );
  }
  await Promise.all(inFlight);
  return { requests: n, failures, failureSamples, latenciesMs, wallMs: performance.now() - started };
}
