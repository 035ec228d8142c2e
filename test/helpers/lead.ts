// Starting a lead the way intake does (registry row first, then its workflow) and small waits.
import { WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import type { Duration, UpdateDefinition } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Db } from '../../platform/db';
import type { Action } from '../../domain/lifecycle';
import type { LeadPolicyInput } from '../../domain/policy';
import { leadWorkflow } from '../../workflows/lead';
import * as M from '../../workflows/messages';
import { seedLead } from './db';
import { executeLeadUpdate } from '../../platform/lead-update';

export type LeadHandle = WorkflowHandle<typeof leadWorkflow>;

export async function startLead(
  env: TestWorkflowEnvironment,
  db: Db,
  taskQueue: string,
  opts: { topic?: string; partnerId?: string; policy?: LeadPolicyInput; kind?: 'lead' | 'interest'; companyKey?: string } = {},
): Promise<{ leadId: string; handle: LeadHandle }> {
  const sourceChannel = opts.partnerId ? 'partner' : 'web_form';
  const leadId = await seedLead(db, { sourceChannel, partnerId: opts.partnerId, topic: opts.topic, companyKey: opts.companyKey });
  const handle = await env.client.workflow.start(leadWorkflow, {
    workflowId: `lead-${leadId}`,
    taskQueue,
    args: [{ leadId, kind: opts.kind ?? 'lead', sourceChannel, partnerId: opts.partnerId, topic: opts.topic, policy: opts.policy }],
  });
  await until(handle, (s) => !!s.managerId);
  return { leadId, handle };
}

/** Polls the lead's state until `check` holds (timers fire asynchronously after env.sleep). */
export async function until(handle: LeadHandle, check: (s: M.LeadView) => boolean, timeoutMs = 20_000): Promise<M.LeadView> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const s = await handle.query(M.getState);
      if (check(s)) return s;
      last = s;
    } catch (err) {
      last = err; // a run that has not finished its first workflow task cannot answer yet
    }
    if (Date.now() > deadline)
      throw new Error(`lead never reached the expected state; last: ${last instanceof Error ? last.message : JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function waitFor(check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Resolves once the workflow has no work in flight: every activity it scheduled has closed and no
 * workflow task follows the last completed one (a closed run is idle too).
 */
export async function idle(handle: WorkflowHandle, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const events = (await handle.fetchHistory()).events ?? [];
    const scheduled = events.filter((e) => e.activityTaskScheduledEventAttributes).length;
    const closed = events.filter(
      (e) =>
        e.activityTaskCompletedEventAttributes ||
        e.activityTaskFailedEventAttributes ||
        e.activityTaskTimedOutEventAttributes ||
        e.activityTaskCanceledEventAttributes,
    ).length;
    const lastTask = events.map((e) => !!e.workflowTaskCompletedEventAttributes).lastIndexOf(true);
    const after = events.slice(lastTask + 1);
    if (scheduled === closed && !after.some((e) => e.workflowTaskScheduledEventAttributes || e.activityTaskCompletedEventAttributes))
      return;
    if (Date.now() > deadline) throw new Error(`workflow ${handle.workflowId} still busy after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * Lets `duration` pass on the time-skipping server, starting once the workflow is idle, as it is
 * in production when days go by between two staff actions. Skipping while the previous action's
 * work is in flight can fire a timer that the in-flight workflow task cancels; the Java test
 * server then rejects that task ("invalid history builder state for action") and stalls.
 */
export async function skip(env: TestWorkflowEnvironment, handle: WorkflowHandle, duration: Duration): Promise<void> {
  await idle(handle);
  await env.sleep(duration);
}

/** Lets time pass on the time-skipping server up to `instant` (epoch ms), once the workflow is idle (see `skip`). */
export async function skipUntil(env: TestWorkflowEnvironment, handle: WorkflowHandle, instant: number): Promise<void> {
  await idle(handle);
  const now = await env.currentTimeMs();
  if (instant > now) await env.sleep(instant - now);
}

export const historyTypes = async (handle: LeadHandle) => (await handle.query(M.getHistory)).map((t) => t.type);

export const as = (actor: string) => ({ actor });

/** A staff action by its name in the lifecycle (`qualify`, `recordContact`, …). */
export type ActionName = Action['type'];
export type InputOf<A extends ActionName> = Extract<Action, { type: A }>['input'];

/**
 * `by` takes staff action `action` on the lead, as the API would: the Update of the same name with
 * `{ actor, input }`. Answers the lead's state after it; a refusal rejects (see `refusal` below).
 * `opts.updateId` makes a repeat the same Update, as the API's Idempotency-Key does.
 */
export async function act<A extends ActionName>(
  handle: WorkflowHandle,
  action: A,
  input: InputOf<A>,
  by: string | { actor: string },
  opts: { updateId?: string } = {},
): Promise<M.LeadView> {
  const update = M[action] as UpdateDefinition<M.LeadView, [M.Command<InputOf<A>>]>;
  const actor = typeof by === 'string' ? by : by.actor;
  // As the API sends it: again when Temporal aborted it beneath its workflow task (platform/lead-update.ts).
  return executeLeadUpdate(handle, update, { args: [{ actor, input }], ...opts });
}

/** The reason a refused Update gave (validators reject with an ApplicationFailure). */
export async function refusal(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError && err.cause) return err.cause.message;
    throw err;
  }
  throw new Error('the update was accepted, expected a refusal');
}

/**
 * The write a local activity's marker records: the SDK's own record in the marker's `data`
 * (plain JSON — the activity's type and attempt); its result, in `result`, is encrypted.
 * Undefined for any other event.
 */
export function localActivityOf(e: temporal.api.history.v1.IHistoryEvent): { activityType: string; attempt: number } | undefined {
  const m = e.markerRecordedEventAttributes;
  const data = m?.markerName === 'core_local_activity' ? m.details?.data?.payloads?.[0]?.data : undefined;
  if (!data) return undefined;
  const record = JSON.parse(Buffer.from(data).toString('utf8')) as { activity_type: string; attempt: number };
  return { activityType: record.activity_type, attempt: record.attempt };
}
