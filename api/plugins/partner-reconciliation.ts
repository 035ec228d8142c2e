// Reconciliation with a partner: its list of the leads it sent (JSON, or the CSV its spreadsheet
// exports), the weekly reports matching it against what reached us, and the disputes over what
// disagrees. Ops and the partner itself upload; staff and the partner read; team leads and ops
// resolve disputes.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { duplicateRows, parseSentLeadsCsv, SentLeadsUpload } from '../../domain/sent-leads';
import { trimmedText } from '../../domain/text';
import type { Dispute } from '../../generated/prisma/client';
import type { Db } from '../../platform/db';
import { storeSentLeads } from '../../platform/repos/sent-leads';
import { allow, type Principal, STAFF } from '../auth';
import { utf8Body } from '../input';
import { badRequest, notFound, problemResponses } from '../problem';
import { PartnerId, PartnerParams, visiblePartner } from './partners';

export const SentLeadsResult = z.object({
  received: z.number().int(),
  created: z.number().int(),
  updated: z.number().int(),
  unchanged: z.number().int(),
});

export const ReportView = z.object({
  id: z.string(),
  partnerId: z.string(),
  periodFrom: z.string(),
  periodTo: z.string(),
  submitted: z.number().int(),
  matched: z.number().int(),
  missing: z.array(z.looseObject({ externalId: z.string() })),
  extra: z.array(z.looseObject({ externalId: z.string().nullable(), leadId: z.string() })),
  mismatched: z.array(z.looseObject({ externalId: z.string(), leadId: z.string(), differs: z.array(z.string()) })),
  createdAt: z.string(),
});

export const DisputeView = z.object({
  id: z.string(),
  partnerId: z.string(),
  reportId: z.string(),
  externalId: z.string().nullable(),
  leadId: z.string().nullable(),
  kind: z.enum(['missing', 'extra', 'mismatched']),
  status: z.enum(['open', 'resolved']),
  createdAt: z.string(),
  resolvedAt: z.string().nullable(),
  resolvedBy: z.string().nullable(),
  resolution: z.string().nullable(),
});

export const DisputeParams = z.object({ id: PartnerId, disputeId: z.string().min(1).max(100) });

export const DisputeResolution = z.object({
  resolution: trimmedText(5000).describe('What was agreed: e.g. "lead A-2 reached us by phone, credited to the partner"'),
});

export const DisputesQuery = z.object({ status: z.enum(['open', 'resolved']).optional() });

export interface PartnerReconciliationPluginOptions {
  db: Db;
}

const problems = problemResponses;
const tags = ['partners'];

