// One Prisma client per process, over the pg driver adapter (no native query engine), and the
// same pg pool for the few hot reads written as SQL (api/read-model.ts): one connection budget.
import { PrismaPg } from '@prisma/adapter-pg';
import { Pool } from 'pg';
import { PrismaClient } from '../generated/prisma/client';

export type Db = InstanceType<typeof PrismaClient>;

const pools = new WeakMap<Db, Pool>();

/** Bounds on waiting for PostgreSQL (none by default: the worker's activities have their own timeouts). */
export interface DbTimeouts {
  /** Give up getting a connection (new or from the pool) after this. */
  connectionTimeoutMillis?: number;
  /** Give up waiting for a query's answer after this (client side: also when the server hangs). */
  queryTimeoutMillis?: number;
  /** PostgreSQL cancels a statement running longer than this (server side). */
  statementTimeoutMillis?: number;
}

/**
 * `keepOpen`: connections the pool keeps through a lull — all of them by default. pg closes an idle
 * connection after 10 s, and the next burst paid to open it again: a backend forked, SCRAM's
 * PBKDF2 (about 4.5 ms of this process's CPU per connection on the bench's machine), the intake
 * function's plans made anew — on the requests that came first after a quiet spell.
 */
export function createDb(databaseUrl: string, poolSize = 10, timeouts: DbTimeouts = {}, keepOpen = poolSize): Db {
  const pool = new Pool({
    connectionString: databaseUrl,
    max: poolSize,
    min: Math.min(keepOpen, poolSize),
    connectionTimeoutMillis: timeouts.connectionTimeoutMillis,
    query_timeout: timeouts.queryTimeoutMillis,
    statement_timeout: timeouts.statementTimeoutMillis,
  });
  // An idle connection that PostgreSQL drops (a restart, an outage) is an 'error' event on the
  // pool; unheard, it would crash the process. The pool has already discarded that connection, and
  // the next query reports the outage to its caller (a 503 in the API, a retry in an activity).
  pool.on('error', () => undefined);
  // $disconnect() ends the pool too.
  const db = new PrismaClient({ adapter: new PrismaPg(pool, { disposeExternalPool: true }) });
  pools.set(db, pool);
  return db;
}

/** The pg pool under a client made by createDb. */
export function poolOf(db: Db): Pool {
  const pool = pools.get(db);
  if (!pool) throw new Error('poolOf: this Prisma client was not made by createDb');
  return pool;
}

/** Ids per IN list: well under PostgreSQL's bind-parameter limit (65,535), however many a query is given. */
export const IN_LIST_MAX = 1000;

/** `xs` in slices of at most `size`, one query each. */
export function inListChunks<T>(xs: readonly T[], size = IN_LIST_MAX): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += size) out.push(xs.slice(i, i + size));
  return out;
}
