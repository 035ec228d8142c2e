// What clients say about partners, and the grade it leads to: the client's feedback on the partner
// that took a lead (POST /leads/:id/feedback), complaints tracked to resolution, the grade set by
// hand and the grade history. Each regrades the partner (platform/repos/partner-grades.ts, shared
// with the worker's activities). Staff record what clients say; ops set grades; a partner reads its own.
import { randomUUID } from 'node:crypto';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { trimmedText } from '../../domain/text';
import type { PartnerConflict } from '../../generated/prisma/client';
import type { Db } from '../../platform/db';
import { overrideGrade, regradePartner } from '../../platform/repos/partner-grades';
import { allow, type Principal, STAFF } from '../auth';
import { conflict, notFound, problemResponses } from '../problem';
import { LeadIdParams } from '../schemas';
import { isUniqueViolation, PartnerId, PartnerParams, partnerViews, PartnerView, refused, visiblePartner } from './partners';

export const ConflictParams = z.object({ id: PartnerId, conflictId: z.uuid() });

export const FeedbackInput = z.object({
  partnerId: PartnerId.describe('The partner that accepted this lead'),
  score: z.number().int().min(1).max(5),
  deadlinesKept: z.boolean(),
  comment: trimmedText(2000, 0).optional(),
});

export const GradeState = z.object({
  grade: z.number().int(),
  computed: z.number().int().describe('What the formula gives now'),
  overridden: z.boolean(),
  sampled: z.boolean().describe('false: fewer than 3 client feedbacks, the grade stays'),
});

export const FeedbackView = z.object({
  id: z.string(),
  leadId: z.string(),
  partnerId: z.string(),
  score: z.number().int(),
  deadlinesKept: z.boolean(),
  comment: z.string().nullable(),
  createdAt: z.string(),
  partnerGrade: GradeState,
});

export const ConflictStatus = z.enum(['open', 'discussed', 'resolved']);

export const ConflictInput = z.object({
  leadId: z.uuid().optional().describe('The lead the complaint is about, if any'),
  description: trimmedText(5000),
});

export const ConflictPatch = z
  .object({
    status: z.enum(['discussed', 'resolved']),
    fixes: z.array(trimmedText(500)).max(100).describe('The backlog of fixes agreed with the partner (replaces the list)'),
    resolution: trimmedText(5000),
  })
  .partial()
  .refine((p) => Object.keys(p).length > 0, 'nothing to change')
  .refine((p) => p.status !== 'resolved' || !!p.resolution, { message: 'a resolved conflict needs its resolution', path: ['resolution'] })
  .meta({ minProperties: 1 });

export const ConflictView = z.object({
  id: z.string(),
  partnerId: z.string(),
  leadId: z.string().nullable(),
  description: z.string(),
  status: ConflictStatus,
  fixes: z.array(z.string()),
  resolution: z.string().nullable(),
  openedAt: z.string(),
  resolvedAt: z.string().nullable(),
  partnerGrade: GradeState.optional(),
});

export const GradeOverride = z.object({
  grade: z
    .number()
    .int()
    .min(1)
    .max(5)
    .nullable()
    .describe('The manual grade; null lifts the override and the computed grade applies again'),
  reason: trimmedText(1000, 3).describe('Why: the history keeps it'),
});

export const GradeEntry = z.object({
  grade: z.number().int(),
  source: z.enum(['computed', 'override']),
  inputs: z.record(z.string(), z.unknown()).nullable(),
  reason: z.string().nullable(),
  actor: z.string(),
  at: z.string(),
});

export interface PartnerGradesPluginOptions {
  db: Db;
}

const problems = problemResponses;
const tags = ['partners'];

