// Where a phase's CPU went, by process: the worker, the Temporal server, PostgreSQL, the bench
// itself. Issue 16's processing target compares the lead with a bare workflow of its shape on the
// same 2 cores, so the ratio is a ratio of CPU per workflow across every process that serves it —
// this says which process the lead's extra CPU is spent in. Read from /proc (Linux; the bench
// machines): utime + stime of each process, its threads included. Elsewhere it reports nothing.
import { readdirSync, readFileSync } from 'node:fs';

/** Linux's USER_HZ: /proc reports CPU time in these ticks (100 on every mainstream kernel). */
const TICKS_PER_SECOND = 100;

export interface ProcStat {
  pid: number;
  comm: string;
  /**
   * utime + stime, and cutime + cstime: the CPU of its children that have ended. A PostgreSQL
   * backend that exits during a phase takes its CPU with it; counted in the postmaster's cutime,
   * the sum over the group never runs backwards.
   */
  cpuMs: number;
}

/**
 * One /proc/<pid>/stat line. The command name is in parentheses and may itself hold spaces and
 * parentheses, so the fields are counted from the last ')'.
 */
export function parseStat(line: string): ProcStat | undefined {
  const open = line.indexOf('(');
  const close = line.lastIndexOf(')');
  if (open < 0 || close < open) return undefined;
  const pid = Number(line.slice(0, open).trim());
  // After ')': state(3) ppid(4) … utime(14) stime(15) cutime(16) cstime(17), numbered from 1 with pid and comm first.
  const rest = line
    .slice(close + 1)
    .trim()
    .split(/\s+/);
  const ticks = [14, 15, 16, 17].map((field) => Number(rest[field - 3]));
  if (!Number.isFinite(pid) || !ticks.every(Number.isFinite)) return undefined;
  const total = ticks.reduce((a, b) => a + b, 0);
  return { pid, comm: line.slice(open + 1, close), cpuMs: (total * 1000) / TICKS_PER_SECOND };
}

/** Every process's CPU so far; empty where /proc is not there. */
export function readProcs(): ProcStat[] {
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    return [];
  }
  const out: ProcStat[] = [];
  for (const pid of pids) {
    try {
      const s = parseStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
      if (s) out.push(s);
    } catch {
      // gone between the listing and the read
    }
  }
  return out;
}

/** The groups a phase's CPU is told in: named processes by pid, and the servers by command name. */
export interface CpuGroups {
  worker?: number;
  floorWorker?: number;
  api?: number;
  /** A second API process (the bench's intake without admission control), counted as API too. */
  openApi?: number;
}

export type CpuSnapshot = Record<'worker' | 'floorWorker' | 'api' | 'bench' | 'temporal' | 'postgres', number>;

export const zeroCpu = (): CpuSnapshot => ({ worker: 0, floorWorker: 0, api: 0, bench: 0, temporal: 0, postgres: 0 });

/** Adds the CPU spent between two snapshots to `into`. */
export function addCpu(into: CpuSnapshot, before: CpuSnapshot, after: CpuSnapshot): void {
  for (const k of Object.keys(into) as Array<keyof CpuSnapshot>) into[k] += after[k] - before[k];
}

export function groupCpu(procs: ProcStat[], pids: CpuGroups, benchPid = process.pid): CpuSnapshot {
  const snap = zeroCpu();
  for (const p of procs) {
    if (p.pid === pids.worker) snap.worker += p.cpuMs;
    else if (p.pid === pids.floorWorker) snap.floorWorker += p.cpuMs;
    else if (p.pid === pids.api || p.pid === pids.openApi) snap.api += p.cpuMs;
    else if (p.pid === benchPid) snap.bench += p.cpuMs;
    else if (p.comm.startsWith('temporal')) snap.temporal += p.cpuMs;
    else if (p.comm === 'postgres') snap.postgres += p.cpuMs;
  }
  return snap;
}

/** CPU ms per item between two snapshots, by group (rounded to 0.1 ms). */
export function cpuPer(before: CpuSnapshot, after: CpuSnapshot, items: number): CpuSnapshot {
  const per = {} as CpuSnapshot;
  for (const k of Object.keys(before) as Array<keyof CpuSnapshot>) {
    per[k] = Math.round(((after[k] - before[k]) / Math.max(1, items)) * 10) / 10;
  }
  return per;
}

/** "worker 41.2, Temporal 30.1, PostgreSQL 6.3, bench 2.0 (total 79.6)": the groups that used any CPU. */
export function describeCpu(per: CpuSnapshot): string {
  const names: Record<keyof CpuSnapshot, string> = {
    worker: 'worker',
    floorWorker: 'floor worker',
    api: 'API',
    bench: 'bench',
    temporal: 'Temporal',
    postgres: 'PostgreSQL',
  };
  const parts = (Object.keys(per) as Array<keyof CpuSnapshot>).filter((k) => per[k] > 0).map((k) => `${names[k]} ${per[k].toFixed(1)}`);
  const total = Object.values(per).reduce((a, b) => a + b, 0);
  return `${parts.join(', ')} (total ${total.toFixed(1)})`;
}
