// Several API instances behind a load balancer share the caller's rate limit through PostgreSQL
// (RATE_LIMIT_STORE=postgres, api/rate-limit-store.ts); the default counts per instance.
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import type { Db } from '../../platform/db';
import { buildApp, type AppDeps } from '../../api/app';
import { testDb } from '../helpers/db';

let db: Db;
let connection: Connection;
const apps: FastifyInstance[] = [];
beforeAll(async () => {
  db = testDb();
  connection = Connection.lazy({ address: process.env.TEMPORAL_ADDRESS! });
});
afterAll(async () => {
  await Promise.all(apps.map((a) => a.close()));
  await connection?.close();
  await db?.$disconnect();
});

/** An API instance on the shared database, limiting each caller to `max` requests a minute. */
async function instance(key: string, max: number, store: AppDeps['rateLimitStore']): Promise<FastifyInstance> {
  const app = await buildApp({
    db,
    temporal: new Client({ connection }),
    taskQueue: 'unused',
    logLevel: 'silent',
    apiKeys: [{ key, role: 'sales', subject: 'anna' }],
    rateLimitPerMinute: max,
    rateLimitStore: store,
  });
  await app.ready();
  apps.push(app);
  return app;
}

const get = (app: FastifyInstance, key: string) => app.inject({ method: 'GET', url: '/leads?limit=1', headers: { 'x-api-key': key } });

test('two instances share one count per caller: the limit holds across them, and a 429 says when to retry', async () => {
  const key = `sales-${randomUUID()}`;
  const [a, b] = [await instance(key, 5, 'postgres'), await instance(key, 5, 'postgres')];
  const statuses: number[] = [];
  for (const app of [a, b, a, b, a]) statuses.push((await get(app, key)).statusCode);
  expect(statuses).toEqual([200, 200, 200, 200, 200]);
  // The sixth request in the minute is refused whichever instance gets it.
  const sixth = await get(b, key);
  expect(sixth.statusCode).toBe(429);
  expect(sixth.headers['content-type']).toContain('application/problem+json');
  expect(Number(sixth.headers['retry-after'])).toBeGreaterThan(0);
  expect(Number(sixth.headers['retry-after'])).toBeLessThanOrEqual(60);
  expect((await get(a, key)).statusCode).toBe(429);
  // Another caller has its own count.
  const other = `sales-${randomUUID()}`;
  const c = await instance(other, 5, 'postgres');
  expect((await get(c, other)).statusCode).toBe(200);
});

test('concurrent requests on two instances are counted exactly (one atomic upsert each)', async () => {
  const key = `sales-${randomUUID()}`;
  const [a, b] = [await instance(key, 20, 'postgres'), await instance(key, 20, 'postgres')];
  const res = await Promise.all(Array.from({ length: 30 }, (_, i) => get(i % 2 ? a : b, key)));
  expect(res.filter((r) => r.statusCode === 200)).toHaveLength(20);
  expect(res.filter((r) => r.statusCode === 429)).toHaveLength(10);
});

test('by default each instance counts on its own', async () => {
  const key = `sales-${randomUUID()}`;
  const [a, b] = [await instance(key, 2, undefined), await instance(key, 2, undefined)];
  expect([(await get(a, key)).statusCode, (await get(a, key)).statusCode, (await get(a, key)).statusCode]).toEqual([200, 200, 429]);
  expect((await get(b, key)).statusCode).toBe(200);
});
