// Reconciliation's side of PostgreSQL: the weekly report against the partner's sent-leads list
// (platform/repos/sent-leads.ts), with one dispute per discrepancy. Report and dispute ids come
// from the partner and period (domain/reconcile.ts), so a retried activity or a repeated sweep
// rewrites the same rows instead of adding new ones.
import { ApplicationFailure } from '@temporalio/common';
import { disputeIdOf, reconcile, type Period, type ReceivedLead, reportIdOf } from '../domain/reconcile';
import { type Db, inListChunks } from '../platform/db';

export interface ReconciledPartner {
  partnerId: string;
  /** Set when there was nothing to reconcile against. */
  skipped?: string;
  reportId?: string;
  submitted?: number;
  matched?: number;
  missing?: number;
  extra?: number;
  mismatched?: number;
  openDisputes?: number;
}

const intakePrefix = (partnerId: string) => `partner:${partnerId}:`;

/** What reached us from the partner: leads it created, and inquiries under its intake keys. */
async function receivedFrom(db: Db, partnerId: string, where: { period?: Period; externalIds?: string[] }): Promise<ReceivedLead[]> {
  const prefix = intakePrefix(partnerId);
  const contact = { select: { phone: true, email: true } } as const;
  const out: ReceivedLead[] = [];
  const add = (
    leads: Array<{ id: string; externalId: string | null; createdAt: Date; phone: string | null; email: string | null }>,
    inquiries: Array<{ intakeKey: string; leadId: string; receivedAt: Date; lead: { phone: string | null; email: string | null } }>,
  ) => {
    for (const l of leads) out.push({ externalId: l.externalId, leadId: l.id, receivedAt: l.createdAt, phone: l.phone, email: l.email });
    for (const i of inquiries)
      out.push({
        externalId: i.intakeKey.slice(prefix.length),
        leadId: i.leadId,
        receivedAt: i.receivedAt,
        phone: i.lead.phone,
        email: i.lead.email,
      });
  };
  if (where.period) {
    const range = { gte: where.period.from, lt: where.period.to };
    add(
      await db.lead.findMany({ where: { sourcePartnerId: partnerId, createdAt: range } }),
      await db.inquiry.findMany({ where: { intakeKey: { startsWith: prefix }, receivedAt: range }, include: { lead: contact } }),
    );
  }
  for (const ids of inListChunks(where.externalIds ?? [])) {
    add(
      await db.lead.findMany({ where: { sourcePartnerId: partnerId, externalId: { in: ids } } }),
      await db.inquiry.findMany({ where: { intakeKey: { in: ids.map((id) => prefix + id) } }, include: { lead: contact } }),
    );
  }
  return out;
}

/** Reconciles one partner's list for the period: one report, one dispute per discrepancy. */
export async function reconcilePartner(db: Db, partnerId: string, period: Period): Promise<ReconciledPartner> {
  const partner = await db.partner.findUnique({ where: { id: partnerId } });
  if (!partner) throw ApplicationFailure.nonRetryable(`unknown partner ${partnerId}`, 'UnknownPartner');
  // A partner that never uploaded a list is not in the reconciliation programme yet: without
  // this, every lead it ever sent would come back as an "extra" dispute each week.
  if (!(await db.partnerSentLead.findFirst({ where: { partnerId }, select: { externalId: true } }))) {
    return { partnerId, skipped: 'no sent-leads list uploaded' };
  }

  const sentInPeriod = await db.partnerSentLead.findMany({ where: { partnerId, sentAt: { gte: period.from, lt: period.to } } });
  const listedIds = new Set(sentInPeriod.map((s) => s.externalId));
  const received = await receivedFrom(db, partnerId, { period, externalIds: [...listedIds] });
  // A lead received now but listed under an earlier date is on the list all the same.
  const unlisted = [...new Set(received.map((r) => r.externalId).filter((id): id is string => id !== null && !listedIds.has(id)))];
  const listedElsewhere = [];
  for (const ids of inListChunks(unlisted))
    listedElsewhere.push(...(await db.partnerSentLead.findMany({ where: { partnerId, externalId: { in: ids } } })));

  const result = reconcile({ period, sent: [...sentInPeriod, ...listedElsewhere], received });
  const reportId = reportIdOf(partnerId, period);
  const disputes = [
    ...result.missing.map((d) => ({ kind: 'missing', externalId: d.externalId, leadId: null })),
    ...result.extra.map((d) => ({ kind: 'extra', externalId: d.externalId, leadId: d.leadId })),
    ...result.mismatched.map((d) => ({ kind: 'mismatched', externalId: d.externalId, leadId: d.leadId })),
  ].map((d) => ({ ...d, id: disputeIdOf(reportId, d) }));
  const report = {
    submitted: result.submitted,
    matched: result.matched,
    missing: result.missing,
    extra: result.extra,
    mismatched: result.mismatched,
  };

  await db.$transaction([
    db.reconciliationReport.upsert({
      where: { id: reportId },
      create: { id: reportId, partnerId, periodFrom: period.from, periodTo: period.to, ...report },
      update: report,
    }),
    ...disputes.map((d) =>
      db.dispute.upsert({
        where: { id: d.id },
        create: { id: d.id, partnerId, reportId, externalId: d.externalId, leadId: d.leadId, kind: d.kind, status: 'open' },
        // A dispute someone resolved stays resolved; only what it is about may have moved on.
        update: { kind: d.kind, leadId: d.leadId },
      }),
    ),
    // A rerun after the partner corrected its list closes the disputes that no longer hold.
    db.dispute.updateMany({
      where: { reportId, status: 'open', id: { notIn: disputes.map((d) => d.id) } },
      data: {
        status: 'resolved',
        resolvedAt: new Date(),
        resolvedBy: 'system',
        resolution: "the partner's corrected list no longer shows it",
      },
    }),
  ]);
  return {
    partnerId,
    reportId,
    submitted: result.submitted,
    matched: result.matched,
    missing: result.missing.length,
    extra: result.extra.length,
    mismatched: result.mismatched.length,
    openDisputes: await db.dispute.count({ where: { reportId, status: 'open' } }),
  };
}

/** Who the weekly sweep covers: partners still working with us, including those under notice. */
export async function partnersToReconcile(db: Db): Promise<string[]> {
  const rows = await db.partner.findMany({
    where: { status: { in: ['active', 'leaving'] } },
    select: { id: true },
    orderBy: { id: 'asc' },
  });
  return rows.map((r) => r.id);
}
