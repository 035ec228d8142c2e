// /partners: the partner registry (profile, agreements, notice), what clients say about partners
// (feedback on a handed-off lead, conflicts tracked to resolution) and the grade they lead to,
// and reconciliation (the partner's sent-leads list, weekly reports, disputes).
// Ops and admins change the registry; staff read it and record what clients say; a partner
// reads only itself, and uploads its own sent-leads list.
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Db } from '../../platform/db';
import { overrideGrade, regradePartner } from '../../platform/repos/partner-grades';
import { storeSentLeads } from '../../platform/repos/sent-leads';
import { duplicateRows, parseSentLeadsCsv, SentLeadsUpload } from '../../domain/sent-leads';
import type { Dispute, Partner, PartnerAgreement, PartnerConflict } from '../../generated/prisma/client';
import { allow, STAFF } from '../auth';
import { utf8Body } from '../input';
import { givePartnerNotice } from '../partner-notice';
import * as S from '../partner-schemas';
import { badRequest, conflict, HttpProblem, notFound, problemResponses } from '../problem';
import { LeadIdParams } from '../schemas';

export interface PartnersPluginOptions { db: Db; temporal: Client; taskQueue: string }

const problems = problemResponses;
const tags = ['partners'];

/** The registry refuses a change that does not fit the partner's state (409, with the reason). */
const refused = (reason: string) => new HttpProblem(409, 'action-refused', 'The partner cannot take this action now', { reason, detail: reason });

const isUniqueViolation = (err: unknown) => (err as { code?: string } | null)?.code === 'P2002';

