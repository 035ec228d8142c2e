-- Per-lead data keys of the payload codec (platform/lead-keys.ts): a lead's Temporal payloads are
-- encrypted with its own random key, stored here wrapped (AES-256-GCM) by a master key. Erasure
-- sets `wrapped` to NULL and keeps the row as a tombstone, so the key is never made again and the
-- lead's history stays unreadable ("crypto-shredding"). No foreign key: a key may be made for a
-- workflow id before (or without) its `leads` row, e.g. in tests.
CREATE TABLE "lead_data_keys" (
    "lead_id" TEXT NOT NULL,
    "master_key_id" TEXT NOT NULL,
    "wrapped" BYTEA,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "erased_at" TIMESTAMP(3),

    CONSTRAINT "lead_data_keys_pkey" PRIMARY KEY ("lead_id")
);
