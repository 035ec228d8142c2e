// The payload codec: AES-256-GCM over every payload the worker, the API and the scripts send to
// Temporal, so history, memo and query answers hold ciphertext, never a note or a client's words.
//
// - A lead's payloads (its workflow's and its activities', told by the SDK's serialization context,
//   workflow id `lead-<id>`) use that lead's data key (platform/lead-keys.ts): erasing the key makes
//   that history unreadable and nothing else. Other payloads (schedules, payouts) use the master key.
// - The key's id is in the payload's metadata (`encryption-key-id`: `lead:<id>` or a master key id),
//   and is the AAD, so a payload cannot be moved under another key. Rotation: see payload-keys.ts.
// - A payload without our `encoding` (histories written before the codec) passes through as it is,
//   so old histories replay and running leads keep working across the deploy.
import type { Client } from '@temporalio/client';
import type { Payload, PayloadCodec, SerializationContext } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import type { Db } from './db';
import { LeadKeyRing, leadKeyId, openAesGcm, pgLeadKeyStore, sealAesGcm, type LeadKeyStore } from './lead-keys';
import { loadPayloadKeys, type MasterKeys } from './payload-keys';

export const ENCODING = 'binary/encrypted';
export const KEY_ID = 'encryption-key-id';
const CIPHER = 'encryption-cipher';
const te = new TextEncoder();
const td = new TextDecoder();
const ENCODING_BYTES = te.encode(ENCODING);
const CIPHER_BYTES = te.encode('AES-256-GCM');

/** The lead whose payload this is: the workflow `lead-<id>` itself, or an activity it scheduled. */
export function leadIdOfContext(context: SerializationContext | undefined): string | undefined {
  const id = context?.workflowId;
  return id?.startsWith('lead-') ? id.slice('lead-'.length) : undefined;
}

export const isEncrypted = (p: Payload) => p.metadata?.encoding !== undefined && td.decode(p.metadata.encoding) === ENCODING;

export class EncryptionCodec implements PayloadCodec {
  constructor(readonly keys: LeadKeyRing) {}

  get masters(): MasterKeys {
    return this.keys.masters;
  }

  async encode(payloads: Payload[], context?: SerializationContext): Promise<Payload[]> {
    if (!payloads.length) return payloads;
    const leadId = leadIdOfContext(context);
    const [keyId, key] = leadId
      ? [leadKeyId(leadId), await this.keys.forEncrypt(leadId)]
      : [this.masters.current.id, this.masters.current.key];
    const keyIdBytes = te.encode(keyId);
    return payloads.map((p) => ({
      metadata: { encoding: ENCODING_BYTES, [KEY_ID]: keyIdBytes, [CIPHER]: CIPHER_BYTES },
      data: sealAesGcm(key, temporal.api.common.v1.Payload.encode(p).finish(), keyId),
    }));
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return Promise.all(
      payloads.map(async (p) => {
        if (!isEncrypted(p)) return p;
        const keyId = td.decode(p.metadata![KEY_ID] ?? new Uint8Array());
        const key = keyId.startsWith('lead:') ? await this.keys.forDecrypt(keyId.slice('lead:'.length)) : this.masters.byId.get(keyId);
        if (!key) throw new Error(`payload encrypted with key "${keyId}", which is not configured (PAYLOAD_KEYS)`);
        return temporal.api.common.v1.Payload.decode(openAesGcm(key, p.data ?? new Uint8Array(), keyId));
      }),
    );
  }
}

export function encryptionCodec(masters: MasterKeys, store: LeadKeyStore): EncryptionCodec {
  return new EncryptionCodec(new LeadKeyRing(masters, store));
}

/** The codec of a process with a database: master keys from the environment, lead keys in PostgreSQL. */
export function codecFor(db: Db, env: NodeJS.ProcessEnv = process.env): EncryptionCodec {
  return encryptionCodec(loadPayloadKeys(env), pgLeadKeyStore(db));
}

/** `dataConverter` of a Client, a Worker or a test environment. */
export const dataConverterOf = (codec: EncryptionCodec) => ({ payloadCodecs: [codec] });

/** The codec a Client was made with (the API's codec server and erasure use its key cache). */
export function codecOf(temporal: Client): EncryptionCodec | undefined {
  return temporal.options.loadedDataConverter.payloadCodecs.find((c): c is EncryptionCodec => c instanceof EncryptionCodec);
}
