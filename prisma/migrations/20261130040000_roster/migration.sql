-- The roster: teams, each manager's team, capacity, e-mail and API credential subject, and absences.
CREATE TABLE "teams" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "lead_id" TEXT,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "teams_pkey" PRIMARY KEY ("id")
);

ALTER TABLE "managers" ADD COLUMN "team_id" TEXT;
-- Most open leads the manager takes; NULL: no limit (managers added before the roster API).
ALTER TABLE "managers" ADD COLUMN "capacity" INTEGER;
ALTER TABLE "managers" ADD COLUMN "email" TEXT;
-- The subject of the API credential that identifies this person (API_KEYS "<key>:<role>:<subject>").
ALTER TABLE "managers" ADD COLUMN "api_subject" TEXT;
ALTER TABLE "managers" ADD CONSTRAINT "managers_team_id_fkey" FOREIGN KEY ("team_id") REFERENCES "teams"("id") ON DELETE SET NULL ON UPDATE CASCADE;
CREATE UNIQUE INDEX "managers_api_subject_key" ON "managers"("api_subject");
CREATE INDEX "managers_team_id_idx" ON "managers"("team_id");

-- A vacation has an end; a sick leave is open (until_at NULL) until the manager is back (ended_at).
CREATE TABLE "manager_absences" (
    "id" TEXT NOT NULL,
    "manager_id" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "from_at" TIMESTAMP(3) NOT NULL,
    "until_at" TIMESTAMP(3),
    "ended_at" TIMESTAMP(3),
    "created_by" TEXT NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "manager_absences_pkey" PRIMARY KEY ("id")
);
ALTER TABLE "manager_absences" ADD CONSTRAINT "manager_absences_manager_id_fkey" FOREIGN KEY ("manager_id") REFERENCES "managers"("id") ON DELETE CASCADE ON UPDATE CASCADE;
CREATE INDEX "manager_absences_manager_id_idx" ON "manager_absences"("manager_id");
