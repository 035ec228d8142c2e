// Weekly reconciliation on the dev server: a partner's list with missing, extra and mismatched
// leads gives exactly those discrepancies, one dispute each, however often it runs; and the
// weekly Schedule that runs it is there after ensureSchedules.
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import type { Db } from '../../platform/db';
import { reconcilePartner } from '../../activities/reconciliation';
import { storeSentLeads } from '../../platform/repos/sent-leads';
import { reportIdOf, sweepPeriod } from '../../domain/reconcile';
import { ensureSchedules } from '../../platform/schedules';
import { reconciliationSweepWorkflow } from '../../workflows/reconciliation';
import { seedLead, seedPartner, testDb, uid } from '../helpers/db';
import { runWorker, testDataConverter, type RunningWorker } from '../helpers/temporal';

let db: Db;
let native: NativeConnection;
let connection: Connection;
let client: Client;
let worker: RunningWorker;

beforeAll(async () => {
  const address = process.env.TEMPORAL_ADDRESS!;
  db = testDb();
  native = await NativeConnection.connect({ address });
  worker = await runWorker(native, db);
  connection = await Connection.connect({ address });
  client = new Client({ connection, dataConverter: testDataConverter(db) });
});

afterAll(async () => {
  await worker?.stop();
  await native?.close();
  await connection?.close();
  await db?.$disconnect();
});

const DAY = 86_400_000;

/** A lead the partner sent us, as intake registers it (lead and inquiry under its intake key). */
async function received(partnerId: string, externalId: string, at: Date, contact: { phone?: string; email?: string } = {}) {
  const id = randomUUID();
  const intakeKey = `partner:${partnerId}:${externalId}`;
  await db.lead.create({
    data: {
      id,
      intakeKey,
      sourceChannel: 'partner',
      sourcePartnerId: partnerId,
      externalId,
      stage: 'awaiting_first_contact',
      createdAt: at,
      phone: contact.phone ?? null,
      email: contact.email ?? null,
    },
  });
  await db.inquiry.create({ data: { intakeKey, leadId: id, sourceChannel: 'partner', partnerId, receivedAt: at } });
  return id;
}

const sweep = () =>
  client.workflow.execute(reconciliationSweepWorkflow, {
    taskQueue: worker.taskQueue,
    workflowId: uid('reconciliation-test'),
    args: [{ periodDays: 7 }],
  });

