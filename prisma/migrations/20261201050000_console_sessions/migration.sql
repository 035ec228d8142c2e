-- The browser console's sessions (api/console/session.ts): a person signs in with their API
-- credential once and gets an httpOnly cookie. Only digests are stored: the cookie's token as the
-- key, and the credential's, so the session acts with that credential while it is configured
-- (removing the key from API_KEYS ends its sessions too). Times are UTC, as elsewhere.
CREATE TABLE "console_sessions" (
    "id" TEXT NOT NULL,
    "key_hash" TEXT NOT NULL,
    "role" TEXT NOT NULL,
    "subject" TEXT NOT NULL,
    "csrf" TEXT NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expires_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "console_sessions_pkey" PRIMARY KEY ("id")
);

CREATE INDEX "console_sessions_expires_at_idx" ON "console_sessions"("expires_at");