export const partnersPlugin: FastifyPluginAsyncZod<PartnersPluginOptions> = async (app, { db, temporal, taskQueue }) => {
  // Partners export their lists from spreadsheets: a CSV body is read here, scoped to this
  // plugin, and becomes the same `{ leads }` the JSON upload sends. Every bad row is reported
  // at once, by its line in the file.
  app.addContentTypeParser('text/csv', { parseAs: 'buffer' }, (_req, body, done) => {
    const parsed = parseSentLeadsCsv(utf8Body(body as Buffer));
    if ('problems' in parsed) done(badRequest(parsed.problems), undefined);
    else done(null, { leads: parsed.rows.map((r) => ({ ...r, sentAt: r.sentAt.toISOString() })) });
  });

  /** The partner, if this caller may see it: a partner sees only itself (others are 404). */
  async function visiblePartner(req: FastifyRequest, partnerId: string): Promise<Partner> {
    const p = req.principal!;
    if (p.role === 'partner' && p.subject !== partnerId) throw notFound(`partner ${partnerId}`);
    const partner = await db.partner.findUnique({ where: { id: partnerId } });
    if (!partner) throw notFound(`partner ${partnerId}`);
    return partner;
  }

  /** Partners as the API shows them, each with the agreement in force (one query for all). */
  async function partnerViews(partners: Partner[]): Promise<Array<z.infer<typeof S.PartnerView>>> {
    const agreements = await db.partnerAgreement.findMany({ where: { partnerId: { in: partners.map((p) => p.id) }, active: true }, orderBy: { createdAt: 'asc' } });
    const inForce = new Map(agreements.map((a) => [a.partnerId, a])); // the newest wins
    return partners.map((p) => partnerView(p, inForce.get(p.id)));
  }
  const viewOf = async (partner: Partner) => (await partnerViews([partner]))[0]!;

  // --- the registry -------------------------------------------------------------------------

  app.post('/partners', {
    schema: { tags, summary: 'Register a partner (active at once)', body: S.PartnerInput, response: { 201: S.PartnerView, ...problems } },
    preHandler: allow('ops'),
  }, async (req, reply) => {
    const b = req.body;
    try {
      const partner = await db.partner.create({
        data: {
          id: b.id, name: b.name, expertise: b.expertise, regions: b.regions, capacity: b.capacity, reserveFor: b.reserveFor,
          priceNicheMinor: b.priceNicheMinor === undefined ? null : BigInt(b.priceNicheMinor),
          handoffEmail: b.handoffEmail ?? null, handoffPhone: b.handoffPhone ?? null, status: 'active',
        },
      });
      return reply.status(201).send(await viewOf(partner));
    } catch (err) {
      if (isUniqueViolation(err)) throw refused(`partner ${b.id} is already registered`);
      throw err;
    }
  });

  app.get('/partners', {
    schema: { tags, summary: 'List partners, by status and expertise (a partner sees only itself)', querystring: S.ListPartnersQuery, response: { 200: z.object({ items: z.array(S.PartnerView) }), ...problems } },
    preHandler: allow(...STAFF, 'partner'),
  }, async (req) => {
    const p = req.principal!;
    const rows = await db.partner.findMany({
      where: {
        status: req.query.status,
        ...(req.query.expertise ? { expertise: { has: req.query.expertise } } : {}),
        ...(p.role === 'partner' ? { id: p.subject } : {}),
      },
      orderBy: [{ grade: 'desc' }, { id: 'asc' }],
      take: req.query.limit,
    });
    return { items: await partnerViews(rows) };
  });

  app.get('/partners/:id', {
    schema: { tags, summary: 'A partner: profile, status, grade and the agreement in force', params: S.PartnerParams, response: { 200: S.PartnerView, ...problems } },
    preHandler: allow(...STAFF, 'partner'),
  }, async (req) => viewOf(await visiblePartner(req, req.params.id)));

  app.patch('/partners/:id', {
    schema: { tags, summary: 'Change what the partner takes: capacity, expertise, regions, price niche, reserve topics', params: S.PartnerParams, body: S.PartnerPatch, response: { 200: S.PartnerView, ...problems } },
    preHandler: allow('ops'),
  }, async (req) => {
    const partner = await visiblePartner(req, req.params.id);
    if (partner.status === 'rotated_out') throw refused(`partner ${partner.id} has left the programme`);
    const { priceNicheMinor, ...rest } = req.body;
    const updated = await db.partner.update({
      where: { id: partner.id },
      data: { ...rest, ...(priceNicheMinor === undefined ? {} : { priceNicheMinor: priceNicheMinor === null ? null : BigInt(priceNicheMinor) }) },
    });
    return viewOf(updated);
  });

  // --- agreements: a new one replaces the one in force; old rows are never edited -----------

  app.post('/partners/:id/agreements', {
    schema: { tags, summary: 'Put a new commission agreement in force (the previous one is kept, inactive)', params: S.PartnerParams, body: S.AgreementInput, response: { 201: S.AgreementView, ...problems } },
    preHandler: allow('ops'),
  }, async (req, reply) => {
    const partner = await visiblePartner(req, req.params.id);
    if (partner.status === 'rotated_out') throw refused(`partner ${partner.id} has left the programme`);
    const a = req.body;
    const created = await db.$transaction(async (tx) => {
      // One agreement in force per partner, even when two are posted at once.
      await tx.$queryRaw`SELECT 1 AS locked FROM (SELECT pg_advisory_xact_lock(hashtextextended(${`agreement:${partner.id}`}, 0))) AS l`;
      await tx.partnerAgreement.updateMany({ where: { partnerId: partner.id, active: true }, data: { active: false } });
      return tx.partnerAgreement.create({
        data: {
          id: randomUUID(), partnerId: partner.id, model: a.model, currency: a.currency, holdingDays: a.holdingDays, minPayoutMinor: BigInt(a.minPayoutMinor), active: true,
          percentBps: a.model === 'percent_of_paid' ? a.percentBps : null,
          fixedFeeMinor: a.model === 'fixed_per_lead' ? BigInt(a.fixedFeeMinor) : null,
          tiers: a.model === 'tiered_by_grade' ? a.tiers : undefined,
        },
      });
    });
    return reply.status(201).send(agreementView(created));
  });

  app.get('/partners/:id/agreements', {
    schema: { tags, summary: 'Every agreement the partner had, newest first', params: S.PartnerParams, response: { 200: z.object({ items: z.array(S.AgreementView) }), ...problems } },
    preHandler: allow(...STAFF, 'partner'),
  }, async (req) => {
    const partner = await visiblePartner(req, req.params.id);
    const rows = await db.partnerAgreement.findMany({ where: { partnerId: partner.id }, orderBy: [{ createdAt: 'desc' }, { id: 'asc' }] });
    return { items: rows.map(agreementView) };
  });

  // --- leaving: 40 days' written notice -------------------------------------------------------

  app.post('/partners/:id/notice', {
    schema: {
      tags, summary: "Record the partner's written notice: no new offers from now, rotated out when the notice period ends (idempotent)",
      params: S.PartnerParams, response: { 200: S.NoticeResult, 201: S.NoticeResult, ...problems },
    },
    preHandler: allow('ops'),
  }, async (req, reply) => {
    await visiblePartner(req, req.params.id);
    const res = await givePartnerNotice({ db, temporal, taskQueue }, req.params.id);
    if (!res) throw notFound(`partner ${req.params.id}`);
    return reply.status(res.replayed ? 200 : 201).send({ ...res, status: res.status as z.infer<typeof S.NoticeResult>['status'] });
  });

  // --- what clients say, and the grade ----------------------------------------------------------

  app.post('/leads/:id/feedback', {
    schema: {
      tags, summary: "The client's feedback on the partner that took the lead (once per lead and partner); the partner is regraded",
      params: LeadIdParams, body: S.FeedbackInput, response: { 200: S.FeedbackView, ...problems },
    },
    preHandler: allow(...STAFF),
  }, async (req) => {
    const leadId = req.params.id;
    const { partnerId, score, deadlinesKept, comment } = req.body;
    if (!(await db.lead.findUnique({ where: { id: leadId }, select: { id: true } }))) throw notFound(`lead ${leadId}`);
    const offer = await db.partnerOffer.findUnique({ where: { leadId_partnerId: { leadId, partnerId } } });
    if (offer?.status !== 'accepted') throw conflict(`partner ${partnerId} did not accept lead ${leadId}: there is nothing of its work to give feedback on`);
    let row;
    try {
      row = await db.partnerFeedback.create({ data: { id: `feedback:${leadId}:${partnerId}`, leadId, partnerId, score, deadlinesKept, comment: comment ?? null } });
    } catch (err) {
      if (isUniqueViolation(err)) throw conflict(`the client's feedback on partner ${partnerId} for lead ${leadId} is already recorded`);
      throw err;
    }
    const graded = await regradePartner(db, partnerId, req.principal!.actor);
    return {
      id: row.id, leadId, partnerId, score, deadlinesKept, comment: row.comment, createdAt: row.createdAt.toISOString(),
      partnerGrade: gradeState(graded),
    };
  });

  app.post('/partners/:id/conflicts', {
    schema: { tags, summary: 'Record a client complaint about the partner (counts against its grade until resolved)', params: S.PartnerParams, body: S.ConflictInput, response: { 201: S.ConflictView, ...problems } },
    preHandler: allow(...STAFF),
  }, async (req, reply) => {
    const partner = await visiblePartner(req, req.params.id);
    if (req.body.leadId && !(await db.lead.findUnique({ where: { id: req.body.leadId }, select: { id: true } }))) throw notFound(`lead ${req.body.leadId}`);
    const row = await db.partnerConflict.create({
      data: { id: randomUUID(), partnerId: partner.id, leadId: req.body.leadId ?? null, description: req.body.description, status: 'open', fixes: [] },
    });
    const graded = await regradePartner(db, partner.id, req.principal!.actor);
    return reply.status(201).send({ ...conflictView(row), partnerGrade: gradeState(graded) });
  });

  app.get('/partners/:id/conflicts', {
    schema: { tags, summary: 'Client conflicts with the partner and their backlog of fixes, newest first', params: S.PartnerParams, querystring: z.object({ status: S.ConflictStatus.optional() }), response: { 200: z.object({ items: z.array(S.ConflictView) }), ...problems } },
    preHandler: allow(...STAFF, 'partner'),
  }, async (req) => {
    const partner = await visiblePartner(req, req.params.id);
    const rows = await db.partnerConflict.findMany({ where: { partnerId: partner.id, status: req.query.status }, orderBy: [{ openedAt: 'desc' }, { id: 'asc' }] });
    return { items: rows.map(conflictView) };
  });

  app.patch('/partners/:id/conflicts/:conflictId', {
    schema: { tags, summary: 'Move a conflict on: discussed with the partner, its backlog of fixes, resolved with the resolution', params: S.ConflictParams, body: S.ConflictPatch, response: { 200: S.ConflictView, ...problems } },
    preHandler: allow('ops'),
  }, async (req) => {
    const { id: partnerId, conflictId } = req.params;
    const row = await db.partnerConflict.findUnique({ where: { id: conflictId } });
    if (!row || row.partnerId !== partnerId) throw notFound(`conflict ${conflictId} of partner ${partnerId}`);
    if (row.status === 'resolved') throw refused(`conflict ${conflictId} is resolved; record a new one if the client complains again`);
    const { status, fixes, resolution } = req.body;
    const updated = await db.partnerConflict.update({
      where: { id: conflictId },
      data: { status, fixes, resolution, ...(status === 'resolved' ? { resolvedAt: new Date() } : {}) },
    });
    const graded = await regradePartner(db, partnerId, req.principal!.actor);
    return { ...conflictView(updated), partnerGrade: gradeState(graded) };
  });

  app.post('/partners/:id/grade', {
    schema: { tags, summary: 'Set the grade by hand, with the reason (wins over the computed grade); null lifts it', params: S.PartnerParams, body: S.GradeOverride, response: { 200: S.PartnerView, ...problems } },
    preHandler: allow('ops'),
  }, async (req) => {
    const partner = await visiblePartner(req, req.params.id);
    if (req.body.grade === null && partner.gradeOverride === null) throw refused(`partner ${partner.id} has no manual grade to lift`);
    await overrideGrade(db, partner.id, req.body.grade, req.body.reason, req.principal!.actor);
    return viewOf(await db.partner.findUniqueOrThrow({ where: { id: partner.id } }));
  });

  app.get('/partners/:id/grades', {
    schema: { tags, summary: 'Every grade the partner had, newest first: computed (with inputs) or set by hand (with the reason)', params: S.PartnerParams, querystring: z.object({ limit: z.coerce.number().int().min(1).max(500).default(100) }), response: { 200: z.object({ items: z.array(S.GradeEntry) }), ...problems } },
    preHandler: allow(...STAFF, 'partner'),
  }, async (req) => {
    const partner = await visiblePartner(req, req.params.id);
    const rows = await db.partnerGrade.findMany({ where: { partnerId: partner.id }, orderBy: { id: 'desc' }, take: req.query.limit });
    return {
      items: rows.map((g) => ({
        grade: g.grade, source: g.source as 'computed' | 'override', inputs: (g.inputs ?? null) as Record<string, unknown> | null,
        reason: g.reason, actor: g.actor, at: g.at.toISOString(),
      })),
    };
  });

  // --- reconciliation ------------------------------------------------------------------------------

  app.post('/partners/:id/sent-leads', {
    schema: {
      tags, summary: "Upload the partner's list of leads it sent (upsert by externalId): JSON, or text/csv with the header externalId,sentAt,phone,email",
      description: 'A CSV body is checked row by row; every bad row is reported in one 400, by its line in the file (the header is row 1).',
      params: S.PartnerParams, body: SentLeadsUpload, response: { 200: S.SentLeadsResult, ...problems },
    },
    preHandler: allow('ops', 'partner'),
  }, async (req) => {
    const partner = await visiblePartner(req, req.params.id);
    const dupes = duplicateRows(req.body.leads, (i) => `body.leads.${i}`);
    if (dupes.length) throw badRequest(dupes);
    return storeSentLeads(db, partner.id, req.body.leads);
  });

  app.get('/partners/:id/reconciliations', {
    schema: { tags, summary: 'Weekly reconciliation reports of the partner, newest first', params: S.PartnerParams, querystring: z.object({ limit: z.coerce.number().int().min(1).max(200).default(20) }), response: { 200: z.object({ items: z.array(S.ReportView) }), ...problems } },
    preHandler: allow(...STAFF, 'partner'),
  }, async (req) => {
    const partner = await visiblePartner(req, req.params.id);
    const rows = await db.reconciliationReport.findMany({ where: { partnerId: partner.id }, orderBy: [{ periodTo: 'desc' }, { createdAt: 'desc' }], take: req.query.limit });
    return {
      items: rows.map((r) => ({
        id: r.id, partnerId: r.partnerId, periodFrom: r.periodFrom.toISOString(), periodTo: r.periodTo.toISOString(), submitted: r.submitted, matched: r.matched,
        missing: r.missing as never, extra: r.extra as never, mismatched: r.mismatched as never, createdAt: r.createdAt.toISOString(),
      })),
    };
  });

  app.get('/partners/:id/disputes', {
    schema: { tags, summary: 'Discrepancies under discussion with the partner (missing, extra, mismatched leads)', params: S.PartnerParams, querystring: S.DisputesQuery, response: { 200: z.object({ items: z.array(S.DisputeView) }), ...problems } },
    preHandler: allow(...STAFF, 'partner'),
  }, async (req) => {
    const partner = await visiblePartner(req, req.params.id);
    const rows = await db.dispute.findMany({ where: { partnerId: partner.id, status: req.query.status }, orderBy: [{ createdAt: 'desc' }, { id: 'asc' }], take: 1000 });
    return { items: rows.map(disputeView) };
  });

  app.post('/partners/:id/disputes/:disputeId/resolve', {
    schema: { tags, summary: 'Close a discrepancy with what was agreed (a resolved dispute stays resolved)', params: S.DisputeParams, body: S.DisputeResolution, response: { 200: S.DisputeView, ...problems } },
    preHandler: allow('team_lead', 'ops'),
  }, async (req) => {
    const partner = await visiblePartner(req, req.params.id);
    const where = { id: req.params.disputeId, partnerId: partner.id };
    // Only an open dispute changes: resolving it again answers with the first resolution.
    await db.dispute.updateMany({
      where: { ...where, status: 'open' },
      data: { status: 'resolved', resolvedAt: new Date(), resolvedBy: req.principal!.actor, resolution: req.body.resolution },
    });
    const row = await db.dispute.findFirst({ where });
    if (!row) throw notFound(`dispute ${req.params.disputeId} of partner ${partner.id}`);
    return disputeView(row);
  });
};

