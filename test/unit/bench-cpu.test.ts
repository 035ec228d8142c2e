// The bench's CPU by process (bench/cpu.ts): /proc/<pid>/stat lines as Linux writes them, command
// names with spaces and parentheses included, grouped into the processes issue 16's figures name.
import { cpuPer, describeCpu, groupCpu, parseStat, readProcs } from '../../bench/cpu';

// pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime …
const stat = (pid: number, comm: string, utime: number, stime: number, cutime = 0, cstime = 0) =>
  `${pid} (${comm}) S 1 ${pid} ${pid} 0 -1 4194560 1200 0 3 0 ${utime} ${stime} ${cutime} ${cstime} 20 0 12 0 5000 1000000 2000 18446744073709551615`;

test('a stat line gives the command and its CPU in ms (100 ticks a second), ended children included', () => {
  expect(parseStat(stat(4242, 'temporal', 150, 50))).toEqual({ pid: 4242, comm: 'temporal', cpuMs: 2000 });
  // The command may hold spaces and a ')': the fields are counted from the last one.
  expect(parseStat(stat(7, 'node (worker) x', 3, 4))).toEqual({ pid: 7, comm: 'node (worker) x', cpuMs: 70 });
  // A postmaster whose backends have ended carries their CPU (cutime, cstime).
  expect(parseStat(stat(30, 'postgres', 10, 5, 200, 85))).toEqual({ pid: 30, comm: 'postgres', cpuMs: 3000 });
  expect(parseStat('garbage')).toBeUndefined();
});

test('processes are grouped by pid (worker, floor worker, API, bench) and by command (Temporal, PostgreSQL)', () => {
  const procs = [
    { pid: 10, comm: 'node', cpuMs: 5000 },
    { pid: 11, comm: 'node', cpuMs: 700 },
    { pid: 12, comm: 'node', cpuMs: 300 },
    { pid: 13, comm: 'node', cpuMs: 100 },
    { pid: 20, comm: 'temporal', cpuMs: 4000 },
    { pid: 30, comm: 'postgres', cpuMs: 600 },
    { pid: 31, comm: 'postgres', cpuMs: 400 },
    { pid: 40, comm: 'sshd', cpuMs: 9999 },
  ];
  const before = groupCpu(procs, { worker: 10, floorWorker: 11, api: 12 }, 13);
  expect(before).toEqual({ worker: 5000, floorWorker: 700, api: 300, bench: 100, temporal: 4000, postgres: 1000 });
  const after = { ...before, worker: 7000, temporal: 5000, postgres: 1500 };
  const per = cpuPer(before, after, 100);
  expect(per).toEqual({ worker: 20, floorWorker: 0, api: 0, bench: 0, temporal: 10, postgres: 5 });
  expect(describeCpu(per)).toBe('worker 20.0, Temporal 10.0, PostgreSQL 5.0 (total 35.0)');
});

test('on this machine the bench process itself is found, and its CPU only grows', () => {
  const first = groupCpu(readProcs(), {});
  let x = 0;
  for (let i = 0; i < 5e6; i++) x += Math.sqrt(i);
  const second = groupCpu(readProcs(), {});
  expect(x).toBeGreaterThan(0);
  expect(second.bench).toBeGreaterThanOrEqual(first.bench);
  expect(second.bench).toBeGreaterThan(0);
});
