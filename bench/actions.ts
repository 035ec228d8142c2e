// Staff actions and reads, on leads the intake phases created:
//   update  recordContact (no answer) through POST /leads/:id/contact vs the same Update from a
//           bare Temporal client: closed loop at the same concurrency for the throughput ratio,
//           then open loop at a steady 100 req/s for the latency targets, and one at a time
//           (no contention: what the API adds to a single Update);
//   read    GET /leads/:id (the workflow's query), open loop at 100 req/s;
//   list    GET /leads?stage=…&limit=50 (a filtered page from the PostgreSQL read model), closed loop.
import type { Client } from '@temporalio/client';
import type { Pool } from 'pg';
import * as M from '../workflows/messages';
import type { HttpClient } from './http';
import { runClosedLoop, runOpenLoop, type LoadRun, type PathFigures } from './load';
import { measuredPhase, type QuietStart } from './quiet';

export const ACTION_TARGETS = { updateP50Ms: 10, updateP99Ms: 40, updateRatio: 0.85, readP99Ms: 20, listPerSecond: 3000 };
/** The steady arrival rate at which the latency targets hold. */
export const PACED_RATE = 100;
const LIST_WARMUP = 2000;
const LIST_N = 8000;

export interface ActionFigures {
  updateRaw: PathFigures;
  updateApi: PathFigures;
  updateRatio: number;
  updateRawPaced: PathFigures;
  updateApiPaced: PathFigures;
  updateRawSerial: PathFigures;
  updateApiSerial: PathFigures;
  read: PathFigures;
  list: PathFigures;
  /** How busy the CPUs were when each phase began, after waiting (up to a minute) for quiet. */
  startedAt: Record<string, QuietStart>;
  targets: Record<string, { target: number; value: number; pass: boolean }>;
}

export async function measureActions(opts: {
  client: Client;
  http: HttpClient;
  pool: Pool;
  rawLeadIds: string[];
  apiLeadIds: string[];
  concurrency: number;
  log: (m: string) => void;
}): Promise<ActionFigures> {
  const { client, http, concurrency, log } = opts;
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await http.call(method, path, body);
    if (res.status !== 200) throw new Error(`HTTP ${res.status} ${method} ${path}: ${res.text.slice(0, 200)}`);
  };
  // Three no-answer attempts per lead (one per update phase) stay below the policy's five.
  const rawUpdate = (i: number) =>
    client.workflow
      .getHandle(`lead-${opts.rawLeadIds[i]}`)
      .executeUpdate(M.recordContact, { args: [{ actor: 'sales:bench', input: { outcome: 'no_answer' } }] })
      .then(() => undefined);
  const apiUpdate = (i: number) => call('POST', `/leads/${opts.apiLeadIds[i]}/contact`, { outcome: 'no_answer' });

  // Each phase starts on a quiet machine: an Update's follow-up work (the read-model write, the
  // search attributes) runs after it answers and would otherwise land on the next phase.
  const startedAt: ActionFigures['startedAt'] = {};
  const phase = async (name: string, run: () => Promise<LoadRun>): Promise<PathFigures> => {
    const { figures, start } = await measuredPhase(name, log, run);
    startedAt[name] = start;
    return figures;
  };
  log(`update: closed loop at concurrency ${concurrency}, raw then API`);
  const updateRaw = await phase('updateRaw', () => runClosedLoop(opts.rawLeadIds.length, concurrency, rawUpdate));
  const updateApi = await phase('updateApi', () => runClosedLoop(opts.apiLeadIds.length, concurrency, apiUpdate));
  log(`update: open loop at ${PACED_RATE} req/s, raw then API`);
  const updateRawPaced = await phase('updateRawPaced', () => runOpenLoop(opts.rawLeadIds.length, PACED_RATE, rawUpdate));
  const updateApiPaced = await phase('updateApiPaced', () => runOpenLoop(opts.apiLeadIds.length, PACED_RATE, apiUpdate));
  const serial = Math.min(100, opts.rawLeadIds.length, opts.apiLeadIds.length);
  log(`update: ${serial} one at a time, raw then API`);
  const updateRawSerial = await phase('updateRawSerial', () => runClosedLoop(serial, 1, rawUpdate));
  const updateApiSerial = await phase('updateApiSerial', () => runClosedLoop(serial, 1, apiUpdate));
  log(`read: open loop at ${PACED_RATE} req/s`);
  const read = await phase('read', () =>
    runOpenLoop(opts.apiLeadIds.length, PACED_RATE, (i) => call('GET', `/leads/${opts.apiLeadIds[i]}`)),
  );
  const listPage = () => call('GET', '/leads?stage=awaiting_first_contact&source=web_form&limit=50');
  // A live table's statistics are autovacuum's job (scale factors tuned for `leads` in migration
  // 20261123080000), but its first visit comes a minute or more after the run began, later than
  // this phase; without statistics the planner sorts the whole stage for every 50-row page.
  await opts.pool.query('VACUUM (ANALYZE) leads');
  // A throughput figure is only worth something once the JIT has compiled the path.
  log(`list: ${LIST_WARMUP} warm-up pages, then ${LIST_N} at concurrency ${concurrency}`);
  await runClosedLoop(LIST_WARMUP, concurrency, listPage);
  const list = await phase('list', () => runClosedLoop(LIST_N, concurrency, listPage));

  const updateRatio = Math.round((updateApi.throughput / updateRaw.throughput) * 1000) / 1000;
  const t = ACTION_TARGETS;
  const check = (target: number, value: number, atMost: boolean) => ({ target, value, pass: atMost ? value <= target : value >= target });
  return {
    updateRaw,
    updateApi,
    updateRatio,
    updateRawPaced,
    updateApiPaced,
    updateRawSerial,
    updateApiSerial,
    read,
    list,
    startedAt,
    targets: {
      updateP50Ms: check(t.updateP50Ms, updateApiPaced.latencyMs.p50, true),
      updateP99Ms: check(t.updateP99Ms, updateApiPaced.latencyMs.p99, true),
      updateRatio: check(t.updateRatio, updateRatio, false),
      readP99Ms: check(t.readP99Ms, read.latencyMs.p99, true),
      listPerSecond: check(t.listPerSecond, list.throughput, false),
    },
  };
}
