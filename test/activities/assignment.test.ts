// Manager assignment against a real PostgreSQL database of its own (the schemes compare all
// managers, so this file keeps other test files' managers out of the way).
import { randomUUID } from 'node:crypto';
import { assignmentActivities } from '../../activities/assignment';
import { poolOf, type Db } from '../../platform/db';
import { settleDecision } from '../../platform/decisions';
import { isolatedDb, seedLead, seedManager } from '../helpers/db';

let db: Db;

beforeAll(async () => {
  db = await isolatedDb();
});
afterAll(async () => db?.$disconnect());

beforeEach(async () => {
  await db.lead.updateMany({ data: { stage: 'closed' } }); // earlier tests' leads count as done
  await db.manager.updateMany({ data: { active: false } });
});

async function openLead(managerId: string | null, over: { companyKey?: string; topic?: string } = {}) {
  const id = await seedLead(db, over);
  await db.lead.update({ where: { id }, data: { managerId, stage: managerId ? 'qualifying' : 'received' } });
  return id;
}

test('least loaded: the manager with fewer open leads gets the next one', async () => {
  const a = await seedManager(db, { id: `a-${randomUUID().slice(0, 4)}` });
  const b = await seedManager(db, { id: `b-${randomUUID().slice(0, 4)}` });
  await openLead(a);
  await openLead(a);
  await openLead(b);
  const lead = await openLead(null);
  expect(await assignmentActivities(db, 'least_loaded').assignManager({ leadId: lead })).toMatchObject({
    managerId: b,
    reason: 'least loaded',
  });
});

test('one company never has two owners: its open leads go to the manager already working it', async () => {
  const a = await seedManager(db);
  await seedManager(db); // a less busy manager is available
  await openLead(a, { companyKey: 'romashka' });
  await openLead(a);
  await openLead(a); // a is busier, still gets the company
  const lead = await openLead(null, { companyKey: 'romashka' });
  expect(await assignmentActivities(db).assignManager({ leadId: lead })).toMatchObject({ managerId: a, reason: 'company owner' });
});

test('absent and inactive managers are skipped; nobody available means no assignment', async () => {
  const away = await seedManager(db);
  await db.manager.update({
    where: { id: away },
    data: { absentFrom: new Date(Date.now() - 86_400_000), absentTo: new Date(Date.now() + 86_400_000) },
  });
  await seedManager(db, { active: false });
  const lead = await openLead(null);
  expect(await assignmentActivities(db).assignManager({ leadId: lead })).toBeNull();
  const present = await seedManager(db);
  expect(await assignmentActivities(db).assignManager({ leadId: lead })).toMatchObject({ managerId: present });
  expect(await assignmentActivities(db).assignManager({ leadId: lead, exclude: [present] })).toBeNull();
});

test('expertise: a topic goes to the manager who knows it, else to the least loaded', async () => {
  const generalist = await seedManager(db);
  const expert = await seedManager(db, { expertise: ['erp'] });
  await openLead(expert);
  const erp = await openLead(null, { topic: 'erp' });
  expect(await assignmentActivities(db, 'expertise').assignManager({ leadId: erp })).toMatchObject({
    managerId: expert,
    reason: 'expertise/territory',
  });
  const other = await openLead(null, { topic: 'mobile' });
  expect(await assignmentActivities(db, 'expertise').assignManager({ leadId: other })).toMatchObject({
    managerId: generalist,
    reason: 'least loaded',
  });
});

test('round robin: managers take turns', async () => {
  const ids = [
    await seedManager(db, { id: `rr1-${randomUUID().slice(0, 4)}` }),
    await seedManager(db, { id: `rr2-${randomUUID().slice(0, 4)}` }),
  ].sort();
  const rr = assignmentActivities(db, 'round_robin');
  const picks: string[] = [];
  for (let i = 0; i < 4; i++) {
    const lead = await openLead(null);
    const a = await rr.assignManager({ leadId: lead });
    await db.lead.update({ where: { id: lead }, data: { managerId: a!.managerId } });
    picks.push(a!.managerId);
    await new Promise((r) => setTimeout(r, 5)); // distinct creation times
  }
  expect(new Set(picks)).toEqual(new Set(ids));
  expect(picks[0]).not.toBe(picks[1]);
  expect(picks[1]).not.toBe(picks[2]);
});

test('an unknown lead is a non-retryable failure, not an endless retry', async () => {
  await expect(assignmentActivities(db).assignManager({ leadId: randomUUID() })).rejects.toMatchObject({
    type: 'UnknownLead',
    nonRetryable: true,
  });
});

