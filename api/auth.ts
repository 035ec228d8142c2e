// Who is calling: API keys (`x-api-key` or `Authorization: Bearer`) mapped to a role and a
// subject (a manager id, a partner id, …). Roles decide what a caller may do; a partner sees
// only the leads offered to it. Every change is audited.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { poolOf, type Db } from '../platform/db';
import { HttpProblem, notFound } from './problem';

export const Role = z.enum(['sales', 'team_lead', 'ops', 'partner', 'admin']);
export type Role = z.infer<typeof Role>;

export interface Principal {
  role: Role;
  subject: string;
  actor: string;
}

export const ApiKey = z.object({ key: z.string().min(16), role: Role, subject: z.string().min(1).max(64) });
export type ApiKey = z.infer<typeof ApiKey>;

/** `API_KEYS="<key>:<role>:<subject>,…"` (keys of at least 16 characters). */
export function parseApiKeys(spec: string | undefined): ApiKey[] {
  if (!spec) return [];
  return spec
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean)
    .map((entry) => {
      const [key, role, subject] = entry.split(':');
      const parsed = ApiKey.safeParse({ key, role, subject });
      if (!parsed.success)
        throw new Error(`API_KEYS entry "${entry.slice(0, 4)}…" is not <key ≥16 chars>:<${Role.options.join('|')}>:<subject>`);
      return parsed.data;
    });
}

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
    /** The caller's pending audit_log row, completed with the status after the response. */
    auditId?: string;
    /** The status a route that audits in its own transaction wrote on its row (`config.audit`). */
    auditedStatus?: number;
  }
  interface FastifyContextConfig {
    /**
     * 'in-handler': the handler writes the request's audit_log row in the transaction of its change,
     * with the status it expects to answer, and sets `auditId` and `auditedStatus` (intake: the row
     * costs no round trip of its own). The hooks below complete it only if the answer differs, and
     * write the whole row after the response for a request that never got that far (refused, failed).
     */
    audit?: 'in-handler';
  }
}

const digest = (s: string) => createHash('sha256').update(s).digest();
// A partner's inbound webhook carries a signature instead of an API key (api/plugins/notifications.ts).
const PUBLIC = [
  /^\/codec\/login$/,
  /^\/health$/,
  /^\/ready$/,
  /^\/docs(\/|$)/,
  /^\/openapi\.json$/,
  /^\/metrics$/,
  /^\/partners\/[^/]+\/webhook$/,
  // The browser console has its own sign-in (a session cookie) and calls the API with the person's key.
  /^\/app(\/|$|\?)/,
];

export const unauthorized = () => new HttpProblem(401, 'unauthorized', 'An API key is required (x-api-key or Authorization: Bearer)');
export const forbidden = (why: string) => new HttpProblem(403, 'forbidden', 'Not allowed for this caller', { detail: why });

/** A role check made by `allow()`: registerAuth runs it when the request arrives (see there). */
const ROLE_CHECK = Symbol('role check');
type RoleCheck = ((req: FastifyRequest) => Promise<void>) & { [ROLE_CHECK]?: true };

/** The caller an API key names, compared in constant time per key; undefined for an unknown key. */
export function keyLookup(keys: ApiKey[]): (key: string) => Principal | undefined {
  const table = keys.map((k) => ({ ...k, hash: digest(k.key) }));
  return (key) => {
    const h = digest(key);
    const found = table.find((k) => timingSafeEqual(k.hash, h));
    return found && { role: found.role, subject: found.subject, actor: `${found.role}:${found.subject}` };
  };
}

/**
 * `sessionOf`: a caller known by other means than a key header — the codec server's browser
 * session (api/codec-session.ts) — used only when the request carries no key.
 */
