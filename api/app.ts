// The Fastify application: zod as the single source of validation, serialisation and OpenAPI;
// problem+json errors; request ids in every response and log line.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import helmet from 'helmet';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { Client } from '@temporalio/client';
import Fastify, { type FastifyInstance } from 'fastify';
import { jsonSchemaTransform, serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { poolOf, type Db } from '../platform/db';
import { BusinessCalendar } from '../domain/calendar';
import type { LeadPolicyInput } from '../domain/policy';
import { IntakeService } from './intake';
import { intakeAdmission } from './admission';
import { healthPlugin } from './plugins/health';
import { leadsPlugin } from './plugins/leads';
import { createMetrics, metricsPlugin } from './plugins/metrics';
import { partnersPlugin } from './plugins/partners';
import { partnerGradesPlugin } from './plugins/partner-grades';
import { partnerReconciliationPlugin } from './plugins/partner-reconciliation';
import { ledgerPlugin } from './plugins/ledger';
import { alarmsPlugin } from './plugins/alarms';
import { reportsPlugin } from './plugins/reports';
import { rosterPlugin } from './plugins/roster';
import { notificationsPlugin } from './plugins/notifications';
import { tasksPlugin } from './plugins/tasks';
import { notificationPreferencesPlugin } from './plugins/notification-preferences';
import { stopContactPlugin } from './plugins/stop-contact';
import { codecPlugin } from './plugins/codec';
import { privacyPlugin } from './plugins/privacy';
import { policiesPlugin } from './plugins/policies';
import { PolicyCache } from '../platform/policies';
import { codecOf } from '../platform/payload-codec';
import { type ApiKey, keyLookup, registerAuth } from './auth';
import { CodecSessions } from './codec-session';
import { CONSOLE_CALL_HEADER, consolePlugin } from './console/plugin';
import { sameToken } from './console/session';
import { registerIdempotency } from './idempotency';
import { DEFAULT_REQUEST_DEADLINE_MS, registerDeadline } from './deadline';
import { registerStrictJson, unstorableTextPath } from './input';
import { pgRateLimitStore } from './rate-limit-store';
import { badRequest, HttpProblem, problemHandler, sendProblem } from './problem';
import type { Tracing } from '../platform/tracing';
import { registerRequestSpans } from './tracing';

export interface AppDeps {
  db: Db;
  temporal: Client;
  /** The client intake starts new leads' workflows with while it is up (api/core-starts.ts); `temporal` otherwise. */
  startClient?: () => Client | undefined;
  taskQueue: string;
  apiKeys: ApiKey[];
  policy?: LeadPolicyInput;
  logLevel?: string;
  /** Requests per minute per caller (API key, else address). */
  rateLimitPerMinute?: number;
  /**
   * Where the rate limit counts: `memory` (default) per instance, `postgres` in the database, shared
   * by every instance (api/rate-limit-store.ts; RATE_LIMIT_STORE).
   */
  rateLimitStore?: 'memory' | 'postgres';
  /** No request runs longer: a dependency that has not answered by then is a 503 (api/deadline.ts). */
  requestDeadlineMs?: number;
  /** Origins of the Temporal Web UI that may call the codec server from a browser. */
  codecCorsOrigins?: string[];
  /** The Temporal Web UI, for the console's link from each lead to its workflow (TEMPORAL_UI_URL). */
  temporalUiUrl?: string;
  temporalNamespace?: string;
  /** New leads waiting for their workflow beyond which intake answers 429 (api/admission.ts); 0 or unset: no limit. */
  intakeMaxBacklog?: number;
  /**
   * A span per request when tracing is on (platform/tracing.ts, OTEL_EXPORTER_OTLP_ENDPOINT); `temporal` should then
   * carry the tracing client interceptor, so that its calls are the request's children.
   */
  tracing?: Tracing;
}

/** The Web UI of `npm start` (scripts/start.ts), under either name of the machine. */
export const DEFAULT_UI_ORIGINS = ['http://127.0.0.1:8233', 'http://localhost:8233'];

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    logger: { level: deps.logLevel ?? 'info' },
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && /^[\w.-]{1,100}$/.test(given) ? given : randomUUID();
    },
    bodyLimit: 2 * 1024 * 1024,
    // Long path parameters reach the schema (a 400 that names the field), not a bare 414. (Under
    // routerOptions: as a top-level option Fastify 5 warns FSTDEP022 at every start.)
    routerOptions: { maxParamLength: 1000 },
    // A `__proto__` or `constructor.prototype` key is dropped like any other unknown key, instead
    // of failing the whole (well-formed) body as "not valid JSON"; either way it never reaches code.
    onProtoPoisoning: 'remove',
    onConstructorPoisoning: 'remove',
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler(problemHandler);
  // First, so that the span covers every other hook of the request.
  if (deps.tracing) registerRequestSpans(app, deps.tracing);
  registerStrictJson(app);
  // A known path asked with a method it does not have is a 405 with `Allow`, not a 404 — decided
  // when the request arrives, before any body is parsed (so even QUERY or TRACE get it).
  const routes: Array<{ pattern: RegExp; methods: string[]; static: boolean }> = [];
  app.addHook('onRoute', (r) => {
    const pattern = new RegExp(`^${r.url.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/:[A-Za-z]+/g, '[^/]+')}$`);
    routes.push({ pattern, methods: ([] as string[]).concat(r.method), static: !r.url.includes(':') });
  });
  const allowedOn = (path: string) => {
    const matches = routes.filter((r) => r.pattern.test(path));
    // A static path (/leads/batch) is its own resource, not an id of the parametric one beside it.
    const own = matches.some((r) => r.static) ? matches.filter((r) => r.static) : matches;
    return [...new Set(own.flatMap((r) => r.methods))].sort();
  };
  app.addHook('onRequest', async (req, reply) => {
    if (!req.is404) return;
    const path = req.url.split('?')[0]!;
    const allowed = allowedOn(path);
    if (!allowed.length) return;
    reply.header('allow', allowed.join(', '));
    return sendProblem(reply, req, {
      status: 405,
      kind: 'method-not-allowed',
      title: `${req.method} is not supported on ${path}`,
      detail: `allowed: ${allowed.join(', ')}`,
    });
  });
  app.setNotFoundHandler((req, reply) =>
    sendProblem(reply, req, { status: 404, kind: 'not-found', title: `No route ${req.method} ${req.url.split('?')[0]}` }),
  );
  app.addHook('onSend', async (req, reply) => {
    reply.header('x-request-id', req.id);
  });
  // Safety net under every schema: text PostgreSQL cannot store as given (NUL; a lone UTF-16
  // surrogate, which would become U+FFFD) is refused, naming the field. Checked after validation,
  // so unknown keys the schemas drop do not matter.
  app.addHook('preHandler', async (req) => {
    const bad = unstorableTextPath({ body: req.body, querystring: req.query, params: req.params });
    if (bad) throw badRequest([bad]);
  });

  // Security headers on every response, set by helmet's middleware built once here. (@fastify/helmet
  // built it anew on every request, parsing the CSP directives each time: about 12 KB of garbage
  // and a measurable share of a POST /leads's CPU, for headers that never change.)
  const securityHeaders = helmet({
    // The docs page (/docs) loads its own scripts and styles from this origin.
    contentSecurityPolicy: {
      directives: { defaultSrc: ["'self'"], scriptSrc: ["'self'"], styleSrc: ["'self'", "'unsafe-inline'"], imgSrc: ["'self'", 'data:'] },
    },
  });
  app.addHook('onRequest', (req, reply, done) => securityHeaders(req.raw, reply.raw, (err) => done(err as Error | undefined)));
  // A console page is one request against its person's limit, however many API calls it is made of:
  // its in-process calls after the first carry this token, which never leaves the process.
  const consoleCallToken = randomBytes(32).toString('base64url');
  await app.register(rateLimit, {
    max: deps.rateLimitPerMinute ?? 1200,
    // Shared by the instances in PostgreSQL; while PostgreSQL is out the limit lets requests through
    // (the routes that need the database answer 503 themselves, and the rest keep working).
    ...(deps.rateLimitStore === 'postgres' ? { store: pgRateLimitStore(poolOf(deps.db)), skipOnError: true } : {}),
    timeWindow: '1 minute',
    keyGenerator: (req) => {
      const key = req.headers['x-api-key'] ?? req.headers.authorization;
      return typeof key === 'string' ? `key:${createHash('sha256').update(key).digest('hex').slice(0, 16)}` : `ip:${req.ip}`;
    },
    allowList: (req) =>
      req.url === '/health' ||
      req.url === '/ready' ||
      req.url === '/metrics' ||
      sameToken(req.headers[CONSOLE_CALL_HEADER] as string | undefined, consoleCallToken),
    errorResponseBuilder: (_req, ctx) =>
      new HttpProblem(429, 'rate-limited', 'Too many requests', { detail: `limit ${ctx.max} per ${ctx.after}` }),
  });
  registerDeadline(app, deps.temporal, deps.requestDeadlineMs ?? DEFAULT_REQUEST_DEADLINE_MS);
  // The codec of the API's own client (one key cache); without it there is nothing to decode with, or to erase.
  const codec = codecOf(deps.temporal);
  const codecSessions = codec && new CodecSessions(codec.masters);
  registerAuth(app, deps.apiKeys, deps.db, codecSessions && ((req) => codecSessions.principalOf(req)));
  registerIdempotency(app, deps.db);

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Lead lifecycle engine',
        version: '0.1.0',
        description:
          'Every sales lead is a durable Temporal workflow: intake, assignment, SLA, qualification, consented partner hand-off, deal cycle, commission and re-engagement.',
      },
      tags: [
        { name: 'intake' },
        { name: 'leads' },
        { name: 'actions' },
        { name: 'money' },
        { name: 'partners' },
        { name: 'roster' },
        { name: 'tasks' },
        { name: 'ops' },
      ],
      components: { securitySchemes: { apiKey: { type: 'apiKey', in: 'header', name: 'x-api-key' } } },
      security: [{ apiKey: [] }],
    },
    transform: jsonSchemaTransform,
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  // The policy new leads start on: the one given (tests), else the versions stored (README, "Policy").
  const policies = deps.policy ? undefined : new PolicyCache(deps.db);
  if (policies) {
    await policies.start();
    app.addHook('onClose', async () => policies.stop());
  }
  const intake = new IntakeService(deps.db, deps.temporal, deps.taskQueue, deps.policy ?? policies, { startClient: deps.startClient });
  await app.register(healthPlugin, { db: deps.db, temporal: deps.temporal });
  const metrics = createMetrics(deps.db);
  await app.register(metricsPlugin, { metrics });
  const admission = deps.intakeMaxBacklog ? intakeAdmission(poolOf(deps.db), { maxBacklog: deps.intakeMaxBacklog }) : undefined;
  await app.register(leadsPlugin, { db: deps.db, temporal: deps.temporal, intake, metrics, admission });
  await app.register(partnersPlugin, { db: deps.db, temporal: deps.temporal, taskQueue: deps.taskQueue });
  await app.register(partnerGradesPlugin, { db: deps.db });
  await app.register(partnerReconciliationPlugin, { db: deps.db });
  await app.register(ledgerPlugin, { db: deps.db, temporal: deps.temporal, taskQueue: deps.taskQueue });
  await app.register(alarmsPlugin, { db: deps.db });
  await app.register(reportsPlugin, { db: deps.db });
  await app.register(rosterPlugin, { db: deps.db, temporal: deps.temporal });
  await app.register(notificationsPlugin, { db: deps.db, temporal: deps.temporal });
  await app.register(tasksPlugin, { db: deps.db });
  await app.register(notificationPreferencesPlugin, { db: deps.db });
  await app.register(stopContactPlugin, { db: deps.db });
  await app.register(policiesPlugin, { db: deps.db, temporal: deps.temporal, taskQueue: deps.taskQueue, cache: policies });
  if (codec && codecSessions) {
    await app.register(codecPlugin, {
      codec,
      corsOrigins: deps.codecCorsOrigins ?? DEFAULT_UI_ORIGINS,
      sessions: codecSessions,
      keyLookup: keyLookup(deps.apiKeys),
    });
    await app.register(privacyPlugin, { db: deps.db, temporal: deps.temporal, keys: codec.keys });
  }
  await app.register(consolePlugin, {
    db: deps.db,
    apiKeys: deps.apiKeys,
    temporalUiUrl: deps.temporalUiUrl,
    temporalNamespace: deps.temporalNamespace,
    callToken: consoleCallToken,
    calendar: deps.policy?.calendar ? BusinessCalendar.parse(deps.policy.calendar) : () => policies?.latest()?.policy.calendar,
  });
  return app;
}
