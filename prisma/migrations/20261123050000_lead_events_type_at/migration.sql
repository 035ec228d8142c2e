-- The alarm sweeps read events by type over a time window (not distributed, first reached);
-- without this index each sweep scans every lead's whole history.
-- CreateIndex
CREATE INDEX "lead_events_type_at_idx" ON "lead_events"("type", "at");
