// Liveness (/health: the process answers) and readiness (/ready: Temporal and PostgreSQL answer).
// /ready is public, so it says only ok or not and how long each check took: the error itself
// (which names hosts and ports) goes to the log.
import type { Client } from '@temporalio/client';
import type { FastifyBaseLogger } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Db } from '../../platform/db';
import { RETRY_AFTER_S } from '../outage';

const Check = z.object({ ok: z.boolean(), ms: z.number() });
const Ready = z.object({ status: z.enum(['ready', 'unavailable']), checks: z.object({ temporal: Check, postgres: Check }) });

const CHECK_TIMEOUT_MS = 2000;

async function timed(name: string, log: FastifyBaseLogger, fn: () => Promise<unknown>): Promise<z.infer<typeof Check>> {
  const t = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    const late = new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer in ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS);
    });
    await Promise.race([fn(), late]);
    return { ok: true, ms: Math.round(performance.now() - t) };
  } catch (err) {
    log.warn({ err, dependency: name }, 'readiness check failed');
    return { ok: false, ms: Math.round(performance.now() - t) };
  } finally {
    clearTimeout(timer);
  }
}

export const healthPlugin: FastifyPluginAsyncZod<{ db: Db; temporal: Client }> = async (app, { db, temporal }) => {
  app.get(
    '/health',
    { schema: { tags: ['ops'], summary: 'Liveness', security: [], response: { 200: z.object({ status: z.literal('ok') }) } } },
    async () => ({ status: 'ok' as const }),
  );

  app.get(
    '/ready',
    {
      schema: {
        tags: ['ops'],
        summary: 'Readiness: Temporal and PostgreSQL reachable',
        security: [],
        response: { 200: Ready, 503: Ready },
      },
    },
    async (req, reply) => {
      const [t, p] = await Promise.all([
        // The gRPC deadline also stops the client's retries, so no check outlives the request.
        timed('temporal', req.log, () =>
          temporal.connection.withDeadline(Date.now() + CHECK_TIMEOUT_MS, () => temporal.workflowService.getSystemInfo({})),
        ),
        timed('postgres', req.log, () => db.$queryRaw`SELECT 1`),
      ]);
      const ready = t.ok && p.ok;
      if (!ready) reply.header('retry-after', String(RETRY_AFTER_S));
      return reply.status(ready ? 200 : 503).send({ status: ready ? 'ready' : 'unavailable', checks: { temporal: t, postgres: p } });
    },
  );
};
