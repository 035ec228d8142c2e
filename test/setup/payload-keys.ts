// The payload key of the tests (and of the histories test/histories/record.ts records, which the
// replay test must decrypt): derived from a fixed phrase, so it is the same on every machine.
// It protects nothing and is never used outside tests.
import { createHash } from 'node:crypto';

export const TEST_PAYLOAD_KEYS = `test-1:${createHash('sha256').update('lead-engine test payload key (not a secret)').digest('base64')}`;

/** PAYLOAD_KEYS for this process and the processes it starts, unless already set. */
export function useTestPayloadKeys(): string {
  process.env.PAYLOAD_KEYS ??= TEST_PAYLOAD_KEYS;
  return process.env.PAYLOAD_KEYS;
}
