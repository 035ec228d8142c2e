// The request deadline (REQUEST_DEADLINE_MS, default 10 s): no request runs past it, whatever a
// dependency does. Three layers, so that a hung dependency becomes a 503 in time:
// - every Temporal call made for a request carries a gRPC deadline (Connection.withDeadline), and
//   the client's retries of an unavailable server stop when the next attempt would miss it (with
//   the interceptor below, which also keeps a deadline set by the code it calls within the request's);
// - the API's PostgreSQL pool gives up connecting and waiting for a query at the same point
//   (`databaseTimeouts`, applied by api/main.ts where the pool is made);
// - a timer answers 503 for whatever is still waiting just before the deadline.
// Dependencies get the deadline less a reserve, kept for turning their failure into an answer.
import { AsyncLocalStorage } from 'node:async_hooks';
import { type ConnectionOptions, defaultGrpcRetryOptions, makeGrpcRetryInterceptor, type Client } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import { dependencyUnavailable } from './problem';

export const DEFAULT_REQUEST_DEADLINE_MS = 10_000;

declare module 'fastify' {
  interface FastifyRequest {
    /** Epoch ms by which every dependency call made for this request must have answered. */
    dependencyDeadline?: number;
  }
}

/** The share of the deadline dependencies get: all but a reserve of a tenth (at most 1 s). */
export const dependencyBudgetMs = (deadlineMs: number) => deadlineMs - Math.min(1_000, Math.round(deadlineMs / 10));

/** pg pool settings that keep one database call within the dependencies' budget. */
export function databaseTimeouts(deadlineMs: number) {
  const ms = dependencyBudgetMs(deadlineMs);
  return { connectionTimeoutMillis: ms, queryTimeoutMillis: ms, statementTimeoutMillis: ms };
}

type GrpcInterceptor = NonNullable<ConnectionOptions['interceptors']>[number];

/** The request's dependency deadline, for the interceptor (which runs in the caller's context). */
const requestDeadline = new AsyncLocalStorage<number>();

/** The dependency deadline of the request being handled (epoch ms), for calls the interceptor does not see (api/core-starts.ts). */
export const currentRequestDeadline = (): number | undefined => requestDeadline.getStore();

/**
 * The SDK's retry of UNAVAILABLE (and other transient codes), which keeps retrying a dead server for
 * about 20 s and sleeps between attempts regardless of the call's deadline — so a call could end
 * seconds after it. This one retries the same way but only while the next attempt starts before
 * the deadline; past that the call fails with the last status (UNAVAILABLE: a 503 in time). Within
 * a request, a later deadline set by the code it calls (its own `withDeadline`) is cut to the
 * request's. Install it on the API's connection (api/main.ts).
 */
export function deadlineAwareRetryInterceptor(): GrpcInterceptor {
  const defaults = defaultGrpcRetryOptions();
  return (options, nextCall) => {
    const given = options.deadline === undefined ? Infinity : new Date(options.deadline).getTime();
    const deadline = Math.min(given, requestDeadline.getStore() ?? Infinity);
    let delay = 0;
    return makeGrpcRetryInterceptor({
      retryableDecider: (attempt, status) => {
        if (!defaults.retryableDecider(attempt, status)) return false;
        delay = defaults.delayFunction(attempt, status);
        return Date.now() + delay < deadline;
      },
      delayFunction: () => delay,
    })(Number.isFinite(deadline) ? { ...options, deadline } : options, nextCall);
  };
}

export function registerDeadline(app: FastifyInstance, temporal: Client, deadlineMs: number): void {
  const budget = dependencyBudgetMs(deadlineMs);
  // The backstop fires halfway through the reserve: after every dependency should have given up.
  const backstopMs = Math.round((budget + deadlineMs) / 2);
  const timers = new WeakMap<object, NodeJS.Timeout>();
  app.decorateRequest('dependencyDeadline', undefined);

  app.addHook('onRequest', async (req, reply) => {
    req.dependencyDeadline = Date.now() + budget;
    const timer = setTimeout(() => {
      if (reply.sent) return;
      req.log.warn({ deadlineMs }, 'request deadline reached: answering 503');
      void reply.send(dependencyUnavailable());
    }, backstopMs);
    timer.unref();
    timers.set(req, timer);
  });
  const clear = async (req: object) => clearTimeout(timers.get(req));
  app.addHook('onResponse', clear);
  app.addHook('onRequestAbort', clear);

  // Everything after this hook — the route's own preHandlers and the handler — runs inside the
  // connection's call context, so each Temporal call it makes carries the request's deadline. (A
  // callback hook: `done` runs inside the context, and the rest of the request continues from it.)
  app.addHook('preHandler', (req, _reply, done) => {
    const deadline = req.dependencyDeadline ?? Date.now() + budget;
    requestDeadline.run(deadline, () => void temporal.connection.withDeadline(deadline, async () => done()));
  });
}
