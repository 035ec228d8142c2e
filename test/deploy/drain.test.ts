// Graceful drain on deploy: the compiled worker (`node dist/worker/main.js`, as the image runs it)
// gets SIGTERM while one of its activities (a lead's write, a local activity inside the lead's
// workflow task) is still writing to PostgreSQL; the write finishes, the task that holds it reaches
// Temporal, and the worker exits 0 — nothing is left for a retry on another worker. The write is
// held by a row lock the test takes on the lead's read-model row.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { Client as Pg } from 'pg';
import { createDb, type Db } from '../../platform/db';
import { dataConverterOf } from '../../platform/payload-codec';
import { migrate } from '../../scripts/lib/migrate';
import { ensureDatabase } from '../../scripts/lib/postgres';
import { waitForLine } from '../../scripts/lib/processes';
import { leadWorkflow } from '../../workflows/lead';
import * as M from '../../workflows/messages';
import { seedLead, seedManager } from '../helpers/db';
import { localActivityOf } from '../helpers/lead';
import { testCodec } from '../helpers/temporal';
import { buildDist } from '../../scripts/lib/build';
import { runtimeImageDir } from './dockerfile';

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

    // Hold the lead's row: the next read-model write waits on it.
    const lock = new Pg({ connectionString: url });
    await lock.connect();
    await lock.query('BEGIN');
    await lock.query('SELECT id FROM leads WHERE id = $1 FOR UPDATE', [leadId]);
    // Not awaited: the Update is accepted and answered by the workflow task that holds the write.
    const update = handle.executeUpdate(M.recordContact, { args: [{ actor: 'sales:anna', input: { outcome: 'reached' } }] });
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
    expect(worker.exitCode).toBeNull(); // still draining: its write is in flight
    await lock.query('COMMIT');
    await lock.end();

    expect((await update).stage).toBe('qualifying'); // answered by the draining worker
    expect(await Promise.race([exited, new Promise((r) => setTimeout(() => r('still running after 60 s'), 60_000))])).toBe(0);
    // The activity's write landed, and Temporal recorded it as completed on its first attempt.
    expect((await db.lead.findUniqueOrThrow({ where: { id: leadId } })).stage).toBe('qualifying');
    const events = (await handle.fetchHistory()).events ?? [];
    // A lead's writes are local activities (workflows/lead-run.ts): the Update's read-model write ran
    // inside its workflow task, which the draining worker completed — one marker, on its first
    // attempt, and no workflow task failed or timed out to be run again elsewhere.
    const accepted = Number(events.find((e) => e.workflowExecutionUpdateAcceptedEventAttributes)!.eventId);
    const after = events.filter((e) => Number(e.eventId) > accepted);
    const writes = after.map(localActivityOf).filter((w) => w !== undefined);
    expect(writes.map((w) => w.activityType)).toContain('recordTransitions');
    expect(writes.filter((w) => w.attempt !== 1)).toEqual([]);
    expect(after.filter((e) => e.workflowTaskFailedEventAttributes || e.workflowTaskTimedOutEventAttributes)).toEqual([]);
    expect(after.filter((e) => e.workflowExecutionUpdateCompletedEventAttributes)).toHaveLength(1);
  } finally {
    if (worker.exitCode === null) worker.kill('SIGKILL');
  }
});
