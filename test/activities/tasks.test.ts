// Tasks in PostgreSQL: a newer task of the same kind supersedes the open one, a lead action does
// the tasks it stands for, and a due task is reminded once.
import { randomUUID } from 'node:crypto';
import type { Db } from '../../platform/db';
import { registryActivities } from '../../activities/registry';
import { dueTasksToRemind, taskActivities } from '../../activities/tasks';
import type { Transition, TransitionType } from '../../domain/lifecycle';
import { seedLead, testDb } from '../helpers/db';

let db: Db;
let acts: ReturnType<typeof registryActivities>;
beforeAll(() => {
  db = testDb();
  acts = registryActivities(db);
});
afterAll(async () => db?.$disconnect());

const model = { stage: 'qualifying', stale: false, optedOut: false };
const tr = (seq: number, type: TransitionType, reason?: string): Transition => ({
  seq,
  type,
  at: new Date(Date.UTC(2026, 0, 1, 10, seq)).toISOString(),
  from: 'awaiting_first_contact',
  to: 'qualifying',
  actor: 'sales:anna',
  reason,
});
const open = async (leadId: string) =>
  (await db.task.findMany({ where: { leadId, doneAt: null }, orderBy: { key: 'asc' } })).map((t) => t.key);

test('a newer task of the same kind, lead and assignee supersedes the open one; a retried create changes nothing', async () => {
  const leadId = randomUUID();
  const task = (seq: number, kind = 'reengagement', assignee = 'manager:anna') => ({
    key: `${leadId}:${seq}`,
    leadId,
    assignee,
    kind,
    title: `touch ${seq}`,
  });
  await acts.createTask(task(3));
  await acts.createTask(task(4, 'sla_reminder'));
  await acts.createTask(task(5, 'reengagement', 'manager:boris'));
  await acts.createTask(task(9));
  expect(await open(leadId)).toEqual([`${leadId}:4`, `${leadId}:5`, `${leadId}:9`]);
  expect(await db.task.findUnique({ where: { key: `${leadId}:3` } })).toMatchObject({ outcome: 'superseded', completedBy: 'system' });
  // The activity retried for the older task: it exists, so it neither reopens nor supersedes anything.
  await acts.createTask(task(3));
  expect(await open(leadId)).toEqual([`${leadId}:4`, `${leadId}:5`, `${leadId}:9`]);
});

test('a recorded contact does the contact tasks made before it; a partner’s answer does only its own offer', async () => {
  const leadId = await seedLead(db);
  const mk = (key: string, kind: string, assignee = 'manager:anna') =>
    acts.createTask({ key: `${leadId}:${key}`, leadId, assignee, kind, title: kind });
  await mk('2', 'first_contact');
  await mk('3', 'sla_escalation', 'team_lead:tatiana');
  await mk('4', 'request_consent');
  await mk('5:pa', 'offer', 'partner:pa');
  await mk('5:pb', 'offer', 'partner:pb');
  await mk('7', 'repeat_inquiry'); // made after the contact below (seq 6): still to do
  await acts.recordTransitions(leadId, [tr(6, 'contacted')], model);
  expect(await open(leadId)).toEqual([`${leadId}:4`, `${leadId}:5:pa`, `${leadId}:5:pb`, `${leadId}:7`]);
  expect(await db.task.findUnique({ where: { key: `${leadId}:2` } })).toMatchObject({
    outcome: 'contacted',
    completedBy: 'sales:anna',
    doneAt: new Date(Date.UTC(2026, 0, 1, 10, 6)),
  });

  await acts.recordTransitions(leadId, [tr(8, 'consent_given'), tr(9, 'partner_declined', 'pb: too busy')], model);
  expect(await open(leadId)).toEqual([`${leadId}:5:pa`, `${leadId}:7`]);
  // Retried: the same, nothing else closes.
  await acts.recordTransitions(leadId, [tr(8, 'consent_given'), tr(9, 'partner_declined', 'pb: too busy')], model);
  expect(await open(leadId)).toEqual([`${leadId}:5:pa`, `${leadId}:7`]);
});

test('a due task is reminded once; one not due, done or open-ended is not', async () => {
  const leadId = randomUUID();
  const now = new Date(Date.UTC(2030, 5, 1, 12, 0));
  const mk = (seq: number, dueAt?: Date, kind = `k${seq}`) =>
    acts.createTask({ key: `${leadId}:${seq}`, leadId, assignee: 'manager:anna', kind, title: 't', dueAt: dueAt?.toISOString() });
  await mk(1, new Date(now.getTime() - 60_000));
  await mk(2, new Date(now.getTime() + 60_000));
  await mk(3);
  await mk(4, new Date(now.getTime() - 120_000));
  await db.task.update({ where: { key: `${leadId}:4` }, data: { doneAt: new Date() } });
  const first = (await dueTasksToRemind(db, now, 100_000)).filter((t) => t.leadId === leadId);
  const dueAt = new Date(now.getTime() - 60_000).toISOString();
  expect(first).toEqual([{ key: `${leadId}:1`, leadId, assignee: 'manager:anna', kind: 'k1', title: 't', dueAt }]);
  expect((await db.task.findUnique({ where: { key: `${leadId}:1` } }))?.remindedAt).toEqual(now);
  expect((await dueTasksToRemind(db, now, 100_000)).filter((t) => t.leadId === leadId)).toEqual([]);
  // Later the second falls due, and only it is reminded.
  const later = (await dueTasksToRemind(db, new Date(now.getTime() + 120_000), 100_000)).filter((t) => t.leadId === leadId);
  expect(later.map((t) => t.key)).toEqual([`${leadId}:2`]);
});

test('a due task is announced once to its assignee (the outbox), in the same step that stamps it', async () => {
  const leadId = await seedLead(db);
  const managerId = `mgr-${randomUUID().slice(0, 8)}`;
  const email = `${managerId}@example.com`;
  await db.manager.create({ data: { id: managerId, name: 'Vera', email, expertise: [], territory: [] } });
  const key = `${leadId}:1:next1`;
  await db.task.create({
    data: {
      key,
      leadId,
      assignee: `manager:${managerId}`,
      kind: 'follow_up',
      title: 'Call back about the proposal',
      dueAt: new Date(Date.now() - 60_000),
    },
  });
  const remind = taskActivities(db).remindDueTasks;
  const first = await remind();
  expect(first.map((t) => t.key)).toContain(key);
  const rows = await db.notification.findMany({ where: { leadId } });
  expect(rows.map((r) => [r.key, r.channel, r.recipient, r.template])).toEqual([[`${key}:due:email:${email}`, 'email', email, 'task_due']]);
  expect((await remind()).map((t) => t.key)).not.toContain(key);
  expect(await db.notification.count({ where: { leadId } })).toBe(1);
});
