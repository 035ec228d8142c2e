// A browser session for the codec server. The Temporal Web UI calls /codec/decode from the browser
// with no API key (the UI cannot know one); with "include cross-origin credentials" it sends the
// cookies of the API's site. An ops or admin person signs in once at /codec/login with their key
// and gets this cookie: HttpOnly, SameSite=Strict, only for /codec, 8 hours. The token is signed
// (HMAC-SHA256 with a key derived from the current payload master key), so any API instance can
// check it and nothing is stored; rotating the master key ends every session.
import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { MasterKeys } from '../platform/payload-keys';
import type { Principal } from './auth';
import { Role } from './auth';

export const COOKIE = 'lead_engine_codec';
export const SESSION_HOURS = 8;

const Claims = z.object({ role: Role, subject: z.string().min(1).max(64), exp: z.number().int() });

export class CodecSessions {
  private readonly key: Buffer;

  constructor(
    masters: MasterKeys,
    private readonly now = () => Date.now(),
  ) {
    this.key = Buffer.from(hkdfSync('sha256', masters.current.key, Buffer.alloc(0), 'lead-engine codec session v1', 32));
  }

  /** The Set-Cookie value signing `p` in for SESSION_HOURS. */
  cookieFor(p: Principal): string {
    const claims = Buffer.from(JSON.stringify({ role: p.role, subject: p.subject, exp: this.now() + SESSION_HOURS * 3_600_000 })).toString(
      'base64url',
    );
    return `${COOKIE}=${claims}.${this.sign(claims)}; Path=/codec; HttpOnly; SameSite=Strict; Max-Age=${SESSION_HOURS * 3600}`;
  }

  /** The caller a valid, unexpired session cookie names, on a /codec route only. */
  principalOf(req: FastifyRequest): Principal | undefined {
    if (!req.url.startsWith('/codec/')) return undefined;
    const token = (req.headers.cookie ?? '')
      .split(/;\s*/)
      .find((c) => c.startsWith(`${COOKIE}=`))
      ?.slice(COOKIE.length + 1);
    const [claims, sig] = token?.split('.') ?? [];
    if (!claims || !sig) return undefined;
    const expected = Buffer.from(this.sign(claims));
    if (sig.length !== expected.length || !timingSafeEqual(Buffer.from(sig), expected)) return undefined;
    let parsed;
    try {
      parsed = Claims.safeParse(JSON.parse(Buffer.from(claims, 'base64url').toString()));
    } catch {
      return undefined;
    }
    if (!parsed.success || parsed.data.exp < this.now()) return undefined;
    return { role: parsed.data.role, subject: parsed.data.subject, actor: `${parsed.data.role}:${parsed.data.subject}` };
  }

  private sign(claims: string): string {
    return createHmac('sha256', this.key).update(claims).digest('base64url');
  }
}