test('the roster: a manager away on an absence covering now, or full (open leads ≥ capacity), is skipped', async () => {
  const sick = await seedManager(db, { id: `sick-${randomUUID().slice(0, 4)}` });
  await db.managerAbsence.create({
    data: { id: randomUUID(), managerId: sick, kind: 'sick_leave', fromAt: new Date(Date.now() - 3_600_000), createdBy: 'ops:test' },
  });
  const full = await seedManager(db, { id: `full-${randomUUID().slice(0, 4)}` });
  await db.manager.update({ where: { id: full }, data: { capacity: 2 } });
  await openLead(full);
  await openLead(full);
  const lead = await openLead(null);
  expect(await assignmentActivities(db).assignManager({ leadId: lead })).toBeNull();

  // Room under the capacity again: the full one takes it.
  await db.manager.update({ where: { id: full }, data: { capacity: 3 } });
  expect(await assignmentActivities(db).assignManager({ leadId: lead })).toMatchObject({ managerId: full });
  await db.manager.update({ where: { id: full }, data: { active: false } });

  // Back from sick leave (the absence ended), or a vacation that is over or still to come: present.
  await db.managerAbsence.updateMany({ where: { managerId: sick }, data: { endedAt: new Date() } });
  await db.managerAbsence.create({
    data: {
      id: randomUUID(),
      managerId: sick,
      kind: 'vacation',
      fromAt: new Date(Date.now() + 86_400_000),
      untilAt: new Date(Date.now() + 5 * 86_400_000),
      createdBy: 'ops:test',
    },
  });
  expect(await assignmentActivities(db).assignManager({ leadId: lead })).toMatchObject({ managerId: sick });
  // A vacation covering now: away.
  await db.managerAbsence.create({
    data: {
      id: randomUUID(),
      managerId: sick,
      kind: 'vacation',
      fromAt: new Date(Date.now() - 86_400_000),
      untilAt: new Date(Date.now() + 86_400_000),
      createdBy: 'ops:test',
    },
  });
  expect(await assignmentActivities(db).assignManager({ leadId: lead })).toBeNull();
});

test("a manager's team lead is their own, else their team's lead", async () => {
  const lead = await seedManager(db);
  const teamId = `team-${randomUUID().slice(0, 6)}`;
  await db.team.create({ data: { id: teamId, name: 'North', leadId: lead } });
  await db.manager.update({ where: { id: lead }, data: { active: false } });
  const m = await seedManager(db);
  await db.manager.update({ where: { id: m }, data: { teamId } });
  const l = await openLead(null);
  expect(await assignmentActivities(db).assignManager({ leadId: l })).toMatchObject({ managerId: m, teamLeadId: lead });
});

// A lead's activities run inside its workflow task: a worker killed before that task completes
// loses their results, not their writes (the read model at this step's sequence number, the first
// task keyed by it), and the next worker runs the step again. The second run must get the manager
// the first one wrote down, although the loads have moved meanwhile (platform/decisions.ts).
test('a pick made under a key stands: the same step run again gets the same manager, whatever the loads say now', async () => {
  const a = await seedManager(db, { id: `a-${randomUUID().slice(0, 4)}` });
  const b = await seedManager(db, { id: `b-${randomUUID().slice(0, 4)}` });
  await openLead(b);
  const lead = await openLead(null);
  const acts = assignmentActivities(db, 'least_loaded');
  const first = await acts.assignManager({ leadId: lead, decision: 'assign@1.0/run' });
  expect(first).toMatchObject({ managerId: a, reason: 'least loaded' });

  // Meanwhile a takes two more leads: a fresh pick would now name b.
  await openLead(a);
  await openLead(a);
  expect(await acts.assignManager({ leadId: lead })).toMatchObject({ managerId: b });
  expect(await acts.assignManager({ leadId: lead, decision: 'assign@1.0/run' })).toEqual(first);
  // Another step (another key) is a decision of its own.
  expect(await acts.assignManager({ leadId: lead, decision: 'assign@1.1/run' })).toMatchObject({ managerId: b });
  expect(await db.leadDecision.count({ where: { leadId: lead } })).toBe(2);
});

test('"nobody free" under a key is a decision too; two attempts racing on one key agree', async () => {
  const lead = await openLead(null);
  const acts = assignmentActivities(db, 'least_loaded');
  expect(await acts.assignManager({ leadId: lead, decision: 'assign@1.0/run' })).toBeNull();
  const m = await seedManager(db);
  expect(await acts.assignManager({ leadId: lead, decision: 'assign@1.0/run' })).toBeNull();
  expect(await acts.assignManager({ leadId: lead, decision: 'assign@1.1/run' })).toMatchObject({ managerId: m });

  // Two attempts of one step at once (the first outlived its timeout) deciding differently: the
  // first recorded stands, and both answer it.
  const racing = await Promise.all(['a', 'b', 'c', 'd', 'e', 'f'].map((m) => settleDecision(db, lead, 'assign@2.0/run', { managerId: m })));
  expect(new Set(racing.map((r) => r.managerId)).size).toBe(1);
  expect((await db.leadDecision.findUniqueOrThrow({ where: { leadId_key: { leadId: lead, key: 'assign@2.0/run' } } })).result).toEqual(
    racing[0],
  );
  expect(await db.leadDecision.count({ where: { leadId: lead, key: 'assign@2.0/run' } })).toBe(1);
});

test("an attempt that waited on a racing attempt's uncommitted decision answers that decision once it commits", async () => {
  const lead = await openLead(null);
  const key = 'assign@3.0/run';
  // The racing attempt's insert, held uncommitted while this one settles: its INSERT waits on the
  // row, then does nothing, and its SELECT's snapshot is older than the commit.
  const racing = await poolOf(db).connect();
  try {
    await racing.query('BEGIN');
    await racing.query('INSERT INTO lead_decisions (lead_id, key, result) VALUES ($1, $2, $3::jsonb)', [
      lead,
      key,
      JSON.stringify({ managerId: 'first' }),
    ]);
    const settling = settleDecision(db, lead, key, { managerId: 'second' });
    await new Promise((r) => setTimeout(r, 300));
    const waiting = await poolOf(db).query<{ n: number }>(
      "SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%INSERT INTO lead_decisions%'",
    );
    expect(waiting.rows[0]!.n).toBe(1); // the race is on: this attempt waits for the other's row
    await racing.query('COMMIT');
    expect(await settling).toEqual({ managerId: 'first' });
  } finally {
    racing.release();
  }
});
