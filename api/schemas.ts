// Response shapes of the API, as zod: serialisation and the OpenAPI document from one source.
import { z } from 'zod';
import { DealStage } from '../domain/actions';
import { STAGES } from '../domain/lifecycle';

export const Stage = z.enum(STAGES);

export const IntakeResult = z.object({
  leadId: z.string(),
  workflowId: z.string(),
  status: z.enum(['created', 'attached']).describe('created: a new lead; attached: a repeat inquiry of a known contact'),
  replayed: z.boolean().describe('true when this exact request was seen before (idempotent replay)'),
  matchedOn: z.string().optional(),
});

export const LeadView = z.looseObject({
  leadId: z.string(),
  kind: z.enum(['lead', 'interest']),
  sourceChannel: z.string(),
  stage: Stage,
  dealStage: DealStage.optional(),
  closedReason: z.string().optional(),
  managerId: z.string().optional(),
  creditPartnerId: z.string().optional(),
  stale: z.boolean(),
  slaFrom: z.string(),
  offers: z.array(z.object({ partnerId: z.string(), offeredAt: z.string(), status: z.string(), reason: z.string().optional() })),
  deal: z.looseObject({ valueMinor: z.number().int().optional(), currency: z.string().optional(), paidMinor: z.number().int() }),
  reengagement: z.object({ attempt: z.number().int(), touchedAt: z.string().optional() }),
  seq: z.number().int(),
});

export const HistoryEntry = z.object({
  seq: z.number().int(),
  at: z.string(),
  type: z.string(),
  stage: z.string(),
  actor: z.string(),
  reason: z.string().nullable(),
});

export const LeadSummary = z.object({
  id: z.string(),
  kind: z.string(),
  stage: z.string(),
  sourceChannel: z.string(),
  sourcePartnerId: z.string().nullable(),
  managerId: z.string().nullable(),
  partnerId: z.string().nullable(),
  topic: z.string().nullable(),
  region: z.string().nullable(),
  stale: z.boolean(),
  dealValueMinor: z.number().int().nullable(),
  currency: z.string().nullable(),
  createdAt: z.string(),
  stageChangedAt: z.string(),
});

export const LeadIdParams = z.object({ id: z.uuid() });