export const partnerGradesPlugin: FastifyPluginAsyncZod<PartnerGradesPluginOptions> = async (app, { db }) => {
  const visible = (req: { principal?: Principal }, partnerId: string) => visiblePartner(db, req.principal!, partnerId);

  // --- what clients say, and the grade ----------------------------------------------------------

  app.post(
    '/leads/:id/feedback',
    {
      schema: {
        tags,
        summary: "The client's feedback on the partner that took the lead (once per lead and partner); the partner is regraded",
        params: LeadIdParams,
        body: FeedbackInput,
        response: { 200: FeedbackView, ...problems },
      },
      preHandler: allow(...STAFF),
    },
    async (req) => {
      const leadId = req.params.id;
      const { partnerId, score, deadlinesKept, comment } = req.body;
      if (!(await db.lead.findUnique({ where: { id: leadId }, select: { id: true } }))) throw notFound(`lead ${leadId}`);
      const offer = await db.partnerOffer.findUnique({ where: { leadId_partnerId: { leadId, partnerId } } });
      if (offer?.status !== 'accepted')
        throw conflict(`partner ${partnerId} did not accept lead ${leadId}: there is nothing of its work to give feedback on`);
      let row;
      try {
        row = await db.partnerFeedback.create({
          data: { id: `feedback:${leadId}:${partnerId}`, leadId, partnerId, score, deadlinesKept, comment: comment ?? null },
        });
      } catch (err) {
        if (isUniqueViolation(err)) throw conflict(`the client's feedback on partner ${partnerId} for lead ${leadId} is already recorded`);
        throw err;
      }
      const graded = await regradePartner(db, partnerId, req.principal!.actor);
      return {
        id: row.id,
        leadId,
        partnerId,
        score,
        deadlinesKept,
        comment: row.comment,
        createdAt: row.createdAt.toISOString(),
        partnerGrade: gradeState(graded),
      };
    },
  );

  app.post(
    '/partners/:id/conflicts',
    {
      schema: {
        tags,
        summary: 'Record a client complaint about the partner (counts against its grade until resolved)',
        params: PartnerParams,
        body: ConflictInput,
        response: { 201: ConflictView, ...problems },
      },
      preHandler: allow(...STAFF),
    },
    async (req, reply) => {
      const partner = await visible(req, req.params.id);
      if (req.body.leadId && !(await db.lead.findUnique({ where: { id: req.body.leadId }, select: { id: true } })))
        throw notFound(`lead ${req.body.leadId}`);
      const row = await db.partnerConflict.create({
        data: {
          id: randomUUID(),
          partnerId: partner.id,
          leadId: req.body.leadId ?? null,
          description: req.body.description,
          status: 'open',
          fixes: [],
        },
      });
      const graded = await regradePartner(db, partner.id, req.principal!.actor);
      return reply.status(201).send({ ...conflictView(row), partnerGrade: gradeState(graded) });
    },
  );

  app.get(
    '/partners/:id/conflicts',
    {
      schema: {
        tags,
        summary: 'Client conflicts with the partner and their backlog of fixes, newest first',
        params: PartnerParams,
        querystring: z.object({ status: ConflictStatus.optional() }),
        response: { 200: z.object({ items: z.array(ConflictView) }), ...problems },
      },
      preHandler: allow(...STAFF, 'partner'),
    },
    async (req) => {
      const partner = await visible(req, req.params.id);
      const rows = await db.partnerConflict.findMany({
        where: { partnerId: partner.id, status: req.query.status },
        orderBy: [{ openedAt: 'desc' }, { id: 'asc' }],
      });
      return { items: rows.map(conflictView) };
    },
  );

  app.patch(
    '/partners/:id/conflicts/:conflictId',
    {
      schema: {
        tags,
        summary: 'Move a conflict on: discussed with the partner, its backlog of fixes, resolved with the resolution',
        params: ConflictParams,
        body: ConflictPatch,
        response: { 200: ConflictView, ...problems },
      },
      preHandler: allow('ops'),
    },
    async (req) => {
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
    },
  );

  app.post(
    '/partners/:id/grade',
    {
      schema: {
        tags,
        summary: 'Set the grade by hand, with the reason (wins over the computed grade); null lifts it',
        params: PartnerParams,
        body: GradeOverride,
        response: { 200: PartnerView, ...problems },
      },
      preHandler: allow('ops'),
    },
    async (req) => {
      const partner = await visible(req, req.params.id);
      if (req.body.grade === null && partner.gradeOverride === null) throw refused(`partner ${partner.id} has no manual grade to lift`);
      await overrideGrade(db, partner.id, req.body.grade, req.body.reason, req.principal!.actor);
      return (await partnerViews(db, [await db.partner.findUniqueOrThrow({ where: { id: partner.id } })]))[0]!;
    },
  );

  app.get(
    '/partners/:id/grades',
    {
      schema: {
        tags,
        summary: 'Every grade the partner had, newest first: computed (with inputs) or set by hand (with the reason)',
        params: PartnerParams,
        querystring: z.object({ limit: z.coerce.number().int().min(1).max(500).default(100) }),
        response: { 200: z.object({ items: z.array(GradeEntry) }), ...problems },
      },
      preHandler: allow(...STAFF, 'partner'),
    },
    async (req) => {
      const partner = await visible(req, req.params.id);
      const rows = await db.partnerGrade.findMany({ where: { partnerId: partner.id }, orderBy: { id: 'desc' }, take: req.query.limit });
      return {
        items: rows.map((g) => ({
          grade: g.grade,
          source: g.source as 'computed' | 'override',
          inputs: (g.inputs ?? null) as Record<string, unknown> | null,
          reason: g.reason,
          actor: g.actor,
          at: g.at.toISOString(),
        })),
      };
    },
  );
};

function conflictView(c: PartnerConflict): z.infer<typeof ConflictView> {
  return {
    id: c.id,
    partnerId: c.partnerId,
    leadId: c.leadId,
    description: c.description,
    status: c.status as z.infer<typeof ConflictStatus>,
    fixes: (c.fixes ?? []) as string[],
    resolution: c.resolution,
    openedAt: c.openedAt.toISOString(),
    resolvedAt: c.resolvedAt?.toISOString() ?? null,
  };
}

const gradeState = (g: { grade: number; computed: number; overridden: boolean; sampled: boolean }) => ({
  grade: g.grade,
  computed: g.computed,
  overridden: g.overridden,
  sampled: g.sampled,
});
