// Response shapes of the API, as zod: serialisation and the OpenAPI document from one source.
import { z } from 'zod';
import { DealStage } from '../domain/actions';
import { STAGES } from '../domain/lifecycle';

export const Stage = z.enum(STAGES);

export const IntakeResult = z.object({
  leadId: z.string(),
  workflowId: z.string(),
  status: z
    .enum(['created', 'attached', 'registered'])
    .describe(
      'created: a new lead and its workflow (201); attached: a repeat inquiry of a known contact whose lead is open (200); ' +
        'registered: a new lead whose workflow could not be started because Temporal was unreachable — it starts as soon as ' +
        'Temporal is back, nothing to retry (202)',
    ),
  replayed: z.boolean().describe('true when this exact request was seen before (idempotent replay)'),
  matchedOn: z.string().optional().describe('phone or email: how a known contact was recognised'),
  previousLeadId: z.string().optional().describe("A new episode: the contact's previous lead, which had ended (won, closed, opted out)"),
  returnedAfterOptOut: z
    .boolean()
    .optional()
    .describe('The previous episode ended with an opt-out: this inquiry is recorded as consent to be contacted about it'),
});

/** One lead of a contact's timeline: each episode is a lead of its own, linked to the one before. */
export const Episode = z.object({
  leadId: z.string(),
  previousLeadId: z.string().nullable(),
  stage: z.string(),
  optedOut: z.boolean(),
  returnedAfterOptOut: z.boolean(),
  sourceChannel: z.string(),
  createdAt: z.string(),
});

/** A stop-contact order to a partner (the client withdrew consent) and the partner's confirmation of it. */
export const StopContactOrderView = z.object({
  taskKey: z.string().describe('The order is this task of the partner (kind `stop_contact`)'),
  leadId: z.string(),
  partnerId: z.string(),
  orderedAt: z.string(),
  dueAt: z.string().nullable().describe('The deadline of the confirmation (1 business day by default); past it an alarm is raised'),
  state: z.enum(['open', 'confirmed']),
  overdue: z.boolean().describe('Open and past its deadline'),
  confirmation: z
    .object({
      confirmedAt: z.string(),
      confirmedBy: z.string(),
      channel: z.enum(['task', 'api', 'webhook']),
      note: z.string().nullable(),
    })
    .nullable(),
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
  previousLeadId: z.string().optional().describe("The contact's previous lead (episode), when this one followed it"),
  stale: z.boolean(),
  slaFrom: z.string(),
  offers: z.array(z.object({ partnerId: z.string(), offeredAt: z.string(), status: z.string(), reason: z.string().optional() })),
  deal: z.looseObject({ valueMinor: z.number().int().optional(), currency: z.string().optional(), paidMinor: z.number().int() }),
  reengagement: z.object({ attempt: z.number().int(), touchedAt: z.string().optional() }),
  seq: z.number().int(),
  stopContact: z
    .array(StopContactOrderView)
    .optional()
    .describe('A lead closed by a withdrawn consent or an opt-out: the stop-contact orders to its partners and their confirmations'),
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
