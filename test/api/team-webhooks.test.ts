// A team's webhooks are addressed by its roster id (`team:<teams.id>`): subscribing names a team
// that exists (ops any, a team lead their own), a manager's tasks go to their team's
// subscriptions (managers.team_id), a team lead's to those of the teams they lead
// (teams.lead_id), and the migration moves the old `team:<teamLeadId>` subscriptions over.
import { readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { registryActivities } from '../../activities/registry';
import { migrate, migrationsDir } from '../../scripts/lib/migrate';
import { ensureDatabase } from '../../scripts/lib/postgres';
import { apiStack, type ApiStack, type Caller } from '../helpers/api';
import { seedLead, seedManager, uid } from '../helpers/db';

jest.setTimeout(60_000);

let s: ApiStack;
let tatiana: string;
let ownTeam: string;
let otherTeam: string;
const url = 'http://127.0.0.1:9/hooks'; // never called here

beforeAll(async () => {
  process.env.ALLOW_PRIVATE_WEBHOOKS = 'true';
  s = await apiStack();
  // The team-lead caller (subject "tatiana") on the roster; an earlier run or another test file may have made it.
  const find = () =>
    s.db.manager.findFirst({
      where: { OR: [{ apiSubject: 'tatiana' }, { id: 'tatiana' }] },
      orderBy: { apiSubject: 'asc' },
    });
  if (!(await find())) {
    const data = { id: uid('tatiana'), name: 'Tatiana', apiSubject: 'tatiana', active: false, expertise: [], territory: [] };
    await s.db.manager.create({ data }).catch(() => undefined);
  }
  tatiana = (await find())!.id;
  ownTeam = uid('north');
  otherTeam = uid('south');
  await s.db.team.createMany({
    data: [
      { id: ownTeam, name: 'North', leadId: tatiana },
      { id: otherTeam, name: 'South' },
    ],
  });
});
afterAll(async () => s?.close());

const subscribe = (who: Caller, payload: Record<string, unknown>) => s.inject({ who, method: 'POST', url: '/webhooks', payload });

test('subscribing a team: it must be a team of the roster (422 naming the field); ops any, a team lead only their own', async () => {
  const unknown = await subscribe('ops', { subscriber: `team:${uid('nosuch')}`, url });
  expect(unknown.statusCode).toBe(422);
  expect(unknown.headers['content-type']).toContain('application/problem+json');
  expect(unknown.json()).toMatchObject({ type: expect.stringContaining('unknown-team'), errors: [{ path: 'body.subscriber' }] });
  expect((await subscribe('team_lead', { subscriber: `team:${uid('nosuch')}`, url })).statusCode).toBe(422);
  // A team lead's id is not a team's: the old addressing is refused too.
  expect((await subscribe('ops', { subscriber: `team:${tatiana}`, url })).statusCode).toBe(422);
  const noPartner = await subscribe('ops', { subscriber: `partner:${uid('nosuch')}`, url });
  expect(noPartner.json()).toMatchObject({ type: expect.stringContaining('unknown-partner') });

  const byLead = await subscribe('team_lead', { subscriber: `team:${ownTeam}`, url });
  expect(byLead.statusCode).toBe(201);
  expect(byLead.json()).toMatchObject({ subscriber: `team:${ownTeam}`, secret: expect.any(String) });
  expect((await subscribe('team_lead', { subscriber: `team:${otherTeam}`, url })).statusCode).toBe(403);
  expect((await subscribe('team_lead', { subscriber: `partner:${s.partnerIds[0]}`, url })).statusCode).toBe(403);
  expect((await subscribe('team_lead', { url })).statusCode).toBe(400); // whose? a team lead must say
  expect((await subscribe('sales', { subscriber: `team:${ownTeam}`, url })).statusCode).toBe(403);
  expect((await subscribe('partner', { subscriber: `team:${ownTeam}`, url })).statusCode).toBe(403);
  const byOps = await subscribe('ops', { subscriber: `team:${otherTeam}`, url });
  expect(byOps.statusCode).toBe(201);

  // A team lead lists their own teams' subscriptions, not the others'.
  const listed = (await s.inject({ who: 'team_lead', method: 'GET', url: '/webhooks' })).json().items.map((x: { id: string }) => x.id);
  expect(listed).toContain(byLead.json().id);
  expect(listed).not.toContain(byOps.json().id);
  expect((await s.inject({ who: 'sales', method: 'GET', url: '/webhooks' })).statusCode).toBe(403);
});

test("a manager's tasks go to their team's webhooks (managers.team_id), a team lead's to the teams they lead (teams.lead_id)", async () => {
  const lead = await seedManager(s.db, { active: false });
  const team = uid('east');
  const second = uid('west');
  await s.db.team.createMany({
    data: [
      { id: team, name: 'East', leadId: lead },
      { id: second, name: 'West', leadId: lead },
    ],
  });
  const member = await seedManager(s.db, { active: false });
  await s.db.manager.update({ where: { id: member }, data: { teamId: team } });
  const loner = await seedManager(s.db, { active: false, teamLeadId: lead }); // a team lead but no team: no team's webhooks
  const subs = await s.db.webhookSubscription.createManyAndReturn({
    data: [
      { subscriber: `team:${team}`, url, secret: 'a' },
      { subscriber: `team:${second}`, url, secret: 'b' },
      { subscriber: `team:${lead}`, url, secret: 'c' }, // the old addressing, by the lead's id: matches nothing now
      { subscriber: `team:${otherTeam}`, url, secret: 'd' },
    ],
  });
  const [east, west] = subs;
  const leadId = await seedLead(s.db);
  const reg = registryActivities(s.db);
  await reg.createTask({ key: `${leadId}:1`, leadId, assignee: `manager:${member}`, kind: 'first_contact', title: 'Call' });
  await reg.createTask({ key: `${leadId}:2`, leadId, assignee: `team_lead:${lead}`, kind: 'sla_escalation', title: 'Escalation' });
  await reg.createTask({ key: `${leadId}:3`, leadId, assignee: `manager:${loner}`, kind: 'sla_reminder', title: 'Reminder' });
  const rows = await s.db.notification.findMany({ where: { leadId, channel: 'webhook' }, orderBy: { key: 'asc' } });
  expect(rows.map((r) => `${r.template} → ${r.recipient}`).sort()).toEqual(
    [`first_contact → ${east!.id}`, `sla_escalation → ${east!.id}`, `sla_escalation → ${west!.id}`].sort(),
  );
});

test('the migration moves team:<teamLeadId> subscriptions to the team that lead leads (a copy per team), and leaves the rest', async () => {
  // A database of its own, migrated, then given rows as they were before the move, and the move run again.
  const dbUrl = new URL(process.env.DATABASE_URL!);
  dbUrl.pathname = `/iso_${randomUUID().slice(0, 8)}`;
  await ensureDatabase(dbUrl.toString());
  await migrate(dbUrl.toString());
  const pg = new Client({ connectionString: dbUrl.toString() });
  await pg.connect();
  try {
    await pg.query(`INSERT INTO managers (id, name, expertise, territory) VALUES ('olga', 'Olga', '{}', '{}'), ('ivan', 'Ivan', '{}', '{}'),
      ('petr', 'Petr', '{}', '{}')`);
    await pg.query(`INSERT INTO teams (id, name, lead_id) VALUES
      ('moscow', 'Moscow', 'olga'), ('kazan', 'Kazan', 'olga'), ('spb', 'SPb', 'ivan'),
      ('petr', 'A team named like a manager', NULL)`);
    await pg.query(`INSERT INTO webhook_subscriptions (id, subscriber, url, secret, active) VALUES
      ('s-olga', 'team:olga', 'https://a.example/h', 'k1', true), ('s-ivan', 'team:ivan', 'https://b.example/h', 'k2', false),
      ('s-gone', 'team:nobody', 'https://c.example/h', 'k3', true), ('s-spb', 'team:spb', 'https://d.example/h', 'k4', true),
      ('s-petr', 'team:petr', 'https://e.example/h', 'k5', true), ('s-ptn', 'partner:olga', 'https://f.example/h', 'k6', true)`);
    const sql = readFileSync(`${migrationsDir()}/20261201010100_team_webhooks_by_team_id/migration.sql`, 'utf8');
    await pg.query(sql);
    const { rows } = await pg.query<{ id: string; subscriber: string; url: string; secret: string; active: boolean }>(
      'SELECT id, subscriber, url, secret, active FROM webhook_subscriptions ORDER BY subscriber, id',
    );
    const copy = rows.find((r) => r.subscriber === 'team:moscow')!;
    expect(copy.id).not.toBe('s-olga');
    expect(rows).toEqual([
      { id: 's-ptn', subscriber: 'partner:olga', url: 'https://f.example/h', secret: 'k6', active: true }, // a partner's: untouched
      { id: 's-olga', subscriber: 'team:kazan', url: 'https://a.example/h', secret: 'k1', active: true }, // olga leads kazan and moscow
      { id: copy.id, subscriber: 'team:moscow', url: 'https://a.example/h', secret: 'k1', active: true },
      { id: 's-gone', subscriber: 'team:nobody', url: 'https://c.example/h', secret: 'k3', active: true }, // no team to find: left
      { id: 's-petr', subscriber: 'team:petr', url: 'https://e.example/h', secret: 'k5', active: true }, // already a team's id
      { id: 's-ivan', subscriber: 'team:spb', url: 'https://b.example/h', secret: 'k2', active: false },
      { id: 's-spb', subscriber: 'team:spb', url: 'https://d.example/h', secret: 'k4', active: true },
    ]);
  } finally {
    await pg.end();
  }
});
