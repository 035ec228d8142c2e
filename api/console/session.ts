// Console sessions: the person's API credential is exchanged once for an httpOnly, SameSite=Strict
// cookie. The database keeps digests only (the cookie's token, the credential's), and the session
// acts through the API with the credential it was opened with, looked up by its digest among the
// configured keys: a key removed from API_KEYS ends its sessions, and the API's own rules (roles,
// partner isolation, audit) apply to every console request unchanged.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { poolOf, type Db } from '../../platform/db';
import type { ApiKey, Role } from '../auth';

export interface Session {
  id: string;
  key: ApiKey;
  role: Role;
  subject: string;
  csrf: string;
}

export const SESSION_COOKIE = 'lc_session';
export const LANG_COOKIE = 'lc_lang';
/** A double-submit token for the sign-in form, which has no session yet to carry one. */
export const SIGNIN_COOKIE = 'lc_signin';
const LIFETIME_HOURS = 12;

const sha = (s: string) => createHash('sha256').update(s).digest('hex');
export const token = () => randomBytes(24).toString('base64url');

export function cookies(req: FastifyRequest): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0) out[part.slice(0, i).trim()] = decodeURIComponent(part.slice(i + 1).trim());
  }
  return out;
}

/** A cookie for /app only; Secure when the request came over HTTPS. */
export function setCookie(
  reply: FastifyReply,
  req: FastifyRequest,
  name: string,
  value: string,
  opts: { maxAge?: number; httpOnly?: boolean } = {},
): void {
  const parts = [`${name}=${encodeURIComponent(value)}`, 'Path=/app', 'SameSite=Strict'];
  if (opts.httpOnly !== false) parts.push('HttpOnly');
  if (opts.maxAge !== undefined) parts.push(`Max-Age=${opts.maxAge}`);
  if (req.protocol === 'https') parts.push('Secure');
  const prev = reply.getHeader('set-cookie');
  reply.header('set-cookie', [...(Array.isArray(prev) ? prev : prev ? [String(prev)] : []), parts.join('; ')]);
}

/** Constant-time comparison of two tokens (CSRF). */
export function sameToken(a: string | undefined, b: string | undefined): boolean {
  if (!a || !b) return false;
  const x = Buffer.from(sha(a));
  const y = Buffer.from(sha(b));
  return timingSafeEqual(x, y);
}

export class Sessions {
  private readonly pool;
  private readonly keys: Array<ApiKey & { hash: string }>;

  constructor(db: Db, keys: ApiKey[]) {
    this.pool = poolOf(db);
    this.keys = keys.map((k) => ({ ...k, hash: sha(k.key) }));
  }

  /** The configured key for a credential typed in, compared in constant time per key. */
  keyFor(credential: string): ApiKey | undefined {
    const h = Buffer.from(sha(credential));
    return this.keys.find((k) => timingSafeEqual(Buffer.from(k.hash), h));
  }

  /** Opens a session; returns the cookie's token (the only place it exists in clear). */
  async open(key: ApiKey): Promise<string> {
    const t = token();
    await this.pool.query({
      name: 'console-session-open',
      text: `INSERT INTO console_sessions (id, key_hash, role, subject, csrf, created_at, expires_at)
        VALUES ($1, $2, $3, $4, $5, now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC' + make_interval(hours => $6))`,
      values: [sha(t), sha(key.key), key.role, key.subject, token(), LIFETIME_HOURS],
    });
    // Expired sessions of anyone go with each sign-in: no sweep needed for a table this small.
    await this.pool.query({
      name: 'console-session-expire',
      text: "DELETE FROM console_sessions WHERE expires_at < now() AT TIME ZONE 'UTC'",
    });
    return t;
  }

  /** The session of this cookie token, if it is live and its credential still configured. */
  async find(t: string | undefined): Promise<Session | undefined> {
    if (!t) return undefined;
    const { rows } = await this.pool.query<{ id: string; key_hash: string; csrf: string }>({
      name: 'console-session-find',
      text: "SELECT id, key_hash, csrf FROM console_sessions WHERE id = $1 AND expires_at > now() AT TIME ZONE 'UTC'",
      values: [sha(t)],
    });
    const row = rows[0];
    const key = row && this.keys.find((k) => k.hash === row.key_hash);
    if (!row || !key) return undefined;
    return { id: row.id, key, role: key.role, subject: key.subject, csrf: row.csrf };
  }

  async close(id: string): Promise<void> {
    await this.pool.query({ name: 'console-session-close', text: 'DELETE FROM console_sessions WHERE id = $1', values: [id] });
  }

  /** Defaults for a new session's maximum cookie age, seconds. */
  static readonly maxAge = LIFETIME_HOURS * 3600;
}
