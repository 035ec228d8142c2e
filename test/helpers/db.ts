// Test data in the real PostgreSQL. Every test makes its own ids (and topics), so test files
// running side by side never see each other's rows.
import { randomUUID } from 'node:crypto';
import { createDb, type Db } from '../../platform/db';
import { migrate } from '../../scripts/lib/migrate';
import { ensureDatabase } from '../../scripts/lib/postgres';

export function testDb(): Db {
  return createDb(process.env.DATABASE_URL!, 4);
}

/**
 * A fresh, migrated database of its own, for tests whose subject compares all rows of a kind
 * (e.g. assignment over all managers), so test files running side by side cannot disturb them.
 */
export async function isolatedDb(): Promise<Db> {
  return (await isolatedDatabase()).db;
}

/** A database of its own, migrated, with its URL (for a process the test starts on it). */
export async function isolatedDatabase(): Promise<{ db: Db; url: string }> {
  const url = new URL(process.env.DATABASE_URL!);
  url.pathname = `/iso_${randomUUID().slice(0, 8)}`;
  await ensureDatabase(url.toString());
  await migrate(url.toString());
  return { db: createDb(url.toString(), 4), url: url.toString() };
}

export const uid = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`;

export async function seedManager(db: Db, m: { id?: string; teamLeadId?: string; active?: boolean; expertise?: string[] } = {}) {
  const id = m.id ?? uid('mgr');
  await db.manager.create({
    data: { id, name: id, teamLeadId: m.teamLeadId ?? null, active: m.active ?? true, expertise: m.expertise ?? [], territory: [] },
  });
  return id;
}

/** A team lead and `managers` managers under them (each takes leads); answers the team lead's id. */
export async function seedTeam(db: Db, managers: number): Promise<string> {
  const lead = await seedManager(db, { id: uid('teamlead') });
  for (let i = 0; i < managers; i++) await seedManager(db, { teamLeadId: lead });
  return lead;
}

export async function seedPartner(
  db: Db,
  p: { id?: string; expertise: string[]; grade?: number; capacity?: number; priceNicheMinor?: number; status?: string },
) {
  const id = p.id ?? uid('ptn');
  await db.partner.create({
    data: {
      id,
      name: id,
      expertise: p.expertise,
      regions: [],
      reserveFor: [],
      grade: p.grade ?? 3,
      capacity: p.capacity ?? 10,
      priceNicheMinor: p.priceNicheMinor === undefined ? null : BigInt(p.priceNicheMinor),
      status: p.status ?? 'active',
    },
  });
  return id;
}

/** A lead row as intake would have written it (the workflow's activities expect it). */
export async function seedLead(
  db: Db,
  l: { id?: string; sourceChannel?: string; partnerId?: string; topic?: string; companyKey?: string } = {},
) {
  const id = l.id ?? randomUUID();
  await db.lead.create({
    data: {
      id,
      intakeKey: `test:${id}`,
      sourceChannel: l.sourceChannel ?? 'web_form',
      sourcePartnerId: l.partnerId ?? null,
      personName: 'Test Person',
      phone: '+74950000000',
      email: `${id}@example.test`,
      topic: l.topic ?? null,
      companyKey: l.companyKey ?? null,
      stage: 'received',
    },
  });
  return id;
}
