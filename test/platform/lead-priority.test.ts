// Backpressure by task priority (issue 16, platform/lead-priority.ts), on the real dev server with
// the real worker: a lead is started behind everything already taken in and raised once its first
// steps are flushed, so a staff Update on a lead taken in earlier goes ahead of a backlog of new leads instead
// of waiting for all of them (FIFO, as before, 22 of the 40 went first). The worker restarts in
// between, so the settled lead's Update also replays a history holding the raise's
// WorkflowExecutionOptionsUpdated event.
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { tsToMs } from '@temporalio/common/lib/time';
import { temporal } from '@temporalio/proto';
import { NativeConnection } from '@temporalio/worker';
import type { Db } from '../../platform/db';
import { LEAD_PRIORITY } from '../../platform/lead-priority';
import { leadWorkflowInput, startLeadWorkflow } from '../../platform/lead-start';
import { dataConverterOf } from '../../platform/payload-codec';
import type { leadWorkflow } from '../../workflows/lead';
import { intakeSweepWorkflow } from '../../workflows/intake-sweep';
import { seedLead, seedTeam, testDb } from '../helpers/db';
import { act, until, waitFor } from '../helpers/lead';
import { runWorker, testCodec } from '../helpers/temporal';

const { EventType } = temporal.api.enums.v1;
jest.setTimeout(120_000);
const BACKLOG = 40;
let db: Db;
let native: NativeConnection;
let connection: Connection;
let client: Client;

beforeAll(async () => {
  db = testDb();
  native = await NativeConnection.connect({ address: process.env.TEMPORAL_ADDRESS! });
  connection = await Connection.connect({ address: process.env.TEMPORAL_ADDRESS! });
  client = new Client({ connection, dataConverter: dataConverterOf(testCodec(db)) });
  await seedTeam(db, 2);
});

afterAll(async () => {
  await native?.close();
  await connection?.close();
  await db?.$disconnect();
});

/** A lead as intake takes it: its registry row, then its workflow, started as the API starts it. */
async function intake(taskQueue: string): Promise<string> {
  const leadId = await seedLead(db);
  const row = await db.lead.findUniqueOrThrow({ where: { id: leadId } });
  await startLeadWorkflow(client, taskQueue, leadWorkflowInput(row));
  return leadId;
}
const priorityOf = async (leadId: string) =>
  (await client.workflow.getHandle(`lead-${leadId}`).describe()).raw.workflowExecutionInfo?.priority?.priorityKey;
const timeOf = (e: temporal.api.history.v1.IHistoryEvent | undefined) => tsToMs(e?.eventTime);
/** When the lead's first workflow task was handed out; Infinity while it still waits (read right after the Update, under load). */
async function firstTaskStartedAt(leadId: string): Promise<number> {
  const { events } = await client.workflow.getHandle(`lead-${leadId}`).fetchHistory();
  const started = events?.find((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED);
  return started ? timeOf(started) : Infinity;
}
const assigned = (ids: string[]) => db.lead.count({ where: { id: { in: ids }, managerId: { not: null } } });

test('a staff Update on a lead taken in earlier runs ahead of a backlog of new leads; each new lead is raised once its first steps are flushed', async () => {
  const taskQueue = `priority-${randomUUID()}`;
  let worker = await runWorker(native, db, 'default', { codec: testCodec(db), taskQueue });
  try {
    const settledId = await intake(taskQueue);
    const handle = client.workflow.getHandle<typeof leadWorkflow>(`lead-${settledId}`);
    const s = await until(handle, (v) => v.stage === 'awaiting_first_contact' && !!v.managerId);
    await waitFor(async () => (await priorityOf(settledId)) === LEAD_PRIORITY.settled.priorityKey);

    // The worker is down while a burst comes in: 40 new leads queue, each at the arriving priority.
    await worker.stop();
    const backlog: string[] = [];
    for (let i = 0; i < BACKLOG; i++) backlog.push(await intake(taskQueue));
    expect(await priorityOf(backlog[0]!)).toBe(LEAD_PRIORITY.arriving.priorityKey);

    // The manager records a missed call, sent after the whole burst; then the worker comes back.
    const update = act(handle, 'recordContact', { outcome: 'no_answer' }, `manager:${s.managerId}`);
    // The Update is at the server (its workflow task scheduled, behind the burst) before the worker polls.
    await waitFor(async () => !!(await handle.describe()).raw.pendingWorkflowTask);
    worker = await runWorker(native, db, 'default', { codec: testCodec(db), taskQueue });
    expect((await update).stage).toBe('awaiting_first_contact');

    // When the server handed out the Update's workflow task, against each new lead's first one.
    // FIFO it came after all 40 (22 measured with every lead at one priority). Priority holds within a
    // partition: with four, a poll on a lighter one took 31 new leads first under load; with the dev
    // server's one write partition, 0-1 were handed out with it (polls already in flight).
    const events = (await handle.fetchHistory()).events ?? [];
    const accepted = events.findIndex((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED);
    const updateTask = events
      .slice(0, accepted)
      .reverse()
      .find((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED);
    const firstTasks = await Promise.all(backlog.map(firstTaskStartedAt));
    const ahead = firstTasks.filter((t) => t < timeOf(updateTask)).length;
    expect(ahead).toBeLessThanOrEqual(8);

    // The backlog is then taken: every new lead assigned in the read model, then raised (the raise
    // follows the write of its second transition, once the workflow task that wrote it has completed).
    await waitFor(async () => (await assigned(backlog)) === BACKLOG, 60_000);
    const settled = async () => new Set(await Promise.all(backlog.map(priorityOf)));
    await waitFor(async () => (await settled()).size === 1, 10_000).catch(() => undefined);
    expect(await settled()).toEqual(new Set([LEAD_PRIORITY.settled.priorityKey]));
  } finally {
    await worker.stop();
  }
});

test('a lead the worker did not raise (it stopped between the flush and the raise) is raised by the intake sweeper', async () => {
  const taskQueue = `priority-${randomUUID()}`;
  const worker = await runWorker(native, db, 'default', { codec: testCodec(db), taskQueue });
  const sweep = () =>
    client.workflow.execute(intakeSweepWorkflow, { workflowId: `sweep-${randomUUID()}`, taskQueue, args: [{ olderThanMs: 0 }] });
  const due = (leadId: string) => db.leadPriorityRaise.count({ where: { leadId } });
  try {
    // The flush that ends its first steps lists the raise as due; the worker raises it and clears it.
    const leadId = await intake(taskQueue);
    await waitFor(async () => (await priorityOf(leadId)) === LEAD_PRIORITY.settled.priorityKey);
    await waitFor(async () => (await due(leadId)) === 0);

    // As if the worker had stopped in between: the lead at its arrival priority, its raise still due.
    await client.workflowService.updateWorkflowExecutionOptions({
      namespace: 'default',
      workflowExecution: { workflowId: `lead-${leadId}` },
      workflowExecutionOptions: { priority: LEAD_PRIORITY.arriving },
      updateMask: { paths: ['priority'] },
    });
    await db.leadPriorityRaise.create({ data: { leadId } });
    expect(await priorityOf(leadId)).toBe(LEAD_PRIORITY.arriving.priorityKey);

    const outcome = await sweep();
    expect(outcome).toMatchObject({ failed: 0, raiseFailed: 0 });
    expect(outcome.raised).toBeGreaterThanOrEqual(1);
    expect(await priorityOf(leadId)).toBe(LEAD_PRIORITY.settled.priorityKey);
    expect(await due(leadId)).toBe(0);
  } finally {
    await worker.stop();
  }
});
