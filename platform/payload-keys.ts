// The master keys of the payload codec (platform/payload-codec.ts). Each has an id that travels in
// every payload's metadata, so a key can be replaced without breaking histories written under the
// old one: the FIRST key encrypts, every listed key decrypts. Rotation = put a new key first, keep
// the old ones listed (and run `npm run keys:rewrap` before dropping one: lead data keys wrapped
// by it are re-wrapped under the first).
//
//   PAYLOAD_KEYS="<id>:<base64 of 32 random bytes>,<older id>:<…>"   or
//   PAYLOAD_KEYS_FILE=/run/secrets/payload-keys                       (the same text in a file)
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { z } from 'zod';

export interface MasterKey {
  id: string;
  key: Buffer;
}
export interface MasterKeys {
  /** The key new payloads and new lead data keys are encrypted with. */
  current: MasterKey;
  byId: ReadonlyMap<string, Buffer>;
}

// No ':' in an id: lead data keys are named `lead:<leadId>` in the same metadata field.
const KeyId = z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'a key id is 1–64 of A–Z a–z 0–9 _ . -');
const KeyBytes = z.string().transform((s, ctx) => {
  const key = Buffer.from(s, 'base64');
  if (key.length !== 32) ctx.addIssue({ code: 'custom', message: 'a key is 32 bytes, base64-encoded (AES-256)' });
  return key;
});

export function parsePayloadKeys(spec: string): MasterKeys {
  const entries = spec
    .split(/[,\n]/)
    .map((e) => e.trim())
    .filter(Boolean)
    .map((entry) => {
      const at = entry.indexOf(':');
      const id = KeyId.safeParse(entry.slice(0, Math.max(at, 0)));
      const key = KeyBytes.safeParse(entry.slice(at + 1));
      if (at < 0 || !id.success || !key.success) {
        throw new Error(
          `payload key "${entry.slice(0, 8)}…" is not <id>:<base64 of 32 bytes> (${[id.error?.issues[0]?.message, key.error?.issues[0]?.message].filter(Boolean).join('; ')})`,
        );
      }
      return { id: id.data, key: key.data };
    });
  if (!entries.length) throw new Error('no payload keys given');
  const byId = new Map<string, Buffer>();
  for (const e of entries) {
    if (byId.has(e.id)) throw new Error(`payload key id "${e.id}" is listed twice`);
    byId.set(e.id, e.key);
  }
  return { current: entries[0]!, byId };
}

/** PAYLOAD_KEYS, else the file PAYLOAD_KEYS_FILE names; neither is a start-up error, never a silent plaintext mode. */
export function loadPayloadKeys(env: NodeJS.ProcessEnv = process.env): MasterKeys {
  if (env.PAYLOAD_KEYS) return parsePayloadKeys(env.PAYLOAD_KEYS);
  if (env.PAYLOAD_KEYS_FILE) return parsePayloadKeys(readFileSync(env.PAYLOAD_KEYS_FILE, 'utf8'));
  throw new Error(
    'PAYLOAD_KEYS or PAYLOAD_KEYS_FILE must be set: workflow payloads are encrypted (`<id>:<base64 of 32 bytes>`, see README, Personal data)',
  );
}

/** A fresh key entry, `<id>:<base64>`. */
export function newPayloadKeyEntry(id = `k${new Date().toISOString().slice(0, 10).replace(/-/g, '')}`): string {
  return `${KeyId.parse(id)}:${randomBytes(32).toString('base64')}`;
}
