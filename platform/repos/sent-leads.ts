// A partner's list of the leads it says it sent us, uploaded through the API (JSON or CSV) and
// read by the weekly reconciliation (activities/reconciliation.ts).
import type { SentLeadRow } from '../../domain/sent-leads';
import { type Db, inListChunks } from '../db';

export interface StoredSentLeads {
  received: number;
  created: number;
  updated: number;
  unchanged: number;
}

/** Upserts the rows by (partner, external id): a corrected re-upload replaces what it names. */
export async function storeSentLeads(db: Db, partnerId: string, rows: SentLeadRow[]): Promise<StoredSentLeads> {
  const existing = new Map<string, { sentAt: Date; phone: string | null; email: string | null }>();
  for (const ids of inListChunks(rows.map((r) => r.externalId))) {
    for (const e of await db.partnerSentLead.findMany({ where: { partnerId, externalId: { in: ids } } })) existing.set(e.externalId, e);
  }
  const fresh = rows.filter((r) => !existing.has(r.externalId));
  const changed = rows.filter((r) => {
    const e = existing.get(r.externalId);
    return e && (e.sentAt.getTime() !== r.sentAt.getTime() || e.phone !== (r.phone ?? null) || e.email !== (r.email ?? null));
  });
  const uploadedAt = new Date();
  await db.$transaction([
    // skipDuplicates: an upload racing this one may have inserted the same ids first.
    db.partnerSentLead.createMany({
      data: fresh.map((r) => ({
        partnerId,
        externalId: r.externalId,
        sentAt: r.sentAt,
        phone: r.phone ?? null,
        email: r.email ?? null,
        uploadedAt,
      })),
      skipDuplicates: true,
    }),
    ...changed.map((r) =>
      db.partnerSentLead.update({
        where: { partnerId_externalId: { partnerId, externalId: r.externalId } },
        data: { sentAt: r.sentAt, phone: r.phone ?? null, email: r.email ?? null, uploadedAt },
      }),
    ),
  ]);
  return { received: rows.length, created: fresh.length, updated: changed.length, unchanged: rows.length - fresh.length - changed.length };
}
