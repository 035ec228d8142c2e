// Intake starts new leads' workflows through the Rust core's connection once it is up, on the API
// client's own connection until then (api/core-starts.ts). Against the real dev server: which
// client started a lead is told by a client interceptor on each, and the started workflow is
// read back; the connection is retried until it comes up, and closing stops it; the core's own log
// lines go to the API's logger.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { type AddressInfo, connect, createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { Client, Connection, type WorkflowClientInterceptor } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import type { FastifyInstance } from 'fastify';
import type { Db } from '../../platform/db';
import { buildApp } from '../../api/app';
import { CoreStarts } from '../../api/core-starts';
import { leadBody } from '../helpers/api';
import { testDb } from '../helpers/db';
import { waitFor } from '../helpers/lead';
import { testDataConverter } from '../helpers/temporal';

const address = process.env.TEMPORAL_ADDRESS!;
const sales = { key: `sales-key-${randomUUID()}`, role: 'sales' as const, subject: 'anna' };
const taskQueue = `core-starts-${randomUUID().slice(0, 8)}`;

/** The workflow ids each client started. */
const startedBy = { api: [] as string[], core: [] as string[] };
const noting = (who: keyof typeof startedBy): WorkflowClientInterceptor => ({
  start: (input, next) => (startedBy[who].push(input.options.workflowId), next(input)),
});

const quiet = { info: () => undefined, warn: () => undefined };

let db: Db;
let connection: Connection;
let api: Client;
let core: CoreStarts | undefined;
let app: FastifyInstance;

beforeAll(async () => {
  db = testDb();
  connection = await Connection.connect({ address });
  const dataConverter = testDataConverter(db);
  api = new Client({ connection, dataConverter, interceptors: { workflow: [noting('api')] } });
  app = await buildApp({
    db,
    temporal: api,
    startClient: () => core?.client(),
    taskQueue,
    apiKeys: [sales],
    logLevel: 'silent',
    rateLimitPerMinute: 100_000,
  });
  // The core client shares the API client's data converter: one codec, one key cache.
  core = new CoreStarts(
    () => NativeConnection.connect({ address, grpcCompression: { codec: 'none' } }),
    (c) => new Client({ connection: c, dataConverter, interceptors: { workflow: [noting('core')] } }),
  );
});

afterAll(async () => {
  await app?.close();
  await core?.close();
  await connection?.close();
  await db?.$disconnect();
});

async function intake(): Promise<string> {
  const res = await app.inject({ method: 'POST', url: '/leads', headers: { 'x-api-key': sales.key }, payload: leadBody() });
  expect(res.statusCode).toBe(201);
  return res.json().workflowId;
}

test('before the core connection is up, intake starts on the API client; after, on the core client — the same workflow either way', async () => {
  const before = await intake();
  expect(startedBy).toEqual({ api: [before], core: [] });

  core!.start(quiet);
  await waitFor(async () => core!.client() !== undefined, 10_000);
  const after = await intake();
  expect(startedBy).toEqual({ api: [before], core: [after] });

  // Both are running leads with their encrypted input readable by the API's codec.
  for (const id of [before, after]) {
    const described = await api.workflow.getHandle(id).describe();
    expect({ type: described.type, status: described.status.name, taskQueue: described.taskQueue }).toEqual({
      type: 'leadWorkflow',
      status: 'RUNNING',
      taskQueue,
    });
  }
  const history = await api.workflow.getHandle(after).fetchHistory();
  const input = history.events![0]!.workflowExecutionStartedEventAttributes!.input!.payloads![0]!;
  expect(String(input.metadata!.encoding)).toBe('binary/encrypted');
});

test('a core connection that cannot be made is retried until it can, and told once', async () => {
  let attempts = 0;
  const said: string[] = [];
  const retried = new CoreStarts(
    async () => {
      if (++attempts <= 2) throw new Error('connection refused');
      return NativeConnection.connect({ address });
    },
    (c) => new Client({ connection: c }),
    50,
  ).start({ info: (_o, msg) => said.push(`info: ${msg}`), warn: (_o, msg) => said.push(`warn: ${msg}`) });
  try {
    expect(retried.client()).toBeUndefined();
    await waitFor(async () => retried.client() !== undefined, 10_000);
    expect(attempts).toBe(3);
    expect(said).toEqual([
      'warn: core connection to Temporal not up: intake starts through the API client until it is',
      'info: workflow starts go through the core connection',
    ]);
  } finally {
    await retried.close();
  }
  expect(retried.client()).toBeUndefined();
});

test('closed while connecting: the connection made afterwards is closed, never handed out', async () => {
  let made: NativeConnection | undefined;
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const closing = new CoreStarts(
    async () => {
      await gate;
      return (made = await NativeConnection.connect({ address }));
    },
    (c) => new Client({ connection: c }),
  ).start(quiet);
  await closing.close();
  release();
  await waitFor(async () => made !== undefined, 10_000);
  await new Promise((r) => setTimeout(r, 100));
  expect(closing.client()).toBeUndefined();
  // A closed NativeConnection refuses calls.
  await expect(made!.workflowService.getSystemInfo({})).rejects.toThrow();
});

test("the core's log lines reach the API's logger as JSON (a retried start while Temporal is unreachable), not the core's console", async () => {
  // A TCP proxy to the dev server, closed once the core has connected through it.
  const sockets = new Set<Socket>();
  const proxy = createServer((c) => {
    const [host, port] = address.split(':');
    const up = connect(Number(port), host);
    for (const s of [c, up]) {
      sockets.add(s);
      s.on('error', () => undefined).on('close', () => sockets.delete(s));
    }
    c.pipe(up).pipe(c);
  });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
  const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, '../helpers/core-log-child.ts')], {
    env: { ...process.env, CORE_ADDRESS: `127.0.0.1:${(proxy.address() as AddressInfo).port}` },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', r));
  try {
    await waitFor(async () => out.includes('connected\n'), 30_000);
    const closed = new Promise<void>((r) => proxy.close(() => r()));
    for (const s of sockets) s.destroy();
    await closed;
    child.stdin.write('start\n');
    expect(await exited).toBe(0);
  } finally {
    child.kill();
    if (proxy.listening) proxy.close();
  }
  const lines = out
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as { level: string; from?: string; msg: string });
  expect(lines).toContainEqual(expect.objectContaining({ level: 'warn', from: 'temporal-core', msg: expect.stringMatching(/retried/) }));
  // Nothing in the core's own console format (its ANSI-coloured `WARN temporalio_client::retry` lines).
  expect(err).not.toMatch(/temporalio_client::retry/);
});
