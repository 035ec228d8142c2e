// Per-lead data keys: every payload of a lead's workflow (its inputs, Updates, activities, memo,
// query answers) is encrypted with a key of that lead alone, so erasing the person can destroy
// their Temporal history without touching anyone else's ("crypto-shredding"). The data key is
// random, stored in PostgreSQL wrapped (AES-256-GCM) by a master key (platform/payload-keys.ts);
// erasure deletes the wrapped key and keeps a tombstone, so it is never made again.
//
// The codec runs for every payload, so the unwrapped keys are cached in memory by lead id: one
// PostgreSQL round trip per lead and process every CACHE_TTL_MS, none per payload. That TTL is also
// how long a process that did not perform an erasure may still hold the erased key in memory.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { Pool } from 'pg';
import { poolOf, type Db } from './db';
import type { MasterKeys } from './payload-keys';

/** What is stored for a lead: its data key wrapped by the master key `masterKeyId`, or nothing (erased). */
export interface StoredLeadKey {
  masterKeyId: string;
  wrapped: Buffer | null;
}

export interface LeadKeyStore {
  find(leadId: string): Promise<StoredLeadKey | undefined>;
  /** Stores `candidate` unless the lead already has a key (or a tombstone); returns what is stored. */
  insertOrGet(leadId: string, candidate: StoredLeadKey): Promise<StoredLeadKey>;
  /** Destroys the lead's key for ever (the tombstone stops it being made again). */
  erase(leadId: string): Promise<void>;
}

/** The lead's payloads cannot be read or written any more: its data key was erased. */
export class LeadDataErased extends Error {
  constructor(readonly leadId: string) {
    super(`the personal data of lead ${leadId} was erased: its payload key no longer exists`);
    this.name = 'LeadDataErased';
  }
}

export const CACHE_TTL_MS = 10 * 60_000;
const CACHE_MAX = 50_000;
const GCM_IV = 12;
const GCM_TAG = 16;

export function sealAesGcm(key: Buffer, plaintext: Uint8Array, aad: string): Buffer {
  const iv = randomBytes(GCM_IV);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(aad));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([iv, body, cipher.getAuthTag()]);
}

export function openAesGcm(key: Buffer, sealed: Uint8Array, aad: string): Buffer {
  const buf = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength);
  if (buf.length < GCM_IV + GCM_TAG) throw new Error('encrypted payload too short');
  const decipher = createDecipheriv('aes-256-gcm', key, buf.subarray(0, GCM_IV));
  decipher.setAAD(Buffer.from(aad));
  decipher.setAuthTag(buf.subarray(buf.length - GCM_TAG));
  return Buffer.concat([decipher.update(buf.subarray(GCM_IV, buf.length - GCM_TAG)), decipher.final()]);
}

/** The name of a lead's data key in payload metadata (and the AAD binding the key to its lead). */
export const leadKeyId = (leadId: string) => `lead:${leadId}`;

type Cached = { key: Buffer | null; until: number };

export class LeadKeyRing {
  private readonly cache = new Map<string, Cached>();
  private readonly loading = new Map<string, Promise<Buffer | null>>();

  constructor(
    readonly masters: MasterKeys,
    private readonly store: LeadKeyStore,
    private readonly now = () => Date.now(),
  ) {}

  /** The lead's data key for encrypting, made on first use; throws LeadDataErased after erasure. */
  async forEncrypt(leadId: string): Promise<Buffer> {
    const key = await this.get(leadId, true);
    if (!key) throw new LeadDataErased(leadId);
    return key;
  }

  /** The lead's data key for decrypting; throws LeadDataErased when it was erased (or never existed). */
  async forDecrypt(leadId: string): Promise<Buffer> {
    const key = await this.get(leadId, false);
    if (!key) throw new LeadDataErased(leadId);
    return key;
  }

  /**
   * A data key for a lead that does not exist yet, and its wrapped form for the caller to store
   * with the lead's own row (intake's registering statement, migration 20261207010000) — then
   * `adopt` it, so the lead's first encryption needs no round trip to the key store.
   */
  mint(leadId: string): { key: Buffer; stored: StoredLeadKey & { wrapped: Buffer } } {
    const master = this.masters.current;
    const key = randomBytes(32);
    return { key, stored: { masterKeyId: master.id, wrapped: sealAesGcm(master.key, key, leadKeyId(leadId)) } };
  }

  /** The key `mint` made for `leadId` is stored (committed): this process encrypts with it from its cache. */
  adopt(leadId: string, key: Buffer): void {
    this.remember(leadId, key);
  }

  /** Erases the lead's key in the store and in this process's cache at once. */
  async erase(leadId: string): Promise<void> {
    await this.store.erase(leadId);
    this.remember(leadId, null);
  }

  private async get(leadId: string, create: boolean): Promise<Buffer | null> {
    const hit = this.cache.get(leadId);
    if (hit && hit.until > this.now()) return hit.key;
    // One look-up per lead at a time, however many payloads of that lead arrive together.
    const pending = this.loading.get(leadId);
    if (pending) return pending;
    const load = this.load(leadId, create).finally(() => this.loading.delete(leadId));
    this.loading.set(leadId, load);
    return load;
  }

  private async load(leadId: string, create: boolean): Promise<Buffer | null> {
    // Encrypting for a lead not cached here is most often its very first payload (intake starting
    // its workflow): one INSERT that returns the stored key, whether ours or one made before.
    let stored: StoredLeadKey | undefined;
    if (create) {
      stored = await this.store.insertOrGet(leadId, this.mint(leadId).stored);
    } else {
      stored = await this.store.find(leadId);
    }
    const key = stored?.wrapped ? this.unwrap(leadId, stored) : null;
    // A lead that has no key yet is not remembered as erased: its first encrypt makes one.
    if (stored) this.remember(leadId, key);
    return key;
  }

