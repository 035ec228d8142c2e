// A dependency that is down is not our bug: while PostgreSQL or Temporal cannot answer, every route
// says so with a 503 `dependency-unavailable` naming which one, and `Retry-After`, instead of a 500
// (api/problem.ts). This module tells, from an error, whether it means a dependency is down.
// The errors recognised here are what the drivers were seen to throw with a real PostgreSQL stopped
// or hung and a real Temporal dev server killed (test/api/outage.test.ts); anything else stays a 500.
import { isGrpcServiceError, WorkflowUpdateRPCTimeoutOrCancelledError } from '@temporalio/client';

export type Dependency = 'postgres' | 'temporal';

/** What a client is told to wait before retrying: long enough for a restart, short enough to notice one. */
export const RETRY_AFTER_S = 5;

// gRPC status codes (@grpc/grpc-js `status`) that mean the Temporal service could not answer.
const GRPC_DEADLINE_EXCEEDED = 4;
const GRPC_RESOURCE_EXHAUSTED = 8;
const GRPC_UNAVAILABLE = 14;
const TEMPORAL_DOWN = new Set([GRPC_DEADLINE_EXCEEDED, GRPC_RESOURCE_EXHAUSTED, GRPC_UNAVAILABLE]);
// A query while no worker polls the lead's task queue (right after a restart of Temporal or the
// worker) is refused with FAILED_PRECONDITION: the lead's process cannot answer yet, like an outage.
const GRPC_FAILED_PRECONDITION = 9;
const NO_WORKER = /no poller seen|worker may be down/i;

// pg's own errors carry no code: a refused, reset or timed-out socket, a connection ended under a
// query, a pool that found no connection in time, a query that got no answer in time.
const PG_SOCKET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'EAI_AGAIN',
]);
const PG_MESSAGES =
  /Connection terminated|timeout exceeded when trying to connect|Query read timeout|connection error and is not queryable|Connection closed/i;
// SQLSTATE: class 08 (connection exception), 57P01–57P03 (shutdown, crash, "starting up"), 53300
// (too many connections), 57014 (statement_timeout: the request's deadline reached the database).
const isPgOutageState = (code: string) => code.startsWith('08') || /^57P0[1-3]$/.test(code) || code === '53300' || code === '57014';
// Prisma over the pg adapter: can't reach (P1001), timed out (P1008), closed (P1017), no connection
// from the pool (P2024), no transaction started in time (P2028), too many connections (P2037).
const PRISMA_DOWN = new Set(['P1001', 'P1002', 'P1008', 'P1017', 'P2024', 'P2028', 'P2037']);
const ADAPTER_DOWN_KINDS = new Set(['DatabaseNotReachable', 'ConnectionClosed', 'SocketTimeout', 'TooManyConnections']);

interface Coded {
  code?: unknown;
  message?: unknown;
  meta?: { driverAdapterError?: { cause?: { kind?: string; originalCode?: string } } };
  errors?: unknown[];
  cause?: unknown;
}

/** Which dependency this error says is down, if it says so. */
export function dependencyDown(err: unknown): Dependency | undefined {
  for (let e: unknown = err, depth = 0; e && typeof e === 'object' && depth < 5; e = (e as Coded).cause, depth++) {
    if (e instanceof WorkflowUpdateRPCTimeoutOrCancelledError) return 'temporal';
    if (isGrpcServiceError(e)) {
      if (TEMPORAL_DOWN.has(e.code)) return 'temporal';
      return e.code === GRPC_FAILED_PRECONDITION && NO_WORKER.test(e.details ?? e.message) ? 'temporal' : undefined;
    }
    if (isPostgresDown(e as Coded)) return 'postgres';
  }
  return undefined;
}

function isPostgresDown(e: Coded): boolean {
  const code = typeof e.code === 'string' ? e.code : '';
  if (PG_SOCKET_CODES.has(code) || (code.length === 5 && isPgOutageState(code))) return true;
  if (PRISMA_DOWN.has(code)) return true;
  const adapter = e.meta?.driverAdapterError?.cause;
  if (adapter && (ADAPTER_DOWN_KINDS.has(adapter.kind ?? '') || isPgOutageState(adapter.originalCode ?? ''))) return true;
  // Node reports a refused connection to each of a host's addresses as an AggregateError.
  if (Array.isArray(e.errors) && e.errors.some((x) => isPostgresDown(x as Coded))) return true;
  return typeof e.message === 'string' && PG_MESSAGES.test(e.message);
}
