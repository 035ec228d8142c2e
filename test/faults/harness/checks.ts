// What the suite asserts about the stack, read from the real stores: the registry and read model
// (PostgreSQL `leads`), the workflows (Temporal: describe, query, visibility), tasks, the ledger
// and the audit trail.
import { randomInt } from 'node:crypto';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Pool } from 'pg';
import { leadWorkflowId } from '../../../workflows/lead';
import * as M from '../../../workflows/messages';

export { leadWorkflowId };

/** A web-form lead with a phone of its own (intake de-duplicates on phone across all leads). */
export function leadBody(over: Record<string, unknown> = {}): Record<string, unknown> & { phone: string } {
  return {
    source: { channel: 'web_form', campaign: 'faults' },
    person: { name: 'Fault Suite' },
    phone: randomPhone(),
    topic: 'crm',
    ...over,
  } as Record<string, unknown> & { phone: string };
}

export const randomPhone = () => `+7916${String(randomInt(0, 10_000_000)).padStart(7, '0')}`;

export async function waitUntil(what: string, check: () => Promise<boolean>, timeoutMs: number, everyMs = 250): Promise<number> {
  const t = Date.now();
  while (!(await check())) {
    if (Date.now() - t > timeoutMs) throw new Error(`${what}: not within ${timeoutMs / 1000} s`);
    await sleep(everyMs);
  }
  return Date.now() - t;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The promise's value, or `undefined` once `ms` passed (a query to a workflow with no live worker waits). */
export async function within<T>(ms: number, p: Promise<T>): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p.catch(() => undefined),
      new Promise<undefined>((r) => {
        timer = setTimeout(() => r(undefined), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

export interface ReadModelRow {
  id: string;
  stage: string;
  last_seq: number;
  manager_id: string | null;
}

export async function readModel(db: Pool, ids: string[]): Promise<Map<string, ReadModelRow>> {
  const res = await db.query<ReadModelRow>('SELECT id, stage, last_seq, manager_id FROM leads WHERE id = ANY($1)', [ids]);
  return new Map(res.rows.map((r) => [r.id, r]));
}

/** The workflow's own view of the lead (a query), or undefined when it cannot answer within 5 s. */
export async function workflowState(client: Client, leadId: string): Promise<M.LeadView | undefined> {
  return within(5_000, client.workflow.getHandle(leadWorkflowId(leadId)).query(M.getState));
}

/** The workflow's status (RUNNING, COMPLETED, …), or 'NONE' when there is no workflow. */
export async function workflowStatus(client: Client, leadId: string): Promise<string> {
  try {
    return (await client.workflow.getHandle(leadWorkflowId(leadId)).describe()).status.name;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return 'NONE';
    throw err;
  }
}

/**
 * Leads whose read model says what their workflow says (stage, manager, last sequence number),
 * checked row by row. `confirmed` carries over between polls: a lead at rest stays confirmed.
 */
export async function caughtUp(
  db: Pool,
  client: Client,
  ids: string[],
  confirmed: Set<string>,
  extra?: (s: M.LeadView) => boolean,
): Promise<Set<string>> {
  const rows = await readModel(
    db,
    ids.filter((id) => !confirmed.has(id)),
  );
  await Promise.all(
    [...rows.values()].map(async (row) => {
      const s = await workflowState(client, row.id);
      if (s && s.stage === row.stage && s.seq === row.last_seq && (s.managerId ?? null) === row.manager_id && (!extra || extra(s)))
        confirmed.add(row.id);
    }),
  );
  return confirmed;
}

/** Every lead workflow Temporal's visibility knows, by workflow id (continue-as-new runs counted once). */
export async function listedLeadWorkflows(client: Client): Promise<Set<string>> {
  const ids = new Set<string>();
  for await (const w of client.workflow.list({ query: "WorkflowType = 'leadWorkflow'" })) ids.add(w.workflowId);
  return ids;
}

/** How many executions (runs) exist under one workflow id. */
export async function runsOf(client: Client, workflowId: string): Promise<number> {
  let n = 0;
  for await (const _ of client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) n += 1;
  return n;
}

/** Request ids of `requestIds` that have no audit_log row. */
export async function unaudited(db: Pool, requestIds: string[]): Promise<string[]> {
  if (requestIds.length === 0) return [];
  const res = await db.query<{ request_id: string }>('SELECT DISTINCT request_id FROM audit_log WHERE request_id = ANY($1)', [requestIds]);
  const seen = new Set(res.rows.map((r) => r.request_id));
  return requestIds.filter((id) => !seen.has(id));
}

/** Start every Temporal Schedule other than the engine's periodic business runs: the intake sweeper among them, now rather than at its next tick. */
export async function triggerSweepers(client: Client): Promise<string[]> {
  const business = new Set(['reconciliation-weekly', 'payouts-monthly', 'netting-monthly', 'alarms-hourly', 'alarms-daily']);
  const triggered: string[] = [];
  for await (const s of client.schedule.list()) {
    if (business.has(s.scheduleId)) continue;
    await client.schedule
      .getHandle(s.scheduleId)
      .trigger()
      .catch(() => undefined);
    triggered.push(s.scheduleId);
  }
  return triggered;
}
