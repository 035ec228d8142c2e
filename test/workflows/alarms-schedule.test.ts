// The alarm Schedules on the dev server: ensureSchedules leaves `alarms-hourly` and
// `alarms-daily` on the cluster (Moscow time, never two sweeps at once) beside the existing
// ones, and a triggered run sweeps its kinds through a worker and opens the alarms they find.
import { randomUUID } from 'node:crypto';
import { Client, Connection, ScheduleNotFoundError, ScheduleOverlapPolicy } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { createActivities } from '../../activities';
import type { AlarmNotice } from '../../activities/alarms';
import type { Db } from '../../platform/db';
import { confirmStopContact } from '../../platform/repos/stop-contact-orders';
import { ensureSchedules, scheduleSpecs } from '../../platform/schedules';
import type { AlarmSweepOutcome } from '../../workflows/alarms';
import type { TaskReminderOutcome } from '../../workflows/task-reminders';
import { isolatedDb } from '../helpers/db';
import { waitFor } from '../helpers/lead';
import { testDataConverter } from '../helpers/temporal';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

let db: Db;
let native: NativeConnection;
let connection: Connection;
let client: Client;
let worker: Worker;
let running: Promise<void>;
const taskQueue = `test-alarms-${randomUUID()}`;
const notices: AlarmNotice[] = [];

beforeAll(async () => {
  const address = process.env.TEMPORAL_ADDRESS!;
  db = await isolatedDb(); // the sweep judges every lead: keep other files' leads out of it
  native = await NativeConnection.connect({ address });
  const dataConverter = testDataConverter(db);
  worker = await Worker.create({
    connection: native,
    taskQueue,
    workflowBundle: { codePath: process.env.WORKFLOW_BUNDLE_PATH! },
    dataConverter,
    // The intake-sweep Schedule may fire during the test: its sweeper starts leads through this client.
    activities: createActivities(db, {
      notifier: {
        notify: async (a) => {
          notices.push(a);
        },
      },
      temporal: { client: new Client({ connection: native, dataConverter }), taskQueue },
    }),
  });
  running = worker.run();
  connection = await Connection.connect({ address });
  client = new Client({ connection, dataConverter });
  await ensureSchedules(client, taskQueue);
  await ensureSchedules(client, taskQueue); // the update path: already there
});

afterAll(async () => {
  // Nothing of this test run fires later: remove every Schedule ensureSchedules made here.
  for (const { scheduleId } of scheduleSpecs(taskQueue)) {
    await client?.schedule
      .getHandle(scheduleId)
      .delete()
      .catch((err: unknown) => {
        if (!(err instanceof ScheduleNotFoundError)) throw err;
      });
  }
  worker?.shutdown();
  await running;
  await native?.close();
  await connection?.close();
  await db?.$disconnect();
});

test('ensureSchedules creates alarms-hourly and alarms-daily beside the existing Schedules', async () => {
  expect(scheduleSpecs(taskQueue).map((s) => s.scheduleId)).toEqual([
    'reconciliation-weekly',
    'payouts-monthly',
    'netting-monthly',
    'alarms-hourly',
    'alarms-daily',
    'intake-sweep',
    'notifications-deliver',
    'roster-sweep',
    'task-reminders',
    'personal-data-retention',
  ]);

  const hourly = await client.schedule.getHandle('alarms-hourly').describe();
  expect(hourly.spec.timezone).toBe('Europe/Moscow');
  expect(hourly.spec.calendars).toEqual([
    expect.objectContaining({
      hour: [{ start: 0, end: 23, step: 1 }],
      minute: [{ start: 0, end: 0, step: 1 }],
      comment: 'every hour on the hour, Moscow time',
    }),
  ]);
  expect(hourly.action).toMatchObject({
    type: 'startWorkflow',
    workflowType: 'alarmSweepWorkflow',
    workflowId: 'alarms-hourly',
    taskQueue,
    args: [{ kinds: ['not_distributed', 'leads_rotting', 'stop_contact_overdue'] }],
  });
  expect(hourly.policies).toMatchObject({ overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: HOUR });
  expect(hourly.state.paused).toBe(false);
  const everyHour = hourly.info.nextActionTimes.map((t) => t.getTime());
  expect(everyHour.length).toBeGreaterThanOrEqual(2);
  for (const t of everyHour) expect(new Date(t).toISOString()).toMatch(/T\d\d:00:00\.000Z$/);
  for (let i = 1; i < everyHour.length; i++) expect(everyHour[i]! - everyHour[i - 1]!).toBe(HOUR);

  const daily = await client.schedule.getHandle('alarms-daily').describe();
  expect(daily.spec.timezone).toBe('Europe/Moscow');
  expect(daily.spec.calendars).toEqual([
    expect.objectContaining({ hour: [{ start: 7, end: 7, step: 1 }], minute: [{ start: 0, end: 0, step: 1 }] }),
  ]);
  expect(daily.action).toMatchObject({
    type: 'startWorkflow',
    workflowType: 'alarmSweepWorkflow',
    workflowId: 'alarms-daily',
    taskQueue,
    args: [{ kinds: ['low_target_share', 'manager_conversion_anomaly', 'partner_report_drift'] }],
  });
  expect(daily.policies).toMatchObject({ overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: DAY });
  // Daily at 07:00 in Moscow: 04:00 UTC, a day apart.
  const everyDay = daily.info.nextActionTimes.map((t) => t.getTime());
  expect(everyDay.length).toBeGreaterThanOrEqual(2);
  for (const t of everyDay) expect(new Date(t).toISOString()).toMatch(/T04:00:00\.000Z$/);
  for (let i = 1; i < everyDay.length; i++) expect(everyDay[i]! - everyDay[i - 1]!).toBe(DAY);

  // The existing Schedules are still there.
  expect((await client.schedule.getHandle('reconciliation-weekly').describe()).action).toMatchObject({
    workflowType: 'reconciliationSweepWorkflow',
  });
});

