// The payload codec alone: AES-256-GCM per payload, the key id in the metadata, lead data keys,
// rotation of the master key, pass-through of payloads written before the codec, erasure.
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { LeadDataErased, LeadKeyRing, memoryLeadKeyStore, type StoredLeadKey } from '../../platform/lead-keys';
import { ENCODING, EncryptionCodec, KEY_ID } from '../../platform/payload-codec';
import { newPayloadKeyEntry, parsePayloadKeys } from '../../platform/payload-keys';

const td = new TextDecoder();
const meta = (p: Payload, k: string) => td.decode(p.metadata![k]!);
const toPayload = (v: unknown) => defaultPayloadConverter.toPayload(v)!;
const fromPayload = (p: Payload) => defaultPayloadConverter.fromPayload(p);
const leadContext = (leadId: string) => ({ type: 'workflow' as const, namespace: 'default', workflowId: `lead-${leadId}` });
const activityContext = (leadId: string) => ({
  type: 'activity' as const,
  namespace: 'default',
  workflowId: `lead-${leadId}`,
  isLocal: false,
});

const k1 = newPayloadKeyEntry('k1');
const k2 = newPayloadKeyEntry('k2');
const note = { note: 'called Ivan Petrov on +79161234567' };

test('a lead’s payload is encrypted with its own data key, named in the metadata; it decodes back', async () => {
  const store = memoryLeadKeyStore();
  const codec = new EncryptionCodec(new LeadKeyRing(parsePayloadKeys(k1), store));
  const [enc] = await codec.encode([toPayload(note)], leadContext('L1'));
  expect([meta(enc!, 'encoding'), meta(enc!, KEY_ID)]).toEqual([ENCODING, 'lead:L1']);
  expect(Buffer.from(enc!.data!).toString('latin1')).not.toContain('Ivan');
  expect(fromPayload((await codec.decode([enc!]))[0]!)).toEqual(note);
  // An activity the lead scheduled uses the lead's key too; a payload of no lead, the master key.
  const [act] = await codec.encode([toPayload(note)], activityContext('L1'));
  expect(meta(act!, KEY_ID)).toBe('lead:L1');
  const [other] = await codec.encode([toPayload(note)], { type: 'workflow', namespace: 'default', workflowId: 'payouts-monthly' });
  expect(meta(other!, KEY_ID)).toBe('k1');
  expect(store.rows.size).toBe(1); // one data key for the lead, stored wrapped
  expect(Buffer.from(store.rows.get('L1')!.wrapped!).length).toBe(12 + 32 + 16);
});

test('a key minted for a new lead and stored with it encrypts from the cache; another process reads it from the store', async () => {
  const store = memoryLeadKeyStore();
  const keys = parsePayloadKeys(k1);
  const asked: string[] = [];
  const watched = { ...store, insertOrGet: (id: string, c: StoredLeadKey) => (asked.push(id), store.insertOrGet(id, c)) };
  const api = new EncryptionCodec(new LeadKeyRing(keys, watched));
  const minted = api.keys.mint('L9');
  expect(minted.stored.masterKeyId).toBe('k1');
  store.rows.set('L9', minted.stored); // stored by intake's own statement (migration 20261207010000)
  api.keys.adopt('L9', minted.key);
  const [enc] = await api.encode([toPayload(note)], leadContext('L9'));
  expect(asked).toEqual([]); // adopted: the key store is not asked for a key of its own
  const worker = new EncryptionCodec(new LeadKeyRing(keys, store));
  expect(fromPayload((await worker.decode([enc!]))[0]!)).toEqual(note);
  // Each mint is a fresh key: one never stored (its lead was not registered) is nobody's key.
  expect(api.keys.mint('L9').key.equals(minted.key)).toBe(false);
});

test('payloads written before the codec pass through decode unchanged', async () => {
  const codec = new EncryptionCodec(new LeadKeyRing(parsePayloadKeys(k1), memoryLeadKeyStore()));
  const plain = toPayload({ stage: 'qualifying' });
  expect(await codec.decode([plain])).toEqual([plain]);
});

