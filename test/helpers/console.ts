// The console on the real stack, listening on a port for a real browser: its own migrated
// database (so the roster, and with it who gets each new lead, is exactly the one seeded here),
// the shared Temporal dev server, a worker, and the API with one key per person.
import { randomUUID } from 'node:crypto';
import { Client } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import type { Db } from '../../platform/db';
import { buildApp } from '../../api/app';
import type { ApiKey } from '../../api/auth';
import { isolatedDb, seedPartner } from './db';
import { devServerPair } from './temporal';

export type Person = 'anna' | 'tatiana' | 'oleg' | 'partnerA' | 'partnerB';

export interface ConsoleStack {
  url: string;
  app: FastifyInstance;
  db: Db;
  temporal: Client;
  keys: Record<Person, string>;
  partnerIds: [string, string];
  /** The API as `who` (JSON in, JSON out; read by field, as `res.json()` is in the API tests). */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  api(who: Person, method: 'GET' | 'POST', url: string, body?: unknown): Promise<{ status: number; json: any }>;
  close(): Promise<void>;
}

export interface ConsoleStackOptions {
  /** A dev server of the test's own (one with the Web UI) instead of the run's shared one. */
  temporalAddress?: string;
  /** The API's port, when something started before it must know its address (the Web UI's codec endpoint). */
  port?: number;
  /** Origins of a Web UI allowed to call /codec from a browser. */
  codecCorsOrigins?: string[];
}

/**
 * Roster: team "moscow" led by tatiana (who takes no leads herself: capacity 0), managers anna and
 * boris in it. With least-loaded assignment (ties by id) the first lead goes to anna. Partner A
 * (grade 5) takes the topic `crm`; partner B takes another.
 */
export async function consoleStack(opts: ConsoleStackOptions = {}): Promise<ConsoleStack> {
  const db = await isolatedDb();
  const run = randomUUID().slice(0, 8);
  const partnerIds: [string, string] = [`ptn-a-${run}`, `ptn-b-${run}`];
  await db.manager.create({ data: { id: 'tatiana', name: 'Tatiana Lead', capacity: 0, expertise: [], territory: [] } });
  await db.team.create({ data: { id: 'moscow', name: 'Moscow sales', leadId: 'tatiana' } });
  for (const [id, name] of [
    ['anna', 'Anna Ivanova'],
    ['boris', 'Boris Petrov'],
  ] as const) {
    await db.manager.create({ data: { id, name, teamId: 'moscow', teamLeadId: 'tatiana', expertise: [], territory: [] } });
  }
  await seedPartner(db, { id: partnerIds[0], expertise: ['crm'], grade: 5 });
  await seedPartner(db, { id: partnerIds[1], expertise: ['other'], grade: 1 });
  const keyOf: Record<Person, ApiKey> = {
    anna: { key: `anna-key-${run}-00000000`, role: 'sales', subject: 'anna' },
    tatiana: { key: `tatiana-key-${run}-000000`, role: 'team_lead', subject: 'tatiana' },
    oleg: { key: `oleg-key-${run}-00000000`, role: 'ops', subject: 'oleg' },
    partnerA: { key: `partner-a-${run}-0000000`, role: 'partner', subject: partnerIds[0] },
    partnerB: { key: `partner-b-${run}-0000000`, role: 'partner', subject: partnerIds[1] },
  };
  const stack = await listeningStack(db, keyOf, opts);
  return { ...stack, partnerIds };
}

/**
 * The console on an empty roster, with the keys `npm start` prints (demo-ops, demo-sales,
 * demo-partner): the newcomer's journey, where ops put the manager and the partner on the roster.
 */
export async function emptyConsoleStack(): Promise<
  Omit<ConsoleStack, 'keys' | 'partnerIds' | 'api'> & {
    keys: Record<DemoPerson, string>;
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    api(who: DemoPerson, method: 'GET' | 'POST', url: string, body?: unknown): Promise<{ status: number; json: any }>;
  }
> {
  const db = await isolatedDb();
  const run = randomUUID().slice(0, 8);
  const keyOf: Record<DemoPerson, ApiKey> = {
    ops: { key: `demo-ops-${run}-000000000`, role: 'ops', subject: 'demo-ops' },
    sales: { key: `demo-sales-${run}-0000000`, role: 'sales', subject: 'demo-sales' },
    partner: { key: `demo-partner-${run}-00000`, role: 'partner', subject: 'demo-partner' },
  };
  return listeningStack(db, keyOf);
}

export type DemoPerson = 'ops' | 'sales' | 'partner';

/** The API and console listening on a port, a worker on the shared dev server, one key per person. */
export async function listeningStack<P extends string>(
  db: Db,
  keyOf: Record<P, ApiKey>,
  o: ConsoleStackOptions & { rateLimitPerMinute?: number } = {},
) {
  const pair = await devServerPair(db, o.temporalAddress);
  const { worker, temporal } = pair;
  const app = await buildApp({
    db,
    temporal,
    taskQueue: worker.taskQueue,
    logLevel: 'silent',
    apiKeys: Object.values<ApiKey>(keyOf),
    rateLimitPerMinute: o.rateLimitPerMinute ?? 100_000,
    temporalUiUrl: 'http://temporal-ui.test:8233',
    codecCorsOrigins: o.codecCorsOrigins,
  });
  const url = await app.listen({ host: '127.0.0.1', port: o.port ?? 0 });
  const keys = Object.fromEntries(Object.entries<ApiKey>(keyOf).map(([k, v]) => [k, v.key])) as Record<P, string>;
  return {
    url,
    app,
    db,
    temporal,
    keys,
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    api: async (who: P, method: 'GET' | 'POST', path: string, body?: unknown): Promise<{ status: number; json: any }> => {
      const res = await app.inject({
        method,
        url: path,
        headers: { 'x-api-key': keys[who], ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        payload: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: res.statusCode, json: res.body ? JSON.parse(res.body) : null };
    },
    close: async () => {
      await app.close();
      await pair.close();
      await db.$disconnect();
    },
  };
}
