-- Policy as data (README, "Policy"): every version of the lead policy, the default one or a team's
-- (a partial body merged over the default's), with who changed it, why, and from when it applies.
CREATE TABLE "policy_versions" (
    "id" BIGSERIAL NOT NULL,
    -- 'default', or 'team:<team id>'
    "scope" TEXT NOT NULL,
    "team_id" TEXT,
    "version" INTEGER NOT NULL,
    "body" JSONB NOT NULL,
    "effective_from" TIMESTAMP(3) NOT NULL,
    "created_by" TEXT NOT NULL,
    "reason" TEXT NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "policy_versions_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "policy_versions_scope_version_key" ON "policy_versions"("scope", "version");
CREATE INDEX "policy_versions_scope_effective_from_idx" ON "policy_versions"("scope", "effective_from");
ALTER TABLE "policy_versions" ADD CONSTRAINT "policy_versions_team_id_fkey" FOREIGN KEY ("team_id") REFERENCES "teams"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- The read model learns where each open lead's SLA clock starts and which policy version it runs
-- on: what POST /policies/preview compares a proposal against.
ALTER TABLE "leads" ADD COLUMN "sla_from" TIMESTAMP(3);
ALTER TABLE "leads" ADD COLUMN "policy_version" TEXT;

-- The Russian production calendar 2026–2027 as the first default version
-- (domain/production-calendar-ru.ts; test/unit/policy-rules.test.ts checks the two agree).
INSERT INTO "policy_versions" ("scope", "version", "body", "effective_from", "created_by", "reason")
VALUES ('default', 1, '{"calendar":{"timeZone":"Europe/Moscow","utcOffsetMinutes":180,"extraHolidays":["2026-01-09","2026-03-09","2026-05-11","2026-12-31","2027-05-03","2027-05-10","2027-06-14"],"extraWorkdays":[]}}', '2026-01-01 00:00:00', 'migration',
        'Russian production calendar 2026 (Decree No. 1466) and 2027 (provisional: art. 112 transfers only)');
