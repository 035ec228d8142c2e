// `npm run keys:rewrap`: after a rotation (a new payload key put first in PAYLOAD_KEYS), re-wraps
// every lead data key still wrapped by an older master key under the new one, so the old key can
// then be dropped from the list. Payloads encrypted directly with an old master key (schedules,
// payouts: no lead's) still need it listed until their histories pass the namespace's retention.
import { createDb } from '../platform/db';
import { rewrapLeadKeys } from '../platform/lead-keys';
import { loadConfig, requireDatabaseUrl } from '../platform/config';
import { loadPayloadKeys } from '../platform/payload-keys';

async function main(): Promise<void> {
  const db = createDb(requireDatabaseUrl(loadConfig()), 2);
  try {
    const keys = loadPayloadKeys();
    const n = await rewrapLeadKeys(db, keys);
    console.log(`${n} lead data keys re-wrapped under payload key "${keys.current.id}"`);
  } finally {
    await db.$disconnect();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
