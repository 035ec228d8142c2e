// Lead data keys in PostgreSQL: made once under concurrent first use, and re-wrapped after a
// master key rotation so the old master key can be dropped (npm run keys:rewrap).
import { randomUUID } from 'node:crypto';
import { defaultPayloadConverter } from '@temporalio/common';
import type { Db } from '../../platform/db';
import { LeadKeyRing, pgLeadKeyStore, rewrapLeadKeys } from '../../platform/lead-keys';
import { EncryptionCodec } from '../../platform/payload-codec';
import { newPayloadKeyEntry, parsePayloadKeys } from '../../platform/payload-keys';
import { isolatedDb } from '../helpers/db';

let db: Db;
beforeAll(async () => {
  db = await isolatedDb();
});
afterAll(async () => db?.$disconnect());

const ctx = (leadId: string) => ({ type: 'workflow' as const, namespace: 'default', workflowId: `lead-${leadId}` });
const note = { note: 'called Anna on +79160000000' };

test('processes racing to a lead’s first payload end up with one data key', async () => {
  const keys = parsePayloadKeys(newPayloadKeyEntry('k1'));
  const leadId = randomUUID();
  const codecs = Array.from({ length: 5 }, () => new EncryptionCodec(new LeadKeyRing(keys, pgLeadKeyStore(db))));
  const encoded = await Promise.all(codecs.map((c) => c.encode([defaultPayloadConverter.toPayload(note)!], ctx(leadId))));
  // Each process can read what every other wrote: the same key.
  for (const c of codecs) for (const [p] of encoded) expect(defaultPayloadConverter.fromPayload((await c.decode([p!]))[0]!)).toEqual(note);
  expect(await db.leadDataKey.count({ where: { leadId } })).toBe(1);
});

test('after a rotation, re-wrapping lets the old master key go', async () => {
  const db = await isolatedDb(); // re-wrapping covers the whole table: only this test's keys in it
  const [k1, k2] = [newPayloadKeyEntry('old'), newPayloadKeyEntry('new')];
  const leadId = randomUUID();
  const before = new EncryptionCodec(new LeadKeyRing(parsePayloadKeys(k1), pgLeadKeyStore(db)));
  const [p] = await before.encode([defaultPayloadConverter.toPayload(note)!], ctx(leadId));
  expect(await rewrapLeadKeys(db, parsePayloadKeys(`${k2},${k1}`))).toBe(1);
  expect(await rewrapLeadKeys(db, parsePayloadKeys(`${k2},${k1}`))).toBe(0); // done once
  expect((await db.leadDataKey.findUnique({ where: { leadId } }))?.masterKeyId).toBe('new');
  const onlyNew = new EncryptionCodec(new LeadKeyRing(parsePayloadKeys(k2), pgLeadKeyStore(db)));
  expect(defaultPayloadConverter.fromPayload((await onlyNew.decode([p!]))[0]!)).toEqual(note);
  await db.$disconnect();
});
