// Staff actions and reads, on leads the intake phases created:
//   update  recordContact (no answer) through POST /leads/:id/contact vs the same Update from a
//           bare Temporal client, side by side, same concurrency;
//   read    GET /leads/:id (the workflow's query);
//   list    GET /leads?stage=…&limit=50 (a filtered page from the PostgreSQL read model).
import type { Client } from '@temporalio/client';
import * as M from '../workflows/messages';
import { figuresOf, runClosedLoop, type PathFigures } from './load';

export const ACTION_TARGETS = { updateP50Ms: 10, updateP99Ms: 40, updateRatio: 0.85, readP99Ms: 20, listPerSecond: 3000 };

export interface ActionFigures {
  updateRaw: PathFigures;
  updateApi: PathFigures;
  updateRatio: number;
  read: PathFigures;
  list: PathFigures;
  targets: Record<string, { target: number; value: number; pass: boolean }>;
}

export async function measureActions(opts: {
  client: Client; baseUrl: string; apiKey: string; rawLeadIds: string[]; apiLeadIds: string[]; concurrency: number;
}): Promise<ActionFigures> {
  const { client, baseUrl, apiKey, concurrency } = opts;
  const headers = { 'content-type': 'application/json', 'x-api-key': apiKey };
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${baseUrl}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    if (res.status !== 200) throw new Error(`HTTP ${res.status} ${method} ${path}: ${text.slice(0, 200)}`);
  };

  const updateRaw = figuresOf(await runClosedLoop(opts.rawLeadIds.length, concurrency, async (i) => {
    await client.workflow.getHandle(`lead-${opts.rawLeadIds[i]}`).executeUpdate(M.recordContact, { args: [{ actor: 'sales:bench', input: { outcome: 'no_answer' } }] });
  }));
  const updateApi = figuresOf(await runClosedLoop(opts.apiLeadIds.length, concurrency, (i) => call('POST', `/leads/${opts.apiLeadIds[i]}/contact`, { outcome: 'no_answer' })));
  const read = figuresOf(await runClosedLoop(opts.apiLeadIds.length, concurrency, (i) => call('GET', `/leads/${opts.apiLeadIds[i]}`)));
  const list = figuresOf(await runClosedLoop(opts.apiLeadIds.length * 4, concurrency, () => call('GET', '/leads?stage=awaiting_first_contact&source=web_form&limit=50')));

  const updateRatio = Math.round((updateApi.throughput / updateRaw.throughput) * 1000) / 1000;
  const t = ACTION_TARGETS;
  const check = (target: number, value: number, atMost: boolean) => ({ target, value, pass: atMost ? value <= target : value >= target });
  return {
    updateRaw, updateApi, updateRatio, read, list,
    targets: {
      updateP50Ms: check(t.updateP50Ms, updateApi.latencyMs.p50, true),
      updateP99Ms: check(t.updateP99Ms, updateApi.latencyMs.p99, true),
      updateRatio: check(t.updateRatio, updateRatio, false),
      readP99Ms: check(t.readP99Ms, read.latencyMs.p99, true),
      listPerSecond: check(t.listPerSecond, list.throughput, false),
    },
  };
}
