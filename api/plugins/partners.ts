// /partners: the partner registry — profile, the agreement in force (a new one replaces it; old rows
// are never edited) and leaving on notice. Ops and admins change it; staff read it; a partner reads
// only itself. What clients say about partners and their grade is api/plugins/partner-grades.ts;
// reconciliation of what partners sent is api/plugins/partner-reconciliation.ts.
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { Agreement } from '../../domain/commission';
import { EmailAddress, PhoneNumber } from '../../domain/contact';
import { PartnerStatus } from '../../domain/partner-policy';
import { trimmedText } from '../../domain/text';
import type { Partner, PartnerAgreement } from '../../generated/prisma/client';
import type { Db } from '../../platform/db';
import { allow, ownPartnerOnly, type Principal, STAFF } from '../auth';
import { givePartnerNotice } from '../partner-notice';
import { HttpProblem, notFound, problemResponses } from '../problem';

// Shapes of the registry, as zod: validation, types and the OpenAPI document from one source.
// Money is integer minor units; times are ISO strings.

/** Partner ids appear in intake keys (`partner:<id>:<externalId>`) and workflow ids: no separators. */
export const PartnerId = z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'letters, digits, _ . - (at most 64)');

export const PartnerParams = z.object({ id: PartnerId });

// The length limit applies to what was sent (as the document says), the emptiness to the trimmed tag.
const Tag = trimmedText(64);
const Tags = z.array(Tag).max(50);
const Minor = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);

export const PartnerInput = z.object({
  id: PartnerId.describe('Our id of the partner (its API key subject and source.partnerId at intake)'),
  name: trimmedText(200),
  expertise: Tags.min(1).describe('Topics it takes leads for'),
  regions: Tags.default([]).describe('Regions it serves; empty: everywhere'),
  priceNicheMinor: Minor.optional().describe('Its usual project size; "a project to grow" is a bit above'),
  capacity: z.number().int().min(0).max(10_000).default(10).describe('Open offers and deals it can carry at once'),
  reserveFor: Tags.default([]).describe('Topics it is a reserve partner for: offered those last'),
  handoffEmail: EmailAddress.optional().describe('Where hand-off notices go'),
  handoffPhone: PhoneNumber.optional().describe('Its call centre, for live call transfers'),
});

export const PartnerPatch = z
  .object({
    expertise: Tags.min(1),
    regions: Tags,
    priceNicheMinor: Minor.nullable(),
    capacity: z.number().int().min(0).max(10_000),
    reserveFor: Tags,
  })
  .partial()
  .refine((p) => Object.keys(p).length > 0, 'nothing to change')
  .meta({ minProperties: 1 });

export const AgreementView = z.object({
  id: z.string(),
  model: z.enum(['percent_of_paid', 'fixed_per_lead', 'tiered_by_grade']),
  percentBps: z.number().int().nullable(),
  fixedFeeMinor: z.number().int().nullable(),
  tiers: z.array(z.object({ minGrade: z.number().int(), percentBps: z.number().int() })).nullable(),
  currency: z.string(),
  holdingDays: z.number().int(),
  minPayoutMinor: z.number().int(),
  active: z.boolean(),
  createdAt: z.string(),
});

export const PartnerView = z.object({
  id: z.string(),
  name: z.string(),
  expertise: z.array(z.string()),
  regions: z.array(z.string()),
  priceNicheMinor: z.number().int().nullable(),
  capacity: z.number().int(),
  grade: z.number().int().describe('The grade in force: the manual one when set, else the computed one'),
  gradeOverride: z.number().int().nullable(),
  gradeOverrideReason: z.string().nullable(),
  status: PartnerStatus,
  leavingNoticeAt: z.string().nullable(),
  closedAt: z.string().nullable(),
  reserveFor: z.array(z.string()),
  handoffEmail: z.string().nullable(),
  handoffPhone: z.string().nullable(),
  createdAt: z.string(),
  agreement: AgreementView.nullable().describe('The agreement in force; none: the default 10% of what the client paid'),
});

