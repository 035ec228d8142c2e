-- Why a closed lead was closed, as a column of the read model (domain/vocabulary.ts CLOSED_REASONS):
-- reports and alarms ask it instead of reading the first word of the `closed` event's prose.
ALTER TABLE "leads" ADD COLUMN "closed_reason" TEXT;

-- Backfill from the audit trail: a closed lead's last `closed` event reads "<reason>" or
-- "<reason>: <note>" (domain/lifecycle.ts `close`). Words that are not a known reason stay null.
-- Idempotent: only rows still without one are filled.
UPDATE "leads" AS l
SET "closed_reason" = c."reason"
FROM (
    SELECT DISTINCT ON (e."lead_id") e."lead_id", split_part(e."reason", ':', 1) AS "reason"
    FROM "lead_events" AS e
    WHERE e."type" = 'closed' AND e."reason" IS NOT NULL
    ORDER BY e."lead_id", e."seq" DESC
) AS c
WHERE l."id" = c."lead_id" AND l."stage" = 'closed' AND l."closed_reason" IS NULL
  AND c."reason" IN ('non_target', 'opted_out', 'consent_withdrawn', 'attempts_exhausted', 'not_verified');
