// Liveness (/health: the process answers) and readiness (/ready: Temporal and PostgreSQL answer).
import type { Client } from '@temporalio/client';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Db } from '../../activities/db';

const Check = z.object({ ok: z.boolean(), ms: z.number(), error: z.string().optional() });
const Ready = z.object({ status: z.enum(['ready', 'unavailable']), checks: z.object({ temporal: Check, postgres: Check }) });

async function timed(fn: () => Promise<unknown>): Promise<z.infer<typeof Check>> {
  const t = performance.now();
  try {
    await Promise.race([fn(), new Promise((_, reject) => setTimeout(() => reject(new Error('timed out after 2 s')), 2000).unref())]);
    return { ok: true, ms: Math.round(performance.now() - t) };
  } catch (err) {
    return { ok: false, ms: Math.round(performance.now() - t), error: (err as Error).message };
  }
}

export const healthPlugin: FastifyPluginAsyncZod<{ db: Db; temporal: Client }> = async (app, { db, temporal }) => {
  app.get('/health', { schema: { tags: ['ops'], summary: 'Liveness', security: [], response: { 200: z.object({ status: z.literal('ok') }) } } }, async () => ({ status: 'ok' as const }));

  app.get('/ready', { schema: { tags: ['ops'], summary: 'Readiness: Temporal and PostgreSQL reachable', security: [], response: { 200: Ready, 503: Ready } } }, async (_req, reply) => {
    const [t, p] = await Promise.all([
      timed(() => temporal.workflowService.getSystemInfo({})),
      timed(() => db.$queryRaw`SELECT 1`),
    ]);
    const ready = t.ok && p.ok;
    return reply.status(ready ? 200 : 503).send({ status: ready ? 'ready' : 'unavailable', checks: { temporal: t, postgres: p } });
  });
};
