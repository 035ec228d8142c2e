-- An absence booked ahead is announced by the roster sweep when it begins (its manager's open
-- leads are reassigned) and when it is over by date (leads waiting for a manager are woken).
ALTER TABLE "manager_absences" ADD COLUMN "announced_at" TIMESTAMP(3);
ALTER TABLE "manager_absences" ADD COLUMN "over_at" TIMESTAMP(3);
CREATE INDEX "manager_absences_announced_at_idx" ON "manager_absences"("announced_at") WHERE "announced_at" IS NULL;
