// `npm run bench:intake-profile`: what one POST /leads costs, call by call. Against the bench's
// own stack (bench/stack.ts) it builds the API in this process on an instrumented pg pool and an
// instrumented Temporal connection, takes in leads one at a time, and prints for one intake every
// database statement (and whether it ran in a transaction) and every gRPC call, with its time —
// then the mean count and time per kind over BENCH_PROFILE_N intakes (default 50). The response
// comes back before the onResponse hooks run: their statements are counted too (they are work
// the API does for the intake, on the same pool), marked "after".
import { randomInt, randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { InterceptingCall, type Listener, type StatusObject } from '@grpc/grpc-js';
import { Client, Connection } from '@temporalio/client';
import type { PoolClient } from 'pg';
import { createDb, poolOf } from '../platform/db';
import { codecFor, dataConverterOf } from '../platform/payload-codec';
import { buildApp } from '../api/app';
import { startStack } from './stack';

interface Call {
  kind: 'sql' | 'grpc';
  what: string;
  ms: number;
  after: boolean;
}

const log = (m: string) => console.log(`[profile] ${m}`);

/** The statement, shortened to what tells it apart (its first words and table). */
function shape(sql: string): string {
  const s = sql.replace(/\s+/g, ' ').trim();
  const m = /^(INSERT INTO \S+|UPDATE \S+|DELETE FROM \S+|SELECT .*? FROM \S+|BEGIN|COMMIT|ROLLBACK|SELECT[^,]*)/i.exec(s);
  return (m?.[1] ?? s).slice(0, 90).replace(/"public"\./g, '');
}

async function main(): Promise<void> {
  const n = Number(process.env.BENCH_PROFILE_N ?? 50);
  const stack = await startStack(log);
  const calls: Call[] = [];
  let after = false;
  try {
    await stack.db.manager.create({
      data: { id: `bench-mgr-${randomUUID().slice(0, 8)}`, name: 'Bench Manager', expertise: [], territory: [] },
    });
    const db = createDb(stack.databaseUrl, 10);
    // Every statement goes through a pooled client's query(): wrapped once per connection.
    poolOf(db).on('connect', (client: PoolClient) => {
      const query = client.query.bind(client) as (...args: unknown[]) => unknown;
      (client as unknown as { query: unknown }).query = (...args: unknown[]) => {
        const first = args[0] as string | { text?: string };
        const text = typeof first === 'string' ? first : (first?.text ?? '?');
        const t0 = performance.now();
        const record = () => calls.push({ kind: 'sql', what: shape(text), ms: performance.now() - t0, after });
        const cb = args[args.length - 1];
        if (typeof cb === 'function') {
          args[args.length - 1] = (...r: unknown[]) => {
            record();
            return (cb as (...x: unknown[]) => unknown)(...r);
          };
          return query(...args);
        }
        const out = query(...args) as Promise<unknown> | undefined;
        return out instanceof Promise ? out.finally(record) : out;
      };
    });
    const connection = await Connection.connect({
      address: stack.temporalAddress,
      interceptors: [
        (options, nextCall) => {
          const t0 = performance.now();
          const method = String(options.method_definition.path).split('/').pop()!;
          return new InterceptingCall(nextCall(options), {
            // A partial listener: its methods get (value, next), the rest pass through.
            start: (metadata, _listener, next) =>
              next(metadata, {
                onReceiveStatus: (status: StatusObject, nxt: (s: StatusObject) => void) => {
                  calls.push({ kind: 'grpc', what: method, ms: performance.now() - t0, after });
                  nxt(status);
                },
              } as Listener),
          });
        },
      ],
    });
    // Encrypting like the API in production (PAYLOAD_KEYS set by startStack): the lead key's INSERT is counted.
    const temporal = new Client({ connection, dataConverter: dataConverterOf(codecFor(db)) });
    const key = `profile-${randomUUID()}`;
    const app = await buildApp({
      db,
      temporal,
      taskQueue: stack.taskQueue,
      apiKeys: [{ key, role: 'sales', subject: 'bench' }],
      logLevel: 'warn',
      rateLimitPerMinute: 1e8,
    });
    const base = randomInt(0, 9_000_000);
    const intake = async (i: number) => {
      after = false;
      const res = await app.inject({
        method: 'POST',
        url: '/leads',
        headers: { 'x-api-key': key },
        payload: {
          source: { channel: 'web_form' },
          person: { name: 'Bench Person' },
          phone: `+7916${String(base + i).padStart(7, '0')}`,
          topic: 'crm',
        },
      });
      after = true;
      if (res.statusCode !== 201) throw new Error(`HTTP ${res.statusCode}: ${res.body.slice(0, 200)}`);
      await new Promise((r) => setTimeout(r, 50)); // the onResponse hooks
    };
    for (let i = 0; i < 20; i++) await intake(i); // warm: connections, prepared plans, JIT
    calls.length = 0;
    const t0 = performance.now();
    await intake(20);
    const oneMs = performance.now() - t0 - 50;
    console.log(`\nOne intake (POST /leads → 201 in ${oneMs.toFixed(1)} ms, in-process, serial):`);
    for (const c of calls) console.log(`  ${c.after ? 'after' : '     '} ${c.kind.padEnd(4)} ${c.ms.toFixed(2).padStart(7)} ms  ${c.what}`);

    calls.length = 0;
    const t1 = performance.now();
    for (let i = 0; i < n; i++) await intake(21 + i);
    const wall = performance.now() - t1 - n * 50;
    const byKind = new Map<string, { count: number; ms: number }>();
    for (const c of calls) {
      const k = `${c.after ? 'after ' : ''}${c.kind} ${c.what}`;
      const e = byKind.get(k) ?? { count: 0, ms: 0 };
      e.count += 1;
      e.ms += c.ms;
      byKind.set(k, e);
    }
    console.log(`\nPer intake, mean over ${n} (${(wall / n).toFixed(1)} ms each, serial):`);
    const sql = calls.filter((c) => c.kind === 'sql');
    const grpc = calls.filter((c) => c.kind === 'grpc');
    console.log(
      `  SQL round trips ${(sql.length / n).toFixed(2)} (${(sql.filter((c) => c.after).length / n).toFixed(2)} after the response), ` +
        `${(sql.reduce((s, c) => s + c.ms, 0) / n).toFixed(2)} ms; gRPC calls ${(grpc.length / n).toFixed(2)}, ${(grpc.reduce((s, c) => s + c.ms, 0) / n).toFixed(2)} ms`,
    );
    for (const [k, e] of [...byKind].sort((a, b) => b[1].ms - a[1].ms)) {
      console.log(`  ${(e.count / n).toFixed(2).padStart(5)} × ${(e.ms / e.count).toFixed(2).padStart(6)} ms  ${k}`);
    }
    await app.close();
    await connection.close();
    await db.$disconnect();
  } finally {
    await stack.stop();
  }
}

main().catch((err: unknown) => {
  console.error('[profile]', err);
  process.exitCode = 1;
});