  private unwrap(leadId: string, stored: StoredLeadKey): Buffer {
    const master = this.masters.byId.get(stored.masterKeyId);
    if (!master)
      throw new Error(`lead ${leadId}'s data key is wrapped by master key "${stored.masterKeyId}", which is not configured (PAYLOAD_KEYS)`);
    return openAesGcm(master, stored.wrapped!, leadKeyId(leadId));
  }

  private remember(leadId: string, key: Buffer | null): void {
    this.cache.delete(leadId);
    if (this.cache.size >= CACHE_MAX) this.cache.delete(this.cache.keys().next().value!); // oldest first (insertion order)
    this.cache.set(leadId, { key, until: this.now() + CACHE_TTL_MS });
  }
}

/**
 * The key store's own small pool, on the same database with the same timeouts. Not the request
 * pool: a request may call Temporal (and so the codec) while it holds a connection in a
 * transaction — intake signals a repeat inquiry under the contact's lock — and with every pooled
 * connection held that way, a key look-up queued behind them would wait on itself.
 */
function keyPool(db: Db): Pool {
  const o = poolOf(db).options;
  const pool = new Pool({
    connectionString: o.connectionString,
    max: 2,
    connectionTimeoutMillis: o.connectionTimeoutMillis,
    query_timeout: o.query_timeout,
    statement_timeout: o.statement_timeout,
    idleTimeoutMillis: 10_000,
    allowExitOnIdle: true,
  });
  pool.on('error', () => undefined); // a dropped idle connection: the next query reports the outage
  // Connected ahead, so a process's first payload (often an intake's, under its deadline) does not pay for it.
  pool.connect().then(
    (c) => c.release(),
    () => undefined,
  );
  return pool;
}

/** Lead data keys in PostgreSQL (`lead_data_keys`), on prepared statements of a pool of their own. */
export function pgLeadKeyStore(db: Db): LeadKeyStore {
  const pool = keyPool(db);
  const row = (r: { master_key_id: string; wrapped: Buffer | null } | undefined): StoredLeadKey | undefined =>
    r && { masterKeyId: r.master_key_id, wrapped: r.wrapped };
  const find = async (leadId: string) =>
    row(
      (
        await pool.query({
          name: 'lead-key-find',
          text: 'SELECT master_key_id, wrapped FROM lead_data_keys WHERE lead_id = $1',
          values: [leadId],
        })
      ).rows[0],
    );
  return {
    find,
    async insertOrGet(leadId, candidate) {
      const { rows } = await pool.query({
        name: 'lead-key-insert',
        text: 'INSERT INTO lead_data_keys (lead_id, master_key_id, wrapped) VALUES ($1, $2, $3) ON CONFLICT (lead_id) DO NOTHING RETURNING master_key_id, wrapped',
        values: [leadId, candidate.masterKeyId, candidate.wrapped],
      });
      return row(rows[0]) ?? (await find(leadId))!;
    },
    async erase(leadId) {
      await pool.query({
        name: 'lead-key-erase',
        text: `INSERT INTO lead_data_keys (lead_id, master_key_id, wrapped, erased_at) VALUES ($1, '', NULL, now() AT TIME ZONE 'UTC')
               ON CONFLICT (lead_id) DO UPDATE SET wrapped = NULL, erased_at = COALESCE(lead_data_keys.erased_at, EXCLUDED.erased_at)`,
        values: [leadId],
      });
    },
  };
}

/** Lead data keys in memory: replaying stored histories, and unit tests. */
export function memoryLeadKeyStore(initial: Record<string, StoredLeadKey> = {}): LeadKeyStore & { rows: Map<string, StoredLeadKey> } {
  const rows = new Map(Object.entries(initial));
  return {
    rows,
    find: async (leadId) => rows.get(leadId),
    insertOrGet: async (leadId, candidate) => {
      if (!rows.has(leadId)) rows.set(leadId, candidate);
      return rows.get(leadId)!;
    },
    erase: async (leadId) => {
      rows.set(leadId, { masterKeyId: '', wrapped: null });
    },
  };
}

/**
 * Re-wraps every lead data key that a master key other than the current one wraps (after a
 * rotation), so the old master key can be dropped. Returns how many were re-wrapped.
 */
export async function rewrapLeadKeys(db: Db, masters: MasterKeys): Promise<number> {
  const pool = poolOf(db);
  const { rows } = await pool.query<{ lead_id: string; master_key_id: string; wrapped: Buffer }>(
    'SELECT lead_id, master_key_id, wrapped FROM lead_data_keys WHERE wrapped IS NOT NULL AND master_key_id <> $1',
    [masters.current.id],
  );
  let done = 0;
  for (const r of rows) {
    const old = masters.byId.get(r.master_key_id);
    if (!old)
      throw new Error(`master key "${r.master_key_id}" (lead ${r.lead_id}) is not configured: list it after the current key to re-wrap`);
    const key = openAesGcm(old, r.wrapped, leadKeyId(r.lead_id));
    const res = await pool.query(
      'UPDATE lead_data_keys SET master_key_id = $2, wrapped = $3 WHERE lead_id = $1 AND master_key_id = $4 AND wrapped IS NOT NULL',
      [r.lead_id, masters.current.id, sealAesGcm(masters.current.key, key, leadKeyId(r.lead_id)), r.master_key_id],
    );
    done += res.rowCount ?? 0;
  }
  return done;
}