test('notifications-deliver runs the outbox delivery every minute, never two at once, and a run delivers what is due', async () => {
  const handle = client.schedule.getHandle('notifications-deliver');
  const d = await handle.describe();
  expect(d.action).toMatchObject({
    type: 'startWorkflow',
    workflowType: 'notificationsDeliverWorkflow',
    workflowId: 'notifications-deliver',
    taskQueue,
  });
  expect(d.policies).toMatchObject({ overlap: ScheduleOverlapPolicy.SKIP });
  const next = d.info.nextActionTimes.map((t) => t.getTime());
  for (let i = 1; i < next.length; i++) expect(next[i]! - next[i - 1]!).toBe(60_000);

  // A row due in this file's own database, for a webhook subscription that no longer exists: the
  // triggered run claims it and records the failure on it (retried later, not dropped).
  const id = randomUUID();
  await db.notification.create({
    data: { id, key: `k-${id}`, channel: 'webhook', recipient: randomUUID(), template: 'offer', payload: { kind: 'offer' } },
  });
  const before = d.info.recentActions.length;
  await handle.trigger();
  await waitFor(async () => (await db.notification.findUniqueOrThrow({ where: { id } })).attempts === 1);
  const row = await db.notification.findUniqueOrThrow({ where: { id } });
  expect(row).toMatchObject({ status: 'pending', lastError: expect.stringMatching(/gone or inactive/) });
  expect((await handle.describe()).info.recentActions.length).toBeGreaterThan(before);
});