function disputeView(d: Dispute): z.infer<typeof S.DisputeView> {
  return {
    id: d.id, partnerId: d.partnerId, reportId: d.reportId, externalId: d.externalId, leadId: d.leadId,
    kind: d.kind as z.infer<typeof S.DisputeView>['kind'], status: d.status as 'open' | 'resolved',
    createdAt: d.createdAt.toISOString(), resolvedAt: d.resolvedAt?.toISOString() ?? null, resolvedBy: d.resolvedBy, resolution: d.resolution,
  };
}

function partnerView(partner: Partner, agreement: PartnerAgreement | undefined): z.infer<typeof S.PartnerView> {
  return {
    id: partner.id, name: partner.name, expertise: partner.expertise, regions: partner.regions,
    priceNicheMinor: partner.priceNicheMinor === null ? null : Number(partner.priceNicheMinor), capacity: partner.capacity,
    grade: partner.grade, gradeOverride: partner.gradeOverride, gradeOverrideReason: partner.gradeOverrideReason,
    status: partner.status as z.infer<typeof S.PartnerView>['status'], leavingNoticeAt: partner.leavingNoticeAt?.toISOString() ?? null,
    closedAt: partner.closedAt?.toISOString() ?? null, reserveFor: partner.reserveFor, handoffEmail: partner.handoffEmail,
    handoffPhone: partner.handoffPhone, createdAt: partner.createdAt.toISOString(), agreement: agreement ? agreementView(agreement) : null,
  };
}

function agreementView(a: PartnerAgreement): z.infer<typeof S.AgreementView> {
  return {
    id: a.id, model: a.model as z.infer<typeof S.AgreementView>['model'], percentBps: a.percentBps,
    fixedFeeMinor: a.fixedFeeMinor === null ? null : Number(a.fixedFeeMinor), tiers: (a.tiers ?? null) as z.infer<typeof S.AgreementView>['tiers'],
    currency: a.currency, holdingDays: a.holdingDays, minPayoutMinor: Number(a.minPayoutMinor), active: a.active, createdAt: a.createdAt.toISOString(),
  };
}

function conflictView(c: PartnerConflict): z.infer<typeof S.ConflictView> {
  return {
    id: c.id, partnerId: c.partnerId, leadId: c.leadId, description: c.description, status: c.status as z.infer<typeof S.ConflictStatus>,
    fixes: (c.fixes ?? []) as string[], resolution: c.resolution, openedAt: c.openedAt.toISOString(), resolvedAt: c.resolvedAt?.toISOString() ?? null,
  };
}

const gradeState = (g: { grade: number; computed: number; overridden: boolean; sampled: boolean }) =>
  ({ grade: g.grade, computed: g.computed, overridden: g.overridden, sampled: g.sampled });
