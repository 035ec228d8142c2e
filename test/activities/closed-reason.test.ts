// Why a closed lead was closed is a column of the read model (leads.closed_reason): the workflow
// writes it with each flush, and the migration that added it filled it in from the audit trail.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Client } from 'pg';
import type { Db } from '../../platform/db';
import { registryActivities } from '../../activities/registry';
import type { Transition } from '../../domain/lifecycle';
import { migrate, migrationsDir } from '../../scripts/lib/migrate';
import { ensureDatabase } from '../../scripts/lib/postgres';
import { seedLead, testDb } from '../helpers/db';

let db: Db;
beforeAll(() => {
  db = testDb();
});
afterAll(async () => db?.$disconnect());

const closing = (seq: number): Transition => ({
  seq,
  type: 'closed',
  at: new Date(Date.UTC(2026, 0, 1, 10, seq)).toISOString(),
  from: 'qualifying',
  to: 'closed',
  actor: 'sales:anna',
  reason: 'non_target: no budget',
});
const reasonOf = async (id: string) => (await db.lead.findUniqueOrThrow({ where: { id }, select: { closedReason: true } })).closedReason;

test('a flush writes the closed reason; an open lead has none; an input from before the column leaves it as it is', async () => {
  const acts = registryActivities(db);
  const open = await seedLead(db);
  await acts.recordTransitions(open, [{ ...closing(1), type: 'contacted', to: 'qualifying', reason: undefined }], {
    stage: 'qualifying',
    stale: false,
    optedOut: false,
  });
  expect(await reasonOf(open)).toBeNull();

  const closed = await seedLead(db);
  await acts.recordTransitions(closed, [closing(1)], { stage: 'closed', stale: false, optedOut: false, closedReason: 'non_target' });
  expect(await reasonOf(closed)).toBe('non_target');
  // A flush scheduled by a worker that did not know the column yet: the reason stays.
  await acts.recordTransitions(closed, [{ ...closing(2), type: 'repeat_inquiry' }], { stage: 'closed', stale: false, optedOut: false });
  expect(await reasonOf(closed)).toBe('non_target');
});

test('the migration fills the reason of closed leads from their last closed event, and only known reasons', async () => {
  // A database of its own, migrated, then given rows as they were before the column, and the backfill run again.
  const url = new URL(process.env.DATABASE_URL!);
  url.pathname = `/iso_${randomUUID().slice(0, 8)}`;
  await ensureDatabase(url.toString());
  await migrate(url.toString());
  const pg = new Client({ connectionString: url.toString() });
  await pg.connect();
  try {
    const leads: Array<[string, string, Array<[string, string | null]>]> = [
      [
        'non-target',
        'closed',
        [
          ['contacted', null],
          ['closed', 'non_target: no budget'],
        ],
      ],
      ['opted-out', 'closed', [['closed', 'opted_out']]],
      ['erased', 'closed', [['closed', null]]], // its reasons were erased with the person's data: nothing to read
      ['prose', 'closed', [['closed', 'closed for good']]], // not a reason of the vocabulary: left null
      ['returned', 'closed', [['closed', 'attempts_exhausted: 12 re-engagement attempts']]],
      ['won', 'won', [['paid_in_full', null]]],
    ];
    const id = (name: string) => `${name}-${randomUUID().slice(0, 8)}`;
    const ids = new Map(leads.map(([name]) => [name, id(name)]));
    for (const [name, stage, events] of leads) {
      const leadId = ids.get(name)!;
      await pg.query('INSERT INTO leads (id, intake_key, source_channel, stage) VALUES ($1, $1, $2, $3)', [leadId, 'web_form', stage]);
      for (const [i, [type, reason]] of events.entries()) {
        await pg.query('INSERT INTO lead_events (lead_id, seq, type, stage, actor, reason, at) VALUES ($1, $2, $3, $4, $5, $6, now())', [
          leadId,
          i + 1,
          type,
          stage,
          'system',
          reason,
        ]);
      }
    }
    const sql = readFileSync(`${migrationsDir()}/20261203010000_lead_closed_reason/migration.sql`, 'utf8');
    await pg.query(sql.slice(sql.indexOf('UPDATE')));
    const { rows } = await pg.query<{ id: string; closed_reason: string | null }>('SELECT id, closed_reason FROM leads');
    const reasons = Object.fromEntries(leads.map(([name]) => [name, rows.find((r) => r.id === ids.get(name))!.closed_reason]));
    expect(reasons).toEqual({
      'non-target': 'non_target',
      'opted-out': 'opted_out',
      erased: null,
      prose: null,
      returned: 'attempts_exhausted',
      won: null,
    });
  } finally {
    await pg.end();
  }
});