test('the weekly sweep finds exactly the missing, extra and mismatched leads, with one dispute each, however often it runs', async () => {
  const partnerId = await seedPartner(db, { expertise: [uid('crm')] });
  const silent = await seedPartner(db, { expertise: [uid('crm')], status: 'leaving' }); // never uploaded a list
  const period = sweepPeriod(Date.now(), 7);
  const day = (n: number, hour = 10) => new Date(period.to.getTime() - n * DAY + hour * 3_600_000);

  // Ours: what reached us from the partner.
  const matched = await received(partnerId, 'M-1', day(5), { phone: '+79161234567', email: 'ivan@example.com' });
  const extra = await received(partnerId, 'X-1', day(3));
  const wrongPhone = await received(partnerId, 'P-1', day(4), { phone: '+79160000002' });
  const late = await received(partnerId, 'D-1', day(2));
  // A repeat inquiry attached to a lead we already had (from the web): received all the same.
  const known = await seedLead(db);
  await db.inquiry.create({
    data: {
      intakeKey: `partner:${partnerId}:R-1`,
      leadId: known,
      sourceChannel: 'partner',
      partnerId,
      duplicate: true,
      matchedOn: 'email',
      receivedAt: day(4),
    },
  });
  await received(partnerId, 'OLD-1', day(20)); // an earlier week: not this report's business

  // Theirs: the partner's list, as it wrote it.
  await storeSentLeads(db, partnerId, [
    { externalId: 'M-1', sentAt: day(5, 9), phone: '8 916 123-45-67', email: 'Ivan@Example.com' },
    { externalId: 'L-1', sentAt: day(4) }, // never arrived
    { externalId: 'P-1', sentAt: day(4), phone: '+7 916 000-00-01' },
    { externalId: 'D-1', sentAt: day(6) }, // arrived 4 days later
    { externalId: 'R-1', sentAt: day(4) },
    { externalId: 'OLD-1', sentAt: day(20) },
  ]);

  const first = await sweep();
  expect(first).toMatchObject({ from: period.from.toISOString(), to: period.to.toISOString() });
  const mine = first.partners.find((p) => p.partnerId === partnerId);
  expect(mine).toEqual({
    partnerId,
    reportId: reportIdOf(partnerId, period),
    submitted: 5,
    matched: 2,
    missing: 1,
    extra: 1,
    mismatched: 2,
    openDisputes: 4,
  });
  expect(first.partners.find((p) => p.partnerId === silent)).toEqual({ partnerId: silent, skipped: 'no sent-leads list uploaded' });

  const report = await db.reconciliationReport.findUniqueOrThrow({ where: { id: mine!.reportId } });
  expect(report.missing).toEqual([{ externalId: 'L-1', sentAt: day(4).toISOString() }]);
  expect(report.extra).toEqual([{ externalId: 'X-1', leadId: extra, receivedAt: day(3).toISOString() }]);
  expect(report.mismatched).toEqual([
    { externalId: 'D-1', leadId: late, sentAt: day(6).toISOString(), receivedAt: day(2).toISOString(), differs: ['date'] },
    { externalId: 'P-1', leadId: wrongPhone, sentAt: day(4).toISOString(), receivedAt: day(4).toISOString(), differs: ['phone'] },
  ]);
  const disputes = async () =>
    (await db.dispute.findMany({ where: { partnerId }, orderBy: { id: 'asc' } })).map((d) => [
      d.id,
      d.kind,
      d.externalId,
      d.leadId,
      d.status,
    ]);
  const opened = await disputes();
  expect(opened).toEqual([
    [`${report.id}:D-1`, 'mismatched', 'D-1', late, 'open'],
    [`${report.id}:L-1`, 'missing', 'L-1', null, 'open'],
    [`${report.id}:P-1`, 'mismatched', 'P-1', wrongPhone, 'open'],
    [`${report.id}:X-1`, 'extra', 'X-1', extra, 'open'],
  ]);
  expect(matched).toBeDefined();

  // Again, by the sweep and by the activity alone (a retry): the same report, the same disputes.
  await sweep();
  expect(await reconcilePartner(db, partnerId, period)).toEqual(mine);
  expect(await db.reconciliationReport.count({ where: { partnerId } })).toBe(1);
  expect(await disputes()).toEqual(opened);

  // The lost lead turns up after all: the next run closes that dispute and leaves the rest.
  await received(partnerId, 'L-1', day(4, 12));
  expect(await reconcilePartner(db, partnerId, period)).toMatchObject({ matched: 3, missing: 0, openDisputes: 3 });
  expect((await db.dispute.findUniqueOrThrow({ where: { id: `${report.id}:L-1` } })).status).toBe('resolved');
  expect(await db.dispute.count({ where: { partnerId } })).toBe(4);
});

test('ensureSchedules leaves one weekly reconciliation Schedule on the cluster, however often it runs', async () => {
  await ensureSchedules(client, worker.taskQueue);
  await ensureSchedules(client, worker.taskQueue); // the update path: already there
  const handle = client.schedule.getHandle('reconciliation-weekly');
  try {
    const d = await handle.describe();
    expect(d.spec.timezone).toBe('Europe/Moscow');
    expect(d.spec.calendars).toEqual([
      expect.objectContaining({
        dayOfWeek: [{ start: 'MONDAY', end: 'MONDAY', step: 1 }],
        hour: [{ start: 6, end: 6, step: 1 }],
        minute: [{ start: 0, end: 0, step: 1 }],
      }),
    ]);
    expect(d.action).toMatchObject({
      type: 'startWorkflow',
      workflowType: 'reconciliationSweepWorkflow',
      taskQueue: worker.taskQueue,
      args: [{ periodDays: 7 }],
    });
    // Weekly: every next run is a Monday 06:00 in Moscow (03:00 UTC), 7 days after the one before.
    const next = d.info.nextActionTimes.map((t) => t.getTime());
    expect(next.length).toBeGreaterThanOrEqual(2);
    for (const t of next) expect(new Date(t).toISOString()).toMatch(/T03:00:00\.000Z$/);
    for (const t of next) expect(new Date(t).getUTCDay()).toBe(1);
    for (let i = 1; i < next.length; i++) expect(next[i]! - next[i - 1]!).toBe(7 * DAY);
  } finally {
    await handle.delete(); // nothing of this test run fires on a Monday morning
  }
});