/** Triggers the Schedule and waits for the result of the run it started. */
async function triggerOnce<T>(scheduleId: string): Promise<T> {
  const handle = client.schedule.getHandle(scheduleId);
  const before = (await handle.describe()).info.recentActions.length;
  await handle.trigger();
  for (let i = 0; i < 100; i++) {
    const actions = (await handle.describe()).info.recentActions;
    if (actions.length > before)
      return client.workflow.getHandle<() => Promise<T>>(actions[actions.length - 1]!.action.workflow.workflowId).result();
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('the triggered run did not start');
}

test('the frequent sweeps fire at instants of their own in the minute, not side by side on the minute', async () => {
  const described = await Promise.all(
    ['intake-sweep', 'notifications-deliver', 'task-reminders', 'roster-sweep'].map(async (id) => {
      const [interval] = (await client.schedule.getHandle(id).describe()).spec.intervals ?? [];
      return { id, every: Number(interval?.every), offset: Number(interval?.offset ?? 0) };
    }),
  );
  expect(described.map((d) => d.offset < d.every)).toEqual([true, true, true, true]);
  // The second of the minute each fires at (the hourly alarms fire on the minute, as the intake sweep).
  const seconds = described.map((d) => (d.offset % 60_000) / 1000);
  expect(new Set(seconds).size).toBe(described.length);
});

test('task-reminders runs every 5 minutes and reminds each due task once', async () => {
  const schedule = await client.schedule.getHandle('task-reminders').describe();
  expect(schedule.spec.intervals).toEqual([expect.objectContaining({ every: 5 * 60_000 })]);
  expect(schedule.action).toMatchObject({
    type: 'startWorkflow',
    workflowType: 'taskReminderWorkflow',
    workflowId: 'task-reminders',
    taskQueue,
  });
  expect(schedule.policies).toMatchObject({ overlap: ScheduleOverlapPolicy.SKIP });

  const leadId = randomUUID();
  const task = (seq: number, dueAt: Date) => ({
    key: `${leadId}:${seq}`,
    leadId,
    assignee: 'manager:anna',
    kind: 'follow_up',
    title: 'call back',
    dueAt,
  });
  await db.task.createMany({ data: [task(1, new Date(Date.now() - 60_000)), task(2, new Date(Date.now() + DAY))] });
  expect(await triggerOnce<TaskReminderOutcome>('task-reminders')).toEqual({ reminded: 1, keys: [`${leadId}:1`] });
  expect((await db.task.findUnique({ where: { key: `${leadId}:1` } }))?.remindedAt).not.toBeNull();
  expect(await triggerOnce<TaskReminderOutcome>('task-reminders')).toEqual({ reminded: 0, keys: [] });
});

test('a triggered hourly run sweeps its kinds and opens the alarms it finds, once', async () => {
  const now = Date.now();
  const manager = `mgr-${randomUUID().slice(0, 8)}`;
  const lead = async (data: { managerId: string | null; stage: string; createdAt: Date }) => {
    const id = randomUUID();
    await db.lead.create({ data: { id, intakeKey: `test:${id}`, sourceChannel: 'web_form', stageChangedAt: data.createdAt, ...data } });
    return id;
  };
  const waiting = await lead({ managerId: null, stage: 'awaiting_first_contact', createdAt: new Date(now - 2 * HOUR) });
  const rotting = await lead({ managerId: manager, stage: 'qualifying', createdAt: new Date(now - 10 * DAY) });
  // A client who withdrew consent two days ago; the partner's order was due yesterday and is not confirmed.
  const withdrawn = await lead({ managerId: manager, stage: 'closed', createdAt: new Date(now - 20 * DAY) });
  const partner = `ptn-${randomUUID().slice(0, 8)}`;
  await db.task.create({
    data: {
      key: `${withdrawn}:9:${partner}`,
      leadId: withdrawn,
      assignee: `partner:${partner}`,
      kind: 'stop_contact',
      title: 'stop',
      dueAt: new Date(now - DAY),
      createdAt: new Date(now - 2 * DAY),
    },
  });

  const runOnce = async (): Promise<AlarmSweepOutcome> => {
    const handle = client.schedule.getHandle('alarms-hourly');
    const before = (await handle.describe()).info.recentActions.length;
    await handle.trigger();
    for (let i = 0; i < 100; i++) {
      const actions = (await handle.describe()).info.recentActions;
      if (actions.length > before)
        return client.workflow
          .getHandle<() => Promise<AlarmSweepOutcome>>(actions[actions.length - 1]!.action.workflow.workflowId)
          .result();
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error('the triggered run did not start');
  };

  const first = await runOnce();
  expect(first.results).toEqual([
    expect.objectContaining({
      kind: 'not_distributed',
      firing: ['all'],
      opened: [expect.objectContaining({ subject: 'all' })],
      notified: 1,
    }),
    expect.objectContaining({
      kind: 'leads_rotting',
      firing: [manager],
      opened: [expect.objectContaining({ subject: manager })],
      notified: 1,
    }),
    expect.objectContaining({
      kind: 'stop_contact_overdue',
      firing: [withdrawn],
      opened: [expect.objectContaining({ subject: withdrawn })],
      notified: 1,
    }),
  ]);
  const alarms = await db.alarm.findMany({ orderBy: { kind: 'asc' } });
  const named = (evidence: unknown) => (evidence as { leadIds?: string[] }).leadIds ?? (evidence as { partners: string[] }).partners;
  expect(alarms.map((a) => [a.kind, a.subject, a.state, named(a.evidence)])).toEqual([
    ['leads_rotting', manager, 'open', [rotting]],
    ['not_distributed', 'all', 'open', [waiting]],
    ['stop_contact_overdue', withdrawn, 'open', [partner]],
  ]);
  expect(notices.map((n) => n.id).sort()).toEqual(alarms.map((a) => a.id).sort());

  // The next run finds them open: nothing new, nobody told twice.
  const second = await runOnce();
  expect(second.results.map((r) => 'opened' in r && r.opened.length)).toEqual([0, 0, 0]);
  expect(await db.alarm.count()).toBe(3);
  expect(notices).toHaveLength(3);

  // The partner confirms, late: the lead's alarm is resolved by it, and the next run opens none.
  expect(
    await confirmStopContact(db, { leadId: withdrawn, partnerId: partner, actor: `partner:${partner}`, channel: 'api' }),
  ).toMatchObject({ ok: true, replayed: false });
  expect(await db.alarm.findFirstOrThrow({ where: { kind: 'stop_contact_overdue' } })).toMatchObject({
    state: 'resolved',
    resolvedBy: `partner:${partner}`,
  });
  const third = await runOnce();
  expect(third.results[2]).toMatchObject({ kind: 'stop_contact_overdue', firing: [], opened: [] });
});
