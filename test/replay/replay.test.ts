// Leads live for years: every stored history (test/histories) must replay against the current
// workflow code without a non-determinism error. Record new ones with `npm run histories:record`.
// The replaying worker has the payload codec: histories recorded before it hold plain payloads,
// which it passes through; later ones are encrypted with their lead's data key, stored wrapped by
// the tests' fixed key in test/histories/lead-keys/.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { memoryLeadKeyStore, type StoredLeadKey } from '../../platform/lead-keys';
import { dataConverterOf, encryptionCodec } from '../../platform/payload-codec';
import { loadPayloadKeys } from '../../platform/payload-keys';

const dir = join(__dirname, '..', 'histories');
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.json'))
  .sort();
const keyDir = join(dir, 'lead-keys');

function leadKeys(): Record<string, StoredLeadKey> {
  if (!existsSync(keyDir)) return {};
  const out: Record<string, StoredLeadKey> = {};
  for (const f of readdirSync(keyDir).filter((n) => n.endsWith('.json'))) {
    const stored = JSON.parse(readFileSync(join(keyDir, f), 'utf8')) as Record<string, { masterKeyId: string; wrapped: string }>;
    for (const [leadId, k] of Object.entries(stored))
      out[leadId] = { masterKeyId: k.masterKeyId, wrapped: Buffer.from(k.wrapped, 'base64') };
  }
  return out;
}

test('there are stored histories to replay', () => {
  expect(files.length).toBeGreaterThanOrEqual(4);
});

test.each(files)('%s replays against the current workflow code', async (file) => {
  const history = historyFromJSON(JSON.parse(readFileSync(join(dir, file), 'utf8')));
  const dataConverter = dataConverterOf(encryptionCodec(loadPayloadKeys(), memoryLeadKeyStore(leadKeys())));
  await Worker.runReplayHistory({ workflowBundle: { codePath: process.env.WORKFLOW_BUNDLE_PATH! }, dataConverter }, history, file);
});