export function registerAuth(
  app: FastifyInstance,
  keys: ApiKey[],
  db: Db,
  sessionOf?: (req: FastifyRequest) => Principal | undefined,
): void {
  const lookup = keyLookup(keys);
  const pool = poolOf(db);
  app.decorateRequest('principal', undefined);
  app.decorateRequest('auditId', undefined);
  app.decorateRequest('auditedStatus', undefined);

  app.addHook('onRequest', async (req) => {
    const path = req.url.split('?')[0]!;
    if (PUBLIC.some((p) => p.test(path))) return;
    // A browser's CORS preflight to the codec server carries no credentials (api/plugins/codec.ts).
    if (req.method === 'OPTIONS' && path.startsWith('/codec/')) return;
    const header = req.headers['x-api-key'] ?? req.headers.authorization?.replace(/^Bearer\s+/i, '');
    const found = typeof header === 'string' && header ? lookup(header) : sessionOf?.(req);
    if (!found) throw unauthorized();
    req.principal = found;
    await beginAudit(pool, req);
  });

  app.addHook('onResponse', async (req: FastifyRequest, reply: FastifyReply) => {
    if (req.auditId === undefined) {
      // A route auditing in its handler that did not get that far (refused, invalid, failed): its
      // attempt is recorded now, whole. Nothing was changed, so nothing went unaudited meanwhile.
      if (!req.principal || !audited(req) || !inHandler(req)) return;
      const p = req.principal;
      await pool
        .query({
          name: 'audit-whole',
          text: "INSERT INTO audit_log (at, actor, role, method, path, status, request_id, lead_id) VALUES (now() AT TIME ZONE 'UTC', $1, $2, $3, $4, $5, $6, $7)",
          values: [p.actor, p.role, req.method, req.url.split('?')[0]!, reply.statusCode, req.id, leadIdOf(req) ?? null],
        })
        .catch((err: unknown) =>
          req.log.error({ err, status: reply.statusCode }, 'audit of a refused or failed request could not be written'),
        );
      return;
    }
    if (req.auditedStatus === reply.statusCode) return; // written with its change, status and all
    await pool
      .query({ name: 'audit-end', text: 'UPDATE audit_log SET status = $1 WHERE id = $2', values: [reply.statusCode, req.auditId] })
      .catch((err: unknown) =>
        req.log.error({ err, auditId: req.auditId, status: reply.statusCode }, 'audit completion failed: the row stays pending'),
      );
  });

  // Routes declare their roles as `preHandler: allow(…)`, next to the handler. The check needs
  // only the caller, so it is moved to run when the request arrives: a caller who may not use a
  // route learns that (403) before its body is parsed or validated (not a 400 about a body it
  // could never send), and before anything is reserved for it.
  app.addHook('onRoute', (route) => {
    const pre = ([] as unknown[]).concat(route.preHandler ?? []);
    const checks = pre.filter((h): h is RoleCheck => typeof h === 'function' && (h as RoleCheck)[ROLE_CHECK] === true);
    if (!checks.length) return;
    route.preHandler = pre.filter((h) => !checks.includes(h as RoleCheck)) as typeof route.preHandler;
    route.onRequest = [...([] as unknown[]).concat(route.onRequest ?? []), ...checks] as typeof route.onRequest;
  });
}

// An accepted change is audited, or it is refused. The audit row is written *before* anything
// else happens (status NULL: pending) and completed with the status after the response. If the
// row cannot be written — PostgreSQL is down — the request stops here with a 503 and nothing is
// done; if the completion fails (PostgreSQL went down meanwhile), the row stays pending, which
// still records who attempted what and when. (Writing it after the response, as before, lost
// the row of every change made while the database was failing.) Refused attempts are audited
// too. Most changes cannot share the row's transaction (they are Temporal Updates); intake can,
// and writes its row with its change (`config: { audit: 'in-handler' }`, api/intake.ts).
const audited = (req: FastifyRequest) => !(req.method === 'GET' || req.method === 'HEAD' || req.method === 'OPTIONS');
const inHandler = (req: FastifyRequest) => req.routeOptions.config?.audit === 'in-handler';
// Lead routes carry a lead id (`/leads/:id…`, or a `:leadId` elsewhere); other resources
// (partners, alarms) are in `path`.
function leadIdOf(req: FastifyRequest): string | undefined {
  const params = req.params as { id?: string; leadId?: string } | undefined;
  return req.routeOptions.url?.startsWith('/leads/:id') ? params?.id : params?.leadId;
}

async function beginAudit(pool: ReturnType<typeof poolOf>, req: FastifyRequest, lead?: string): Promise<void> {
  if (!audited(req) || inHandler(req)) return;
  const p = req.principal!;
  const leadId = lead ?? leadIdOf(req);
  // One prepared INSERT on the Prisma client's own pool: every mutating request pays for it.
  const { rows } = await pool.query<{ id: string }>({
    name: 'audit-begin',
    // `at` in UTC, as Prisma reads a zoneless timestamp, whatever the server's TimeZone.
    text:
      'INSERT INTO audit_log (at, actor, role, method, path, status, request_id, lead_id) ' +
      "VALUES (now() AT TIME ZONE 'UTC', $1, $2, $3, $4, NULL, $5, $6) RETURNING id",
    values: [p.actor, p.role, req.method, req.url.split('?')[0]!, req.id, leadId ?? null],
  });
  req.auditId = rows[0]!.id;
}

/**
 * A request with no API key that proved who sent it another way (a partner's signed webhook): it
 * becomes that principal's, and is audited like any other change — before the change is made,
 * completed with the status after the response (registerAuth's onResponse hook).
 */
export async function authenticateSigned(db: Db, req: FastifyRequest, principal: Principal, leadId?: string): Promise<void> {
  req.principal = principal;
  await beginAudit(poolOf(db), req, leadId);
}

/** The route is only for these roles (admin always) — checked before the body is read (registerAuth). */
export function allow(...roles: Role[]): RoleCheck {
  const check: RoleCheck = async (req: FastifyRequest) => {
    const p = req.principal;
    if (!p) throw unauthorized();
    if (p.role !== 'admin' && !roles.includes(p.role)) throw forbidden(`role ${p.role} cannot ${req.method} ${req.routeOptions.url}`);
  };
  check[ROLE_CHECK] = true;
  return check;
}

export const STAFF: Role[] = ['sales', 'team_lead', 'ops'];

/**
 * "Not your partner": a partner asking for what belongs to another partner (its profile, money,
 * grades, lists, stop-contact orders) gets the 404 it would get if there were no such thing, as
 * for a lead it was never offered — so a partner learns nothing about who else is in the programme.
 * Staff pass. `what` names the thing in the problem's title, as for a real 404.
 */
export function ownPartnerOnly(p: Principal, partnerId: string, what = `partner ${partnerId}`): void {
  if (p.role === 'partner' && p.subject !== partnerId) throw notFound(what);
}