export const partnerReconciliationPlugin: FastifyPluginAsyncZod<PartnerReconciliationPluginOptions> = async (app, { db }) => {
  const visible = (req: { principal?: Principal }, partnerId: string) => visiblePartner(db, req.principal!, partnerId);

  // Partners export their lists from spreadsheets: a CSV body is read here, scoped to this
  // plugin, and becomes the same `{ leads }` the JSON upload sends. Every bad row is reported
  // at once, by its line in the file.
  app.addContentTypeParser('text/csv', { parseAs: 'buffer' }, (_req, body, done) => {
    const parsed = parseSentLeadsCsv(utf8Body(body as Buffer));
    if ('problems' in parsed) done(badRequest(parsed.problems), undefined);
    else done(null, { leads: parsed.rows.map((r) => ({ ...r, sentAt: r.sentAt.toISOString() })) });
  });

  // --- reconciliation ------------------------------------------------------------------------------

  app.post(
    '/partners/:id/sent-leads',
    {
      schema: {
        tags,
        summary:
          "Upload the partner's list of leads it sent (upsert by externalId): JSON, or text/csv with the header externalId,sentAt,phone,email",
        description:
          'A CSV body is checked row by row; every bad row is reported in one 400, by its line in the file (the header is row 1).',
        params: PartnerParams,
        body: SentLeadsUpload,
        response: { 200: SentLeadsResult, ...problems },
      },
      preHandler: allow('ops', 'partner'),
    },
    async (req) => {
      const partner = await visible(req, req.params.id);
      const dupes = duplicateRows(req.body.leads, (i) => `body.leads.${i}`);
      if (dupes.length) throw badRequest(dupes);
      return storeSentLeads(db, partner.id, req.body.leads);
    },
  );

  app.get(
    '/partners/:id/reconciliations',
    {
      schema: {
        tags,
        summary: 'Weekly reconciliation reports of the partner, newest first',
        params: PartnerParams,
        querystring: z.object({ limit: z.coerce.number().int().min(1).max(200).default(20) }),
        response: { 200: z.object({ items: z.array(ReportView) }), ...problems },
      },
      preHandler: allow(...STAFF, 'partner'),
    },
    async (req) => {
      const partner = await visible(req, req.params.id);
      const rows = await db.reconciliationReport.findMany({
        where: { partnerId: partner.id },
        orderBy: [{ periodTo: 'desc' }, { createdAt: 'desc' }],
        take: req.query.limit,
      });
      return {
        items: rows.map((r) => ({
          id: r.id,
          partnerId: r.partnerId,
          periodFrom: r.periodFrom.toISOString(),
          periodTo: r.periodTo.toISOString(),
          submitted: r.submitted,
          matched: r.matched,
          missing: r.missing as never,
          extra: r.extra as never,
          mismatched: r.mismatched as never,
          createdAt: r.createdAt.toISOString(),
        })),
      };
    },
  );

  app.get(
    '/partners/:id/disputes',
    {
      schema: {
        tags,
        summary: 'Discrepancies under discussion with the partner (missing, extra, mismatched leads)',
        params: PartnerParams,
        querystring: DisputesQuery,
        response: { 200: z.object({ items: z.array(DisputeView) }), ...problems },
      },
      preHandler: allow(...STAFF, 'partner'),
    },
    async (req) => {
      const partner = await visible(req, req.params.id);
      const rows = await db.dispute.findMany({
        where: { partnerId: partner.id, status: req.query.status },
        orderBy: [{ createdAt: 'desc' }, { id: 'asc' }],
        take: 1000,
      });
      return { items: rows.map(disputeView) };
    },
  );

  app.post(
    '/partners/:id/disputes/:disputeId/resolve',
    {
      schema: {
        tags,
        summary: 'Close a discrepancy with what was agreed (a resolved dispute stays resolved)',
        params: DisputeParams,
        body: DisputeResolution,
        response: { 200: DisputeView, ...problems },
      },
      preHandler: allow('team_lead', 'ops'),
    },
    async (req) => {
      const partner = await visible(req, req.params.id);
      const where = { id: req.params.disputeId, partnerId: partner.id };
      // Only an open dispute changes: resolving it again answers with the first resolution.
      await db.dispute.updateMany({
        where: { ...where, status: 'open' },
        data: { status: 'resolved', resolvedAt: new Date(), resolvedBy: req.principal!.actor, resolution: req.body.resolution },
      });
      const row = await db.dispute.findFirst({ where });
      if (!row) throw notFound(`dispute ${req.params.disputeId} of partner ${partner.id}`);
      return disputeView(row);
    },
  );
};

function disputeView(d: Dispute): z.infer<typeof DisputeView> {
  return {
    id: d.id,
    partnerId: d.partnerId,
    reportId: d.reportId,
    externalId: d.externalId,
    leadId: d.leadId,
    kind: d.kind as z.infer<typeof DisputeView>['kind'],
    status: d.status as 'open' | 'resolved',
    createdAt: d.createdAt.toISOString(),
    resolvedAt: d.resolvedAt?.toISOString() ?? null,
    resolvedBy: d.resolvedBy,
    resolution: d.resolution,
  };
}
