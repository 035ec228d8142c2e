// The webhook signature scheme, both ways (outbound POSTs and the partners' inbound answers):
//   x-lead-engine-timestamp: <unix seconds>
//   x-lead-engine-signature: v1=<hex HMAC-SHA256(secret, timestamp + "." + raw body)>
// A receiver recomputes the HMAC over the raw body it got and refuses a timestamp older than
// five minutes (a replayed request). Documented in the README's "Notifications" section.
import { createHmac, timingSafeEqual } from 'node:crypto';

export const TIMESTAMP_HEADER = 'x-lead-engine-timestamp';
export const SIGNATURE_HEADER = 'x-lead-engine-signature';
/** How old a signed request may be when it arrives. */
export const REPLAY_WINDOW_S = 5 * 60;

const hmac = (secret: string, timestamp: string, body: string) => createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');

/** The two headers of a signed POST of `body`, at `nowMs`. */
export function signatureHeaders(secret: string, body: string, nowMs = Date.now()): Record<string, string> {
  const timestamp = String(Math.floor(nowMs / 1000));
  return { [TIMESTAMP_HEADER]: timestamp, [SIGNATURE_HEADER]: `v1=${hmac(secret, timestamp, body)}` };
}

export type Verdict = { ok: true } | { ok: false; why: 'missing' | 'stale' | 'bad-signature' };

/**
 * Whether a request carries a valid signature of `body` (the raw bytes as received, as text) by
 * `secret`, made within the replay window. Constant time in the signature comparison.
 */
export function verifySignature(
  secret: string,
  body: string,
  headers: { timestamp?: string | string[]; signature?: string | string[] },
  nowMs = Date.now(),
): Verdict {
  const { timestamp, signature } = headers;
  if (typeof timestamp !== 'string' || typeof signature !== 'string' || !/^\d{1,12}$/.test(timestamp)) return { ok: false, why: 'missing' };
  if (Math.abs(nowMs / 1000 - Number(timestamp)) > REPLAY_WINDOW_S) return { ok: false, why: 'stale' };
  const expected = Buffer.from(`v1=${hmac(secret, timestamp, body)}`);
  const given = Buffer.from(signature);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, why: 'bad-signature' };
  return { ok: true };
}
