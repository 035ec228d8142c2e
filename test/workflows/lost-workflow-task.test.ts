// A worker that dies inside a lead's first workflow task, after its local activities have written
// (the manager's pick, the first task, the read model) but before the task completed: their results
// are lost with it, their writes are not. The next worker runs the step again — and the roster's
// loads moved meanwhile, so a fresh pick would name another manager than the one the read model
// (which only moves forward in sequence) and the first task already name. The fault suite's worker
// SIGKILL found two such leads of forty. The pick is recorded under the step's key
// (platform/decisions.ts): the step run again gets the same manager.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import type { Db } from '../../platform/db';
import { leadWorkflowInput, startLeadWorkflow } from '../../platform/lead-start';
import { dataConverterOf } from '../../platform/payload-codec';
import { leadWorkflowId } from '../../workflows/lead';
import * as M from '../../workflows/messages';
import { isolatedDatabase, seedLead, seedManager } from '../helpers/db';
import { runWorker, testCodec } from '../helpers/temporal';

let db: Db;
let dbUrl: string;
let native: NativeConnection;
let connection: Connection;
let dying: ChildProcess | undefined;
beforeAll(async () => {
  ({ db, url: dbUrl } = await isolatedDatabase());
  native = await NativeConnection.connect({ address: process.env.TEMPORAL_ADDRESS! });
  connection = await Connection.connect({ address: process.env.TEMPORAL_ADDRESS! });
});
afterAll(async () => {
  dying?.kill('SIGKILL'); // already killed, unless the test failed before
  await native?.close();
  await connection?.close();
  await db?.$disconnect();
});

test('a step run again after its workflow task was lost keeps the manager its first run wrote down', async () => {
  const a = await seedManager(db, { id: `a-${randomUUID().slice(0, 6)}` });
  const b = await seedManager(db, { id: `b-${randomUUID().slice(0, 6)}` });
  const leadId = await seedLead(db, { sourceChannel: 'web_form' });
  const codec = testCodec(db);
  const temporal = new Client({ connection, dataConverter: dataConverterOf(codec) });
  const taskQueue = `lost-wft-${randomUUID()}`;

  // The first worker, a process of its own: it writes the lead's first steps (the manager's pick,
  // the first task, the read model with `assigned`), and is SIGKILLed before its workflow task completes.
  dying = spawn(process.execPath, ['--import', 'tsx', join(__dirname, '../helpers/dying-worker.ts'), dbUrl, taskQueue], {
    env: process.env,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const said = (line: string) =>
    new Promise<void>((resolve, reject) => {
      let out = '';
      dying!.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes(line)) resolve();
      });
      dying!.once('exit', (code) => reject(new Error(`the dying worker exited (${code}) before saying '${line}'`)));
    });
  const polling = said('polling');
  const written = said('first steps written');
  written.catch(() => undefined);
  await polling;
  await startLeadWorkflow(
    temporal,
    taskQueue,
    leadWorkflowInput({
      id: leadId,
      kind: 'lead',
      sourceChannel: 'web_form',
      sourcePartnerId: null,
      region: null,
      topic: null,
      previousLeadId: null,
      returnedAfterOptOut: false,
    }),
  );
  await written;
  const exited = new Promise((r) => dying!.once('exit', r));
  dying.kill('SIGKILL');
  await exited;

  const written1 = await db.lead.findUniqueOrThrow({ where: { id: leadId } });
  const task1 = await db.task.findFirstOrThrow({ where: { leadId, kind: 'first_contact' } });
  expect(written1.lastSeq).toBe(2);
  expect([a, b]).toContain(written1.managerId);
  expect(task1.assignee).toBe(`manager:${written1.managerId}`);

  // Meanwhile the manager it picked takes two more leads: a fresh pick would name the other one.
  for (let i = 0; i < 2; i++) {
    const other = await seedLead(db, {});
    await db.lead.update({ where: { id: other }, data: { managerId: written1.managerId, stage: 'qualifying' } });
  }

  // The next worker takes the workflow task over once the lost one has timed out.
  const next = await runWorker(native, db, 'default', { codec, taskQueue });
  try {
    const handle = temporal.workflow.getHandle(leadWorkflowId(leadId));
    const deadline = Date.now() + 30_000;
    let events = (await handle.fetchHistory()).events ?? [];
    while (!events.some((e) => e.timerStartedEventAttributes) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      events = (await handle.fetchHistory()).events ?? [];
    }
    // The first workflow task was indeed lost (timed out), and the step ran again on this worker.
    expect(events.filter((e) => e.workflowTaskTimedOutEventAttributes)).toHaveLength(1);
    const state = await handle.query(M.getState);
    expect(state.managerId).toBe(written1.managerId);
    const row = await db.lead.findUniqueOrThrow({ where: { id: leadId } });
    expect({ manager: row.managerId, seq: row.lastSeq }).toEqual({ manager: state.managerId, seq: state.seq });
    const tasks = await db.task.findMany({ where: { leadId, kind: 'first_contact' } });
    expect(tasks.map((t) => t.assignee)).toEqual([`manager:${state.managerId}`]);
    await handle.terminate('test done');
  } finally {
    await next.stop();
  }
}, 60_000);