export const ListPartnersQuery = z.object({
  status: PartnerStatus.optional(),
  expertise: Tag.optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

export const AgreementInput = z.intersection(
  Agreement,
  z.object({
    holdingDays: z.number().int().min(0).max(365).default(30).describe('Days a commission is held (refunds) before it may be paid out'),
    minPayoutMinor: Minor.default(0).describe('Smaller balances wait for the next payout'),
  }),
);

export const NoticeResult = z.object({
  partnerId: z.string(),
  status: PartnerStatus,
  noticeAt: z.string(),
  exitAt: z.string(),
  workflowId: z.string(),
  replayed: z.boolean().describe('true: notice had been given before; this is that notice'),
});

export interface PartnersPluginOptions {
  db: Db;
  temporal: Client;
  taskQueue: string;
}

const problems = problemResponses;
const tags = ['partners'];

/** The registry refuses a change that does not fit the partner's state (409, with the reason). */
export const refused = (reason: string) =>
  new HttpProblem(409, 'action-refused', 'The partner cannot take this action now', { reason, detail: reason });

export const isUniqueViolation = (err: unknown) => (err as { code?: string } | null)?.code === 'P2002';

/** The partner, if this caller may see it: a partner sees only itself (another is a 404, as if there were none). */
export async function visiblePartner(db: Db, p: Principal, partnerId: string): Promise<Partner> {
  ownPartnerOnly(p, partnerId);
  const partner = await db.partner.findUnique({ where: { id: partnerId } });
  if (!partner) throw notFound(`partner ${partnerId}`);
  return partner;
}

/** Partners as the API shows them, each with the agreement in force (one query for all). */
export async function partnerViews(db: Db, partners: Partner[]): Promise<Array<z.infer<typeof PartnerView>>> {
  const agreements = await db.partnerAgreement.findMany({
    where: { partnerId: { in: partners.map((p) => p.id) }, active: true },
    orderBy: { createdAt: 'asc' },
  });
  const inForce = new Map(agreements.map((a) => [a.partnerId, a])); // the newest wins
  return partners.map((p) => partnerView(p, inForce.get(p.id)));
}

export const partnersPlugin: FastifyPluginAsyncZod<PartnersPluginOptions> = async (app, { db, temporal, taskQueue }) => {
  const visible = (req: { principal?: Principal }, partnerId: string) => visiblePartner(db, req.principal!, partnerId);
  const viewOf = async (partner: Partner) => (await partnerViews(db, [partner]))[0]!;

  // --- the registry -------------------------------------------------------------------------

  app.post(
    '/partners',
    {
      schema: { tags, summary: 'Register a partner (active at once)', body: PartnerInput, response: { 201: PartnerView, ...problems } },
      preHandler: allow('ops'),
    },
    async (req, reply) => {
      const b = req.body;
      try {
        const partner = await db.partner.create({
          data: {
            id: b.id,
            name: b.name,
            expertise: b.expertise,
            regions: b.regions,
            capacity: b.capacity,
            reserveFor: b.reserveFor,
            priceNicheMinor: b.priceNicheMinor === undefined ? null : BigInt(b.priceNicheMinor),
            handoffEmail: b.handoffEmail ?? null,
            handoffPhone: b.handoffPhone ?? null,
            status: 'active',
          },
        });
        return reply.status(201).send(await viewOf(partner));
      } catch (err) {
        if (isUniqueViolation(err)) throw refused(`partner ${b.id} is already registered`);
        throw err;
      }
    },
  );

  app.get(
    '/partners',
    {
      schema: {
        tags,
        summary: 'List partners, by status and expertise (a partner sees only itself)',
        querystring: ListPartnersQuery,
        response: { 200: z.object({ items: z.array(PartnerView) }), ...problems },
      },
      preHandler: allow(...STAFF, 'partner'),
    },
    async (req) => {
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
      return { items: await partnerViews(db, rows) };
    },
  );

  app.get(
    '/partners/:id',
    {
      schema: {
        tags,
        summary: 'A partner: profile, status, grade and the agreement in force',
        params: PartnerParams,
        response: { 200: PartnerView, ...problems },
      },
      preHandler: allow(...STAFF, 'partner'),
    },
    async (req) => viewOf(await visible(req, req.params.id)),
  );

  app.patch(
    '/partners/:id',
    {
      schema: {
        tags,
        summary: 'Change what the partner takes: capacity, expertise, regions, price niche, reserve topics',
        params: PartnerParams,
        body: PartnerPatch,
        response: { 200: PartnerView, ...problems },
      },
      preHandler: allow('ops'),
    },
    async (req) => {
      const partner = await visible(req, req.params.id);
      if (partner.status === 'rotated_out') throw refused(`partner ${partner.id} has left the programme`);
      const { priceNicheMinor, ...rest } = req.body;
      const updated = await db.partner.update({
        where: { id: partner.id },
        data: {
          ...rest,
          ...(priceNicheMinor === undefined ? {} : { priceNicheMinor: priceNicheMinor === null ? null : BigInt(priceNicheMinor) }),
        },
      });
      return viewOf(updated);
    },
  );

  // --- agreements: a new one replaces the one in force; old rows are never edited -----------

  app.post(
    '/partners/:id/agreements',
    {
      schema: {
        tags,
        summary: 'Put a new commission agreement in force (the previous one is kept, inactive)',
        params: PartnerParams,
        body: AgreementInput,
        response: { 201: AgreementView, ...problems },
      },
      preHandler: allow('ops'),
    },
    async (req, reply) => {
      const partner = await visible(req, req.params.id);
      if (partner.status === 'rotated_out') throw refused(`partner ${partner.id} has left the programme`);
      const a = req.body;
      const created = await db.$transaction(async (tx) => {
        // One agreement in force per partner, even when two are posted at once.
        await tx.$queryRaw`SELECT 1 AS locked FROM (SELECT pg_advisory_xact_lock(hashtextextended(${`agreement:${partner.id}`}, 0))) AS l`;
        await tx.partnerAgreement.updateMany({ where: { partnerId: partner.id, active: true }, data: { active: false } });
        return tx.partnerAgreement.create({
          data: {
            id: randomUUID(),
            partnerId: partner.id,
            model: a.model,
            currency: a.currency,
            holdingDays: a.holdingDays,
            minPayoutMinor: BigInt(a.minPayoutMinor),
            active: true,
            percentBps: a.model === 'percent_of_paid' ? a.percentBps : null,
            fixedFeeMinor: a.model === 'fixed_per_lead' ? BigInt(a.fixedFeeMinor) : null,
            tiers: a.model === 'tiered_by_grade' ? a.tiers : undefined,
          },
        });
      });
      return reply.status(201).send(agreementView(created));
    },
  );

  app.get(
    '/partners/:id/agreements',
    {
      schema: {
        tags,
        summary: 'Every agreement the partner had, newest first',
        params: PartnerParams,
        response: { 200: z.object({ items: z.array(AgreementView) }), ...problems },
      },
      preHandler: allow(...STAFF, 'partner'),
    },
    async (req) => {
      const partner = await visible(req, req.params.id);
      const rows = await db.partnerAgreement.findMany({
        where: { partnerId: partner.id },
        orderBy: [{ createdAt: 'desc' }, { id: 'asc' }],
      });
      return { items: rows.map(agreementView) };
    },
  );

  // --- leaving: 40 days' written notice -------------------------------------------------------

  app.post(
    '/partners/:id/notice',
    {
      schema: {
        tags,
        summary: "Record the partner's written notice: no new offers from now, rotated out when the notice period ends (idempotent)",
        params: PartnerParams,
        response: { 200: NoticeResult, 201: NoticeResult, ...problems },
      },
      preHandler: allow('ops'),
    },
    async (req, reply) => {
      await visible(req, req.params.id);
      const res = await givePartnerNotice({ db, temporal, taskQueue }, req.params.id);
      if (!res) throw notFound(`partner ${req.params.id}`);
      return reply.status(res.replayed ? 200 : 201).send({ ...res, status: res.status as z.infer<typeof NoticeResult>['status'] });
    },
  );
};

function partnerView(partner: Partner, agreement: PartnerAgreement | undefined): z.infer<typeof PartnerView> {
  return {
    id: partner.id,
    name: partner.name,
    expertise: partner.expertise,
    regions: partner.regions,
    priceNicheMinor: partner.priceNicheMinor === null ? null : Number(partner.priceNicheMinor),
    capacity: partner.capacity,
    grade: partner.grade,
    gradeOverride: partner.gradeOverride,
    gradeOverrideReason: partner.gradeOverrideReason,
    status: partner.status as z.infer<typeof PartnerView>['status'],
    leavingNoticeAt: partner.leavingNoticeAt?.toISOString() ?? null,
    closedAt: partner.closedAt?.toISOString() ?? null,
    reserveFor: partner.reserveFor,
    handoffEmail: partner.handoffEmail,
    handoffPhone: partner.handoffPhone,
    createdAt: partner.createdAt.toISOString(),
    agreement: agreement ? agreementView(agreement) : null,
  };
}

function agreementView(a: PartnerAgreement): z.infer<typeof AgreementView> {
  return {
    id: a.id,
    model: a.model as z.infer<typeof AgreementView>['model'],
    percentBps: a.percentBps,
    fixedFeeMinor: a.fixedFeeMinor === null ? null : Number(a.fixedFeeMinor),
    tiers: (a.tiers ?? null) as z.infer<typeof AgreementView>['tiers'],
    currency: a.currency,
    holdingDays: a.holdingDays,
    minPayoutMinor: Number(a.minPayoutMinor),
    active: a.active,
    createdAt: a.createdAt.toISOString(),
  };
}
