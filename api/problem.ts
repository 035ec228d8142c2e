// RFC 9457 problem details: every error the API returns is application/problem+json with a
// machine-readable `type`, so callers can act on it without parsing prose.
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { type Dependency, dependencyDown, RETRY_AFTER_S } from './outage';

export const Problem = z.object({
  type: z.string().describe('A URI identifying the kind of problem'),
  title: z.string(),
  status: z.number().int(),
  detail: z.string().optional(),
  instance: z.string().optional(),
  requestId: z.string().optional(),
  errors: z
    .array(z.object({ path: z.string(), message: z.string() }))
    .optional()
    .describe('Field-level problems, for 400'),
  reason: z.string().optional().describe('Why the lead refused the action, for 409'),
  dependency: z.enum(['postgres', 'temporal']).optional().describe('Which dependency is unavailable, for 503'),
});
export type Problem = z.infer<typeof Problem>;

const problemOf = (description: string) => ({ description, content: { 'application/problem+json': { schema: Problem } } });

/** Documented on every POST and PATCH (api/idempotency.ts). */
export const keyReusedResponse = problemOf('The Idempotency-Key was already used for a different request');

/** The error responses every route documents, as application/problem+json. */
export const problemResponses = {
  400: problemOf('The request is not valid: `errors` lists each field'),
  401: problemOf('No valid API key'),
  403: problemOf('The caller may not do this'),
  404: problemOf('Not found (or not visible to this caller)'),
  409: problemOf('The action does not fit the current state: `reason` says why'),
  413: problemOf('The body is too large'),
  415: problemOf('Unsupported content type'),
  429: problemOf('Too many requests'),
  503: problemOf('A dependency (database or workflow service) is unavailable: retry after `Retry-After` seconds'),
};

const BASE = 'https://lead-engine.dev/problems/';

export class HttpProblem extends Error {
  constructor(
    public readonly status: number,
    public readonly kind: string,
    public readonly title: string,
    public readonly extra: Partial<Problem> = {},
    public readonly headers: Record<string, string> = {},
  ) {
    super(title);
  }
}

/** Documented where a well-formed request can name something that does not exist (a manager, say). */
export const unprocessableResponse = problemOf('The request names something that does not exist: `errors` names the field');

export const notFound = (what: string) => new HttpProblem(404, 'not-found', `${what} not found`);
export const conflict = (reason: string) =>
  new HttpProblem(409, 'action-refused', 'The lead cannot take this action now', { reason, detail: reason });
/** 422: well-formed, but a field names something unknown (`kind` says what, e.g. unknown-manager). */
export const unprocessable = (kind: string, title: string, errors: { path: string; message: string }[]) =>
  new HttpProblem(422, kind, title, { errors, detail: errors.map((e) => `${e.path}: ${e.message}`).join('; ') });
export const badRequest = (errors: { path: string; message: string }[]) =>
  new HttpProblem(400, 'invalid-request', 'The request is not valid', {
    errors,
    detail: errors.map((e) => `${e.path}: ${e.message}`).join('; '),
  });

const DEPENDENCY_NAMES: Record<Dependency, string> = { postgres: 'The database', temporal: 'The workflow service' };

/**
 * 503: a dependency is down or did not answer within the request deadline. It names the dependency,
 * never its host, port or driver message (those go to the log). The change may or may not have
 * been made: a retry with the same Idempotency-Key is safe.
 */
export const dependencyUnavailable = (dependency?: Dependency) =>
  new HttpProblem(
    503,
    'dependency-unavailable',
    dependency ? `${DEPENDENCY_NAMES[dependency]} is unavailable` : 'A dependency did not answer in time',
    {
      dependency,
      detail: `retry after ${RETRY_AFTER_S} s; repeat a change with the same Idempotency-Key`,
    },
    { 'retry-after': String(RETRY_AFTER_S) },
  );

export function sendProblem(
  reply: FastifyReply,
  req: FastifyRequest,
  p: { status: number; kind: string; title: string } & Partial<Problem>,
): FastifyReply {
  const { status, kind, title, ...extra } = p;
  return reply
    .status(status)
    .type('application/problem+json')
    .send({ type: BASE + kind, title, status, instance: req.url, requestId: req.id, ...extra });
}

/** Fastify error handler: client mistakes are 4xx with a reason; only our own faults are 5xx. */
export function problemHandler(err: FastifyError | Error, req: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (err instanceof HttpProblem) {
    reply.headers(err.headers);
    return sendProblem(reply, req, { status: err.status, kind: err.kind, title: err.title, ...err.extra });
  }
  if (hasZodFastifySchemaValidationErrors(err)) {
    const errors = err.validation.map((v) => ({
      path: [err.validationContext, ...v.instancePath.split('/')].filter((x) => x !== undefined && x !== '').join('.'),
      message: v.message ?? 'invalid',
    }));
    return sendProblem(reply, req, {
      status: 400,
      kind: 'invalid-request',
      title: 'The request is not valid',
      errors,
      detail: errors.map((e) => `${e.path}: ${e.message}`).join('; '),
    });
  }
  const fe = err as FastifyError;
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    const kind =
      fe.statusCode === 429
        ? 'rate-limited'
        : fe.statusCode === 415
          ? 'unsupported-media-type'
          : fe.statusCode === 413
            ? 'payload-too-large'
            : 'invalid-request';
    return sendProblem(reply, req, { status: fe.statusCode, kind, title: fe.message, detail: fe.message });
  }
  const down = dependencyDown(err);
  if (down) {
    req.log.warn({ err, dependency: down }, 'dependency unavailable');
    return problemHandler(dependencyUnavailable(down), req, reply);
  }
  req.log.error({ err }, 'unhandled error');
  return sendProblem(reply, req, {
    status: 500,
    kind: 'internal',
    title: 'Internal error',
    detail: 'The error was logged with this request id',
  });
}
