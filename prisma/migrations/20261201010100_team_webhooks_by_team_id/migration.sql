-- A team's webhook subscriptions were addressed by its lead (`team:<teamLeadId>`), written before
-- the roster had teams; they are addressed by the team's id now (`team:<teams.id>`). Each one that
-- names a team lead (and not already a team) moves to the team that lead leads; a lead of several
-- teams keeps the subscription for the first (by id) and a copy (same URL and secret) for each
-- other. One whose lead leads no team is left as it was: it matches no team and delivers nothing
-- until ops subscribe the team (it stays listed in GET /webhooks).
CREATE TEMPORARY TABLE "team_webhook_moves" AS
SELECT s."id", t."id" AS "team_id", row_number() OVER (PARTITION BY s."id" ORDER BY t."id") AS "n"
FROM "webhook_subscriptions" s
JOIN "teams" t ON s."subscriber" = 'team:' || t."lead_id"
WHERE NOT EXISTS (SELECT 1 FROM "teams" x WHERE s."subscriber" = 'team:' || x."id");

INSERT INTO "webhook_subscriptions" ("id", "subscriber", "url", "secret", "active", "created_at")
SELECT gen_random_uuid()::text, 'team:' || m."team_id", s."url", s."secret", s."active", s."created_at"
FROM "team_webhook_moves" m JOIN "webhook_subscriptions" s ON s."id" = m."id"
WHERE m."n" > 1;

UPDATE "webhook_subscriptions" s SET "subscriber" = 'team:' || m."team_id"
FROM "team_webhook_moves" m WHERE s."id" = m."id" AND m."n" = 1;

DROP TABLE "team_webhook_moves";
