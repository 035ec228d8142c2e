// Backpressure on intake (issue 16): while too many new leads wait for their workflow's first
// step, POST /leads answers 429 with Retry-After (problem+json) and stores nothing; once the
// worker has caught up, leads are taken again. The backlog here is made of leads registered while
// Temporal is unreachable (their workflow has not run either), on a database of its own.
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import type { Db } from '../../platform/db';
import { buildApp } from '../../api/app';
import { freePort } from '../../scripts/lib/ports';
import { isolatedDb } from '../helpers/db';
import { testDataConverter } from '../helpers/temporal';

const key = { key: `sales-key-${randomUUID()}`, role: 'sales' as const, subject: 'anna' };
let db: Db;
let down: Connection;
let app: FastifyInstance;

beforeAll(async () => {
  db = await isolatedDb();
  down = await Connection.lazy({ address: `127.0.0.1:${await freePort()}` });
  app = await buildApp({
    db,
    temporal: new Client({ connection: down, dataConverter: testDataConverter(db) }),
    taskQueue: 'admission',
    apiKeys: [key],
    logLevel: 'silent',
    rateLimitPerMinute: 100_000,
    intakeMaxBacklog: 2,
  });
});

afterAll(async () => {
  await app?.close();
  await down?.close();
  await db?.$disconnect();
});

const post = () =>
  app.inject({
    method: 'POST',
    url: '/leads',
    headers: { 'x-api-key': key.key },
    payload: {
      source: { channel: 'web_form' },
      person: { name: 'Ivan Petrov' },
      phone: `+7916${Math.floor(1_000_000 + Math.random() * 8_999_999)}`,
      email: `${randomUUID()}@example.com`,
      topic: 'crm',
    },
  });
const sampleWindow = () => new Promise((r) => setTimeout(r, 250)); // one backlog count stands for 200 ms

test(
  'with as many new leads waiting as the limit, intake answers 429 with Retry-After and stores nothing; ' +
    'once they are started, it takes leads again',
  async () => {
    expect((await post()).statusCode).toBe(202);
    await sampleWindow();
    expect((await post()).statusCode).toBe(202);
    await sampleWindow();

    const refused = await post();
    expect([refused.statusCode, refused.headers['retry-after'], refused.headers['content-type']]).toEqual([
      429,
      '1',
      expect.stringContaining('application/problem+json'),
    ]);
    expect(refused.json()).toMatchObject({
      type: expect.stringMatching(/intake-backlog$/),
      status: 429,
      detail: expect.stringContaining('2 new leads'),
    });
    expect(await db.lead.count()).toBe(2);

    // The worker caught up (their workflows ran their first step): new leads are welcome again.
    await db.lead.updateMany({ data: { workflowStartedAt: new Date() } });
    await sampleWindow();
    expect((await post()).statusCode).toBe(202);
    expect(await db.lead.count()).toBe(3);
  },
);