test('a rotated key still reads old payloads and old lead keys; new ones use the new key', async () => {
  const store = memoryLeadKeyStore();
  const before = new EncryptionCodec(new LeadKeyRing(parsePayloadKeys(k1), store));
  const oldLead = (await before.encode([toPayload(note)], leadContext('L2')))[0]!;
  const oldMaster = (await before.encode([toPayload(note)]))[0]!;

  const after = new EncryptionCodec(new LeadKeyRing(parsePayloadKeys(`${k2},${k1}`), store));
  expect((await after.decode([oldLead, oldMaster])).map(fromPayload)).toEqual([note, note]);
  const fresh = (await after.encode([toPayload(note)]))[0]!;
  expect(meta(fresh, KEY_ID)).toBe('k2');
  await after.encode([toPayload(note)], leadContext('L3'));
  expect([store.rows.get('L2')!.masterKeyId, store.rows.get('L3')!.masterKeyId]).toEqual(['k1', 'k2']);

  // Without the old key listed, its payloads are unreadable, said plainly.
  const forgot = new EncryptionCodec(new LeadKeyRing(parsePayloadKeys(k2), store));
  await expect(forgot.decode([oldMaster])).rejects.toThrow(/key "k1", which is not configured/);
});

test('a payload moved under another lead’s key id, or tampered with, does not decode', async () => {
  const codec = new EncryptionCodec(new LeadKeyRing(parsePayloadKeys(k1), memoryLeadKeyStore()));
  const [a] = await codec.encode([toPayload(note)], leadContext('A'));
  await codec.encode([toPayload(note)], leadContext('B'));
  const moved = { ...a!, metadata: { ...a!.metadata, [KEY_ID]: new TextEncoder().encode('lead:B') } };
  await expect(codec.decode([moved])).rejects.toThrow();
  const data = Buffer.from(a!.data!);
  data[20] = data[20]! ^ 1;
  await expect(codec.decode([{ ...a!, data }])).rejects.toThrow();
});

test('after erasure the lead’s payloads can neither be read nor written, by any process', async () => {
  const store = memoryLeadKeyStore();
  const keys = parsePayloadKeys(k1);
  const codec = new EncryptionCodec(new LeadKeyRing(keys, store));
  const [enc] = await codec.encode([toPayload(note)], leadContext('E'));
  await codec.keys.erase('E');
  await expect(codec.decode([enc!])).rejects.toBeInstanceOf(LeadDataErased);
  await expect(codec.encode([toPayload(note)], leadContext('E'))).rejects.toBeInstanceOf(LeadDataErased);
  // Another process (a fresh cache) finds the tombstone, and does not make a new key.
  const other = new EncryptionCodec(new LeadKeyRing(keys, store));
  await expect(other.decode([enc!])).rejects.toBeInstanceOf(LeadDataErased);
  await expect(other.encode([toPayload(note)], leadContext('E'))).rejects.toBeInstanceOf(LeadDataErased);
});

test('another process forgets an erased key once its cache entry expires', async () => {
  const store = memoryLeadKeyStore();
  let now = 0;
  const keys = parsePayloadKeys(k1);
  const worker = new EncryptionCodec(new LeadKeyRing(keys, store, () => now));
  const [enc] = await worker.encode([toPayload(note)], leadContext('T'));
  await new LeadKeyRing(keys, store).erase('T'); // erased by the API
  expect(fromPayload((await worker.decode([enc!]))[0]!)).toEqual(note); // still cached here
  now += 11 * 60_000;
  await expect(worker.decode([enc!])).rejects.toBeInstanceOf(LeadDataErased);
});

test('key configuration errors are refused at start, naming the problem', () => {
  expect(() => parsePayloadKeys('k1:c2hvcnQ=')).toThrow(/32 bytes/);
  expect(() => parsePayloadKeys(`${k1},${k1}`)).toThrow(/listed twice/);
  expect(() => parsePayloadKeys('lead:x')).toThrow(/not <id>:<base64/);
  expect(() => parsePayloadKeys('')).toThrow(/no payload keys/);
});
