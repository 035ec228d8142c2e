// Graceful drain on deploy: the compiled worker (`node dist/worker/main.js`, as the image runs it)
// gets SIGTERM while one of its activities is still writing to PostgreSQL; the activity finishes,
// its result reaches Temporal, and the worker exits 0 — nothing is left for a retry on another
// worker. The activity is held mid-write by a row lock the test takes on the lead's read-model row.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { Client, Connection, WorkflowUpdateStage } from '@temporalio/client';
import { Client as Pg } from 'pg';
import { createDb, type Db } from '../../platform/db';
import { dataConverterOf } from '../../platform/payload-codec';
import { migrate } from '../../scripts/lib/migrate';
import { ensureDatabase } from '../../scripts/lib/postgres';
import { waitForLine } from '../../scripts/lib/processes';
import { leadWorkflow } from '../../workflows/lead';
import * as M from '../../workflows/messages';
import { seedLead, seedManager } from '../helpers/db';
import { testCodec } from '../helpers/temporal';
import { buildDist, runtimeImageDir } from './dockerfile';

jest.setTimeout(300_000);

let app: string;
let url: string;
let db: Db;
let connection: Connection;
beforeAll(async () => {
  await buildDist();
  app = runtimeImageDir();
  const u = new URL(process.env.DATABASE_URL!);
  u.pathname = `/drain_${randomUUID().slice(0, 8)}`;
  url = u.toString();
  await ensureDatabase(url);
  await migrate(url);
  db = createDb(url, 2);
  connection = await Connection.connect({ address: process.env.TEMPORAL_ADDRESS! });
}, 600_000);
afterAll(async () => {
  await connection?.close();
  await db?.$disconnect();
  if (app) rmSync(app, { recursive: true, force: true });
});

test('a SIGTERM during an activity lets it finish and report, then the worker exits 0', async () => {
  const taskQueue = `drain-${randomUUID().slice(0, 8)}`;
  await seedManager(db);
  const worker = spawn(process.execPath, [join(app, 'dist/worker/main.js')], {
    cwd: app,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      PATH: process.env.PATH,
      NODE_ENV: 'production',
      LOG_LEVEL: 'warn',
      DATABASE_URL: url,
      TEMPORAL_ADDRESS: process.env.TEMPORAL_ADDRESS!,
      TASK_QUEUE: taskQueue,
      PAYLOAD_KEYS: process.env.PAYLOAD_KEYS!,
      WORKER_METRICS_ADDRESS: '',
    },
  });
  let output = '';
  worker.stdout!.on('data', (d: Buffer) => {
    output += d.toString();
  });
  worker.stderr!.on('data', (d: Buffer) => {
    output += d.toString();
  });
  const exited = new Promise<number | null>((r) => worker.once('exit', (code) => r(code)));
  try {
    await waitForLine(worker, /worker polling task queue/, 180_000);
    const temporal = new Client({ connection, dataConverter: dataConverterOf(testCodec(db)) });
    const leadId = await seedLead(db);
    const handle = await temporal.workflow.start(leadWorkflow, {
      workflowId: `lead-${leadId}`,
      taskQueue,
      args: [{ leadId, kind: 'lead', sourceChannel: 'web_form' }],
    });
    for (let end = Date.now() + 60_000; !(await db.lead.findUniqueOrThrow({ where: { id: leadId } })).managerId;) {
      if (Date.now() > end) throw new Error(`the lead was never assigned\n${output}`);
      await new Promise((r) => setTimeout(r, 200));
    }

    // Hold the lead's row: the next read-model write (an activity) waits on it.
    const lock = new Pg({ connectionString: url });
    await lock.connect();
    await lock.query('BEGIN');
    await lock.query('SELECT id FROM leads WHERE id = $1 FOR UPDATE', [leadId]);
    await handle.startUpdate(M.recordContact, {
      args: [{ actor: 'sales:anna', input: { outcome: 'reached' } }],
      waitForStage: WorkflowUpdateStage.ACCEPTED,
    });
    const waiting = async () =>
      Number(
        (
          await lock.query(
            `SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()`,
          )
        ).rows[0].n,
      );
    for (let end = Date.now() + 60_000; (await waiting()) === 0;) {
      if (Date.now() > end) throw new Error(`no activity ever waited on the lead's row\n${output}`);
      await new Promise((r) => setTimeout(r, 100));
    }

    worker.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 2000));
    expect(worker.exitCode).toBeNull(); // still draining: its activity is in flight
    await lock.query('COMMIT');
    await lock.end();

    expect(await Promise.race([exited, new Promise((r) => setTimeout(() => r('still running after 60 s'), 60_000))])).toBe(0);
    // The activity's write landed, and Temporal recorded it as completed on its first attempt.
    expect((await db.lead.findUniqueOrThrow({ where: { id: leadId } })).stage).toBe('qualifying');
    const events = (await handle.fetchHistory()).events ?? [];
    expect(events.filter((e) => e.activityTaskFailedEventAttributes || e.activityTaskTimedOutEventAttributes)).toEqual([]);
    expect(events.filter((e) => e.activityTaskCanceledEventAttributes)).toEqual([]);
    // The activities the Update set off (those before it ran on a cold worker and may have been
    // retried under load, which is not this test's subject).
    const accepted = Number(events.find((e) => e.workflowExecutionUpdateAcceptedEventAttributes)!.eventId);
    const started = events.filter(
      (e) => e.activityTaskStartedEventAttributes && Number(e.activityTaskStartedEventAttributes.scheduledEventId) > accepted,
    );
    expect(started.length).toBeGreaterThan(0);
    const scheduledType = (id: unknown) =>
      events.find((e) => e.eventId?.toString() === String(id))?.activityTaskScheduledEventAttributes?.activityType?.name;
    const retried = started
      .filter((e) => e.activityTaskStartedEventAttributes!.attempt !== 1)
      .map((e) => ({
        activity: scheduledType(e.activityTaskStartedEventAttributes!.scheduledEventId),
        attempt: e.activityTaskStartedEventAttributes!.attempt,
        lastFailure: e.activityTaskStartedEventAttributes!.lastFailure?.message,
      }));
    expect(retried).toEqual([]);
    const completed = new Set(events.map((e) => e.activityTaskCompletedEventAttributes?.scheduledEventId?.toString()));
    expect(started.filter((e) => !completed.has(e.activityTaskStartedEventAttributes!.scheduledEventId!.toString()))).toEqual([]);
  } finally {
    if (worker.exitCode === null) worker.kill('SIGKILL');
  }
});
