-- The API's rate limit counted in PostgreSQL (api/rate-limit-store.ts), so that several API
-- instances share one count per caller: one row per caller key and fixed window. Times are
-- UTC, as elsewhere.
CREATE TABLE "rate_limit_counters" (
    "key" TEXT NOT NULL,
    "count" INTEGER NOT NULL,
    "window_ends_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "rate_limit_counters_pkey" PRIMARY KEY ("key")
);

-- Expired windows are swept by the API now and then (by age).
CREATE INDEX "rate_limit_counters_window_ends_at_idx" ON "rate_limit_counters"("window_ends_at");
