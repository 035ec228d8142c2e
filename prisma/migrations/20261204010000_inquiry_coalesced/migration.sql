-- A burst of repeat inquiries from one contact tells its lead once (api/intake.ts `deliverOnce`):
-- the later ones are recorded against the one that was signalled.
ALTER TABLE "inquiries" ADD COLUMN "coalesced_into" TEXT;
