// Which errors mean "a dependency is down" (a 503) and which stay ours (a 4xx or a 500). The shapes
// are those the drivers were seen to throw (test/api/outage.test.ts produces most of them for real).
import { ServiceError, WorkflowUpdateRPCTimeoutOrCancelledError } from '@temporalio/client';
import { dependencyDown } from '../../api/outage';

/** A gRPC status error as @grpc/grpc-js makes it. */
const grpc = (code: number, details: string) =>
  Object.assign(new Error(`${code} ${details}`), { code, details, metadata: { internalRepr: new Map() } });
const prisma = (code: string, cause?: Record<string, unknown>) =>
  Object.assign(new Error('Invalid `db.lead.findUnique()` invocation'), {
    name: 'PrismaClientKnownRequestError',
    code,
    meta: cause ? { driverAdapterError: { cause } } : {},
  });
const pgServer = (code: string, message: string) => Object.assign(new Error(message), { code, severity: 'FATAL' });

test('Temporal: unavailable, past the deadline or overloaded, also when wrapped by the client', () => {
  expect(dependencyDown(new ServiceError('Failed to query Workflow', { cause: grpc(14, 'No connection established') }))).toBe('temporal');
  expect(dependencyDown(new ServiceError('Failed to start Workflow', { cause: grpc(4, 'Deadline exceeded') }))).toBe('temporal');
  expect(dependencyDown(grpc(8, 'namespace rate limit exceeded'))).toBe('temporal');
  // Seen by the fault suite: a query right after Temporal restarted, before the worker polled again.
  expect(
    dependencyDown(
      new ServiceError('Failed to query Workflow', {
        cause: grpc(9, 'no poller seen for task queue recently, worker may be down'),
      }),
    ),
  ).toBe('temporal');
  expect(dependencyDown(new WorkflowUpdateRPCTimeoutOrCancelledError('Deadline exceeded', { cause: grpc(4, 'Deadline exceeded') }))).toBe(
    'temporal',
  );
});

test('Temporal: an answer about the request is not an outage', () => {
  expect(dependencyDown(new ServiceError('Failed to query Workflow', { cause: grpc(5, 'workflow not found') }))).toBeUndefined();
  expect(dependencyDown(grpc(3, 'invalid argument'))).toBeUndefined();
  expect(dependencyDown(grpc(9, 'workflow execution already completed'))).toBeUndefined();
  expect(dependencyDown(grpc(9, 'failed precondition'))).toBeUndefined();
});

test('PostgreSQL through Prisma: unreachable, closed, timed out, shutting down, no connection in time', () => {
  expect(dependencyDown(prisma('P1001', { kind: 'DatabaseNotReachable', host: '127.0.0.1', port: 5432 }))).toBe('postgres');
  expect(dependencyDown(prisma('P1017', { kind: 'ConnectionClosed' }))).toBe('postgres');
  expect(dependencyDown(prisma('P2024'))).toBe('postgres');
  expect(dependencyDown(prisma('P2028'))).toBe('postgres');
  // A raw query's failure is P2010 (and a model query's server error P2039): the SQLSTATE tells.
  expect(dependencyDown(prisma('P2010', { kind: 'postgres', originalCode: '57P01' }))).toBe('postgres');
  expect(dependencyDown(prisma('P2039', { kind: 'postgres', originalCode: '57P03' }))).toBe('postgres');
  // pg's own errors pass through Prisma unconverted.
  expect(dependencyDown(Object.assign(new Error('Connection terminated due to connection timeout'), { clientVersion: '7' }))).toBe(
    'postgres',
  );
  expect(dependencyDown(new Error('timeout exceeded when trying to connect'))).toBe('postgres');
});

test('PostgreSQL through pg: refused (also as an AggregateError of every address), terminated, read timeout', () => {
  expect(
    dependencyDown(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED', syscall: 'connect' })),
  ).toBe('postgres');
  const refused = (a: string) => Object.assign(new Error(`connect ECONNREFUSED ${a}`), { code: 'ECONNREFUSED' });
  expect(dependencyDown(new AggregateError([refused('::1:5432'), refused('127.0.0.1:5432')]))).toBe('postgres');
  expect(dependencyDown(pgServer('57P01', 'terminating connection due to administrator command'))).toBe('postgres');
  expect(dependencyDown(pgServer('08006', 'connection failure'))).toBe('postgres');
  expect(dependencyDown(new Error('Query read timeout'))).toBe('postgres');
});

test('PostgreSQL: a constraint, a bad value or our own bug is not an outage', () => {
  expect(dependencyDown(prisma('P2002', { kind: 'UniqueConstraintViolation' }))).toBeUndefined();
  expect(dependencyDown(prisma('P2010', { kind: 'postgres', originalCode: '42601' }))).toBeUndefined();
  expect(dependencyDown(pgServer('23505', 'duplicate key value violates unique constraint'))).toBeUndefined();
  expect(dependencyDown(new TypeError("Cannot read properties of undefined (reading 'id')"))).toBeUndefined();
  expect(dependencyDown(undefined)).toBeUndefined();
});
