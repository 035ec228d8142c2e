// Text that comes in must be text we can keep as it was sent. Node decodes a body leniently
// (invalid UTF-8 becomes U+FFFD) and JSON allows "\ud800" (a lone UTF-16 surrogate, which
// PostgreSQL's UTF-8 would store as U+FFFD too): a client would be told 201 and find its data
// changed. Both are refused with a 400 instead; so is NUL, which PostgreSQL cannot store at all.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { badRequest } from './problem';

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });
/** A high surrogate not followed by a low one, or a low one not preceded by a high one (code units, no `u` flag). */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** The body as text, or a 400 if it is not valid UTF-8 (JSON and CSV must be: RFC 8259, RFC 4180 here). */
export function utf8Body(body: Buffer): string {
  try {
    return strictUtf8.decode(body);
  } catch {
    throw badRequest([{ path: 'body', message: 'body is not valid UTF-8' }]);
  }
}

/** Fastify's own JSON parser (same prototype-poisoning rules), fed only valid UTF-8. */
export function registerStrictJson(app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser('remove', 'remove');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (req: FastifyRequest, body: Buffer, done) => {
    let text: string;
    try {
      text = utf8Body(body);
    } catch (err) {
      return done(err as Error, undefined);
    }
    return parseJson(req, text, done);
  });
}

/** The first string (or key) that cannot be stored as given, with why: NUL, or a lone surrogate. */
export function unstorableTextPath(value: unknown, path = ''): { path: string; message: string } | undefined {
  if (typeof value === 'string') {
    const message = unstorableText(value);
    return message ? { path, message } : undefined;
  }
  if (value && typeof value === 'object') {
    // Runs on every request's body: nothing is allocated for a key's path unless it is reported or descended into.
    for (const k of Object.keys(value)) {
      const v = (value as Record<string, unknown>)[k];
      const message = unstorableText(k) ?? (typeof v === 'string' ? unstorableText(v) : undefined);
      if (message) return { path: path ? `${path}.${k}` : k, message };
      if (v && typeof v === 'object') {
        const found = unstorableTextPath(v, path ? `${path}.${k}` : k);
        if (found) return found;
      }
    }
  }
  return undefined;
}

function unstorableText(s: string): string | undefined {
  if (s.includes('\u0000')) return 'must not contain NUL characters';
  if (LONE_SURROGATE.test(s)) return 'must be valid Unicode (it has a lone UTF-16 surrogate)';
  return undefined;
}
