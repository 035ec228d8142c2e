// Retention of personal data (activities/retention.ts) on PostgreSQL and the Temporal dev server:
// leads opted out past the retention period, or inactive for years, are announced to ops first
// and erased only once that notice is old enough.
import { Client, Connection } from '@temporalio/client';
import type { Db } from '../../platform/db';
import { erasureNoticeKey, retentionActivities } from '../../activities/retention';
import { defaultPrivacyPolicy } from '../../domain/policy';
import { scheduleSpecs } from '../../platform/schedules';
import { retentionSweepWorkflow } from '../../workflows/retention';
import { isolatedDb, seedLead } from '../helpers/db';
import { testDataConverter } from '../helpers/temporal';

let db: Db;
let connection: Connection;
let acts: ReturnType<typeof retentionActivities>;

beforeAll(async () => {
  db = await isolatedDb(); // the sweep judges every lead: other files' leads stay out of it
  connection = await Connection.connect({ address: process.env.TEMPORAL_ADDRESS! });
  acts = retentionActivities(db, { client: new Client({ connection, dataConverter: testDataConverter(db) }) });
});
afterAll(async () => {
  await connection?.close();
  await db?.$disconnect();
});

const DAY = 86_400_000;
const ago = (days: number) => new Date(Date.now() - days * DAY);

/** A lead closed by the client's opt-out `closedDaysAgo`, or one untouched for `idleDays`. */
async function optedOut(closedDaysAgo: number): Promise<string> {
  const id = await seedLead(db);
  await db.$executeRaw`UPDATE leads SET stage = 'closed', opted_out = true, stage_changed_at = ${ago(closedDaysAgo)} WHERE id = ${id}`;
  return id;
}
async function idle(idleDays: number): Promise<string> {
  const id = await seedLead(db);
  await db.$executeRaw`UPDATE leads SET stage = 'reengagement', updated_at = ${ago(idleDays)}, stage_changed_at = ${ago(idleDays)} WHERE id = ${id}`;
  return id;
}
const ids = (xs: Array<{ leadId: string }>) => xs.map((x) => x.leadId).sort();

test('the policy: opted-out data kept 30 days, inactive leads 3 years, ops told 14 days ahead', () => {
  expect(defaultPrivacyPolicy()).toEqual({ erasureAfterOptOutDays: 30, erasureAfterInactiveDays: 1095, noticeDays: 14 });
  const action = scheduleSpecs('q').find((s) => s.scheduleId === 'personal-data-retention')?.action as
    { workflowType?: unknown } | undefined;
  expect(action?.workflowType).toBe(retentionSweepWorkflow);
});

test('ops are told before erasure; erasure waits for the notice to be as old as the notice period', async () => {
  const pastDue = await optedOut(40); // due 10 days ago, never announced
  const soon = await optedOut(20); // due in 10 days: within the notice period
  const later = await optedOut(5); // due in 25 days: not yet
  const dormant = await idle(3 * 365 + 1); // inactive for more than 3 years
  const active = await seedLead(db);

  const first = await acts.retentionDue();
  expect(ids(first.notify)).toEqual([pastDue, soon, dormant].sort());
  expect(first.erase).toEqual([]); // nobody is erased without notice, not even past due
  expect(first.notify.find((d) => d.leadId === dormant)?.reason).toBe('inactive');
  for (const d of first.notify) await acts.noticeErasure(d);
  for (const d of first.notify) await acts.noticeErasure(d); // a retried activity: still one task
  const notices = await db.task.findMany({ where: { kind: 'erasure_due' }, orderBy: { key: 'asc' } });
  expect(notices.map((t) => [t.key, t.assignee, t.doneAt])).toEqual(
    [pastDue, soon, dormant].sort().map((id) => [erasureNoticeKey(id), 'ops', null]),
  );
  expect(notices.find((t) => t.leadId === soon)?.dueAt?.getTime()).toBeCloseTo(ago(20).getTime() + 30 * DAY, -5);

  // The next day: nothing new to announce, and the notices are too fresh to act on.
  expect(await acts.retentionDue()).toEqual({ notify: [], erase: [] });

  // Two weeks later (the notices backdated): the past-due leads go, the one not yet due stays.
  await db.$executeRaw`UPDATE tasks SET created_at = created_at - interval '15 days' WHERE kind = 'erasure_due'`;
  const due = await acts.retentionDue();
  expect([ids(due.notify), ids(due.erase)]).toEqual([[], [pastDue, dormant].sort()]);
  for (const d of due.erase) await acts.eraseLeadData(d);

  const rows = await db.lead.findMany({ where: { id: { in: [pastDue, soon, later, dormant, active] } } });
  const byId = new Map(rows.map((r) => [r.id, r]));
  expect(byId.get(pastDue)).toMatchObject({
    personName: null,
    phone: null,
    email: null,
    erasureReason: 'opt_out_retention',
    erasedAt: expect.any(Date),
  });
  expect(byId.get(dormant)).toMatchObject({ personName: null, erasureReason: 'inactive' });
  for (const kept of [soon, later, active]) expect(byId.get(kept)).toMatchObject({ personName: 'Test Person', erasedAt: null });
  expect(await db.leadDataKey.findUnique({ where: { leadId: pastDue } })).toMatchObject({ wrapped: null });
  expect(await db.task.findUnique({ where: { key: erasureNoticeKey(pastDue) } })).toMatchObject({
    outcome: 'erased',
    doneAt: expect.any(Date),
  });
  expect(await acts.retentionDue()).toEqual({ notify: [], erase: [] }); // erased leads are done with
});
