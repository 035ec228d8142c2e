// Shapes of the partner registry API, as zod: validation, types and the OpenAPI document from
// one source. Money is integer minor units; times are ISO strings.
import { z } from 'zod';
import { trimmedText } from '../domain/text';
import { Agreement } from '../domain/commission';
import { EmailAddress, PhoneNumber } from '../domain/contact';
import { PartnerStatus } from '../domain/partner-policy';

/** Partner ids appear in intake keys (`partner:<id>:<externalId>`) and workflow ids: no separators. */
export const PartnerId = z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'letters, digits, _ . - (at most 64)');

export const PartnerParams = z.object({ id: PartnerId });
export const ConflictParams = z.object({ id: PartnerId, conflictId: z.uuid() });

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
  id: z.string(), leadId: z.string(), partnerId: z.string(), score: z.number().int(), deadlinesKept: z.boolean(),
  comment: z.string().nullable(), createdAt: z.string(), partnerGrade: GradeState,
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
  id: z.string(), partnerId: z.string(), leadId: z.string().nullable(), description: z.string(), status: ConflictStatus,
  fixes: z.array(z.string()), resolution: z.string().nullable(), openedAt: z.string(), resolvedAt: z.string().nullable(),
  partnerGrade: GradeState.optional(),
});

export const GradeOverride = z.object({
  grade: z.number().int().min(1).max(5).nullable().describe('The manual grade; null lifts the override and the computed grade applies again'),
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

export const SentLeadsResult = z.object({
  received: z.number().int(), created: z.number().int(), updated: z.number().int(), unchanged: z.number().int(),
});

export const ReportView = z.object({
  id: z.string(), partnerId: z.string(), periodFrom: z.string(), periodTo: z.string(), submitted: z.number().int(), matched: z.number().int(),
  missing: z.array(z.looseObject({ externalId: z.string() })),
  extra: z.array(z.looseObject({ externalId: z.string().nullable(), leadId: z.string() })),
  mismatched: z.array(z.looseObject({ externalId: z.string(), leadId: z.string(), differs: z.array(z.string()) })),
  createdAt: z.string(),
});

export const DisputeView = z.object({
  id: z.string(), partnerId: z.string(), reportId: z.string(), externalId: z.string().nullable(), leadId: z.string().nullable(),
  kind: z.enum(['missing', 'extra', 'mismatched']), status: z.enum(['open', 'resolved']), createdAt: z.string(), resolvedAt: z.string().nullable(),
  resolvedBy: z.string().nullable(), resolution: z.string().nullable(),
});

export const DisputeParams = z.object({ id: PartnerId, disputeId: z.string().min(1).max(100) });

export const DisputeResolution = z.object({
  resolution: trimmedText(5000).describe('What was agreed: e.g. "lead A-2 reached us by phone, credited to the partner"'),
});

export const DisputesQuery = z.object({ status: z.enum(['open', 'resolved']).optional() });
