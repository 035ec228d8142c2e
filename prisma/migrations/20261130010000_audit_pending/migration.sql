-- An audit row is written before the change it records (status NULL: pending) and completed with
-- the response's status after it, so a change is never made without its row (api/auth.ts).
ALTER TABLE "audit_log" ALTER COLUMN "status" DROP NOT NULL;
