// Idempotency-Key for every POST and PATCH: the first answer is stored, and a repeat of the same
// request by the same caller gets that answer back (header `idempotent-replayed: true`) without
// running again. The key is the caller's (scoped by actor); reusing it for a different request
// is a 422. Routes that are idempotent by themselves declare `config: { idempotency: 'native' }`
// (intake keys on the partner's external id; staff actions pass the key as the Update id).
import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest, preHandlerAsyncHookHandler, preHandlerHookHandler } from 'fastify';
import { z } from 'zod';
import { text } from '../domain/text';
import type { Db } from '../platform/db';
import { HttpProblem, keyReusedResponse } from './problem';

export const IdempotencyHeaders = z.object({
  'idempotency-key': text(200, 1).optional().describe('Repeat the request with the same key to get the first answer, changing nothing'),
});

declare module 'fastify' {
  interface FastifyContextConfig {
    idempotency?: 'native';
  }
  interface FastifyRequest {
    idempotent?: { actor: string; key: string };
  }
}

/** A first request that never finished (its process died) stops blocking its key after this. */
const ABANDONED_AFTER_MS = 60_000;
/** How long an answer is kept for replay: far longer than any client's retry schedule. */
export const KEEP_ANSWERS_MS = 7 * 24 * 3_600_000;

export function registerIdempotency(app: FastifyInstance, db: Db): void {
  app.decorateRequest('idempotent', undefined);

  // Hourly, every API instance drops answers past their keeping time (an indexed, idempotent delete).
  const prune = () =>
    db.idempotentRequest
      .deleteMany({ where: { createdAt: { lt: new Date(Date.now() - KEEP_ANSWERS_MS) } } })
      .catch((err: unknown) => app.log.warn({ err }, 'pruning idempotency keys failed'));
  let pruning: NodeJS.Timeout | undefined;
  app.addHook('onReady', async () => {
    pruning = setInterval(() => void prune(), 3_600_000).unref();
  });
  app.addHook('onClose', async () => clearInterval(pruning));

  // Runs after the route's own preHandlers (authentication and the role check), so a refused
  // caller reserves nothing.
  const reserveOrReplay: preHandlerAsyncHookHandler = async function (req, reply) {
    const key = req.headers['idempotency-key'];
    if (typeof key !== 'string' || !key || !req.principal) return;
    const actor = req.principal.actor;
    const requestHash = createHash('sha256')
      .update(`${req.method} ${req.url}\n${JSON.stringify(req.body ?? null)}`)
      .digest('hex');
    const path = req.url.split('?')[0]!;
    const created = await db.idempotentRequest.createMany({
      data: [{ actor, key, method: req.method, path, requestHash }],
      skipDuplicates: true,
    });
    if (created.count === 1) {
      req.idempotent = { actor, key };
      return;
    }
    const first = await db.idempotentRequest.findUnique({ where: { actor_key: { actor, key } } });
    if (first && first.requestHash !== requestHash) {
      throw new HttpProblem(422, 'idempotency-key-reused', 'This Idempotency-Key was used for a different request', {
        detail: `${first.method === req.method && first.path === path ? 'the key was first used here with another body' : `the key was first used for ${first.method} ${first.path}`}; use a new key for a new request`,
      });
    }
    if (!first || first.status === null) {
      // Still running — unless its process died: then this request takes the key over.
      const took =
        first &&
        (await db.idempotentRequest.updateMany({
          where: { actor, key, status: null, createdAt: { lt: new Date(Date.now() - ABANDONED_AFTER_MS) } },
          data: { createdAt: new Date() },
        }));
      if (took?.count === 1) {
        req.idempotent = { actor, key };
        return;
      }
      throw new HttpProblem(409, 'idempotency-key-in-flight', 'A request with this Idempotency-Key is still being handled', {
        detail: 'retry in a moment to get its answer',
      });
    }
    return replay(reply, first.status, first.contentType, first.response);
  };

  app.addHook('onRoute', (route) => {
    const methods = ([] as string[]).concat(route.method);
    if (!methods.some((m) => m === 'POST' || m === 'PATCH') || route.config?.idempotency === 'native') return;
    const own = ([] as Array<preHandlerHookHandler | preHandlerAsyncHookHandler>).concat(route.preHandler ?? []);
    route.preHandler = [...own, reserveOrReplay] as preHandlerHookHandler[];
    if (route.schema && !route.schema.hide) {
      const headers = route.schema.headers as z.ZodObject | undefined;
      route.schema.headers = headers ? headers.extend(IdempotencyHeaders.shape) : IdempotencyHeaders;
      if (route.schema.response) route.schema.response = { ...(route.schema.response as object), 422: keyReusedResponse };
    }
  });

  // The answer is stored before it is sent, so a repeat that arrives after it sees it. A 5xx is
  // our fault, not an answer: the key is released and the client may retry.
  app.addHook('onSend', async (req: FastifyRequest, reply: FastifyReply, payload: unknown) => {
    const held = req.idempotent;
    if (!held) return payload;
    req.idempotent = undefined;
    const where = { actor_key: held };
    if (reply.statusCode >= 500) {
      await db.idempotentRequest.delete({ where }).catch(() => undefined);
    } else {
      await db.idempotentRequest.update({
        where,
        data: {
          status: reply.statusCode,
          response: typeof payload === 'string' ? payload : null,
          contentType: String(reply.getHeader('content-type') ?? ''),
          completedAt: new Date(),
        },
      });
    }
    return payload;
  });
}

function replay(reply: FastifyReply, status: number, contentType: string | null, body: string | null): FastifyReply {
  reply.header('idempotent-replayed', 'true').status(status);
  if (contentType) reply.type(contentType);
  return reply.send(body ?? '');
}
