// `npm start` keeps its worker and API running (scripts/lib/processes.ts supervise()): a child that
// dies is started again, a crash loop gives up, and stop() leaves nothing running. Real processes.
import type { ChildProcess } from 'node:child_process';
import { child, supervise, type Supervised } from '../../scripts/lib/processes';
import { waitFor } from '../helpers/lead';

jest.setTimeout(60_000);
const entry = 'test/helpers/short-lived-process.ts';
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
const exited = (c: ChildProcess) => c.exitCode !== null || c.signalCode !== null;

let running: Supervised | undefined;
afterEach(async () => {
  await running?.stop();
  running = undefined;
});

test('a child killed with SIGKILL is started again, and stop() starts no other', async () => {
  const log: string[] = [];
  const gaveUp: number[] = [];
  running = supervise('worker', () => child('worker', entry, { ...process.env, EXIT_AFTER_MS: '' }, { quiet: true }), {
    log: (m) => log.push(m),
    onGiveUp: (code) => gaveUp.push(code),
    firstDelayMs: 200,
  });
  const first = running.current();
  first.kill('SIGKILL');
  await waitFor(async () => running!.current() !== first && !exited(running!.current()), 20_000);
  const second = running.current();
  expect(second.pid).not.toBe(first.pid);
  expect(log).toEqual(['worker exited (SIGKILL); starting it again in 0.2 s']);

  await running.stop();
  expect(exited(second)).toBe(true);
  await new Promise((r) => setTimeout(r, 600)); // past the restart delay: nothing new is started
  expect(running.current()).toBe(second);
  expect(alive(second.pid!)).toBe(false);
  expect(gaveUp).toEqual([]);
});

test('a child that keeps dying right after its start is a crash loop: given up with its exit code, the delay doubling', async () => {
  const log: string[] = [];
  let starts = 0;
  const gaveUp = new Promise<number>((resolve) => {
    running = supervise(
      'api',
      () => {
        starts++;
        return child('api', entry, { ...process.env, EXIT_AFTER_MS: '0', EXIT_CODE: '3' }, { quiet: true });
      },
      { log: (m) => log.push(m), onGiveUp: resolve, firstDelayMs: 100, maxQuickExits: 3 },
    );
  });
  expect(await gaveUp).toBe(3);
  expect(starts).toBe(3);
  expect(log).toEqual([
    'api exited (3); starting it again in 0.1 s',
    'api exited (3); starting it again in 0.2 s',
    'api exited 3 times in a row within 30 s of starting (3); giving up',
  ]);
});
