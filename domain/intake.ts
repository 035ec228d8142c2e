// What arrives at intake, as one zod schema: TypeScript type, validation and OpenAPI document.
import { z } from 'zod';
import { text, trimmedText } from './text';
import { companyKey, PhoneNumber } from './contact';
import { Currency } from './money';

export const SourceChannel = z.enum(['web_form', 'phone', 'email', 'partner', 'event', 'referral', 'outbound', 'other']);
export type SourceChannel = z.infer<typeof SourceChannel>;

export const IntakeSource = z.object({
  channel: SourceChannel,
  partnerId: text(64, 1).optional().describe('The referring partner, when the lead came from one'),
  campaign: text(200).optional(),
  externalId: text(200, 1).optional().describe("The partner's own id for this lead; intake is idempotent on it"),
});

const email = z
  .email({ message: 'not an e-mail address' })
  .max(254)
  .transform((raw) => raw.toLowerCase());

export const LeadIntake = z
  .object({
    source: IntakeSource,
    person: z.object({ name: trimmedText(200, 1) }).optional(),
    company: z.object({ name: trimmedText(300, 1), switchboardPhone: PhoneNumber.optional() }).optional(),
    phone: PhoneNumber.optional().describe("The person's own phone; normalised to E.164"),
    email: email.optional(),
    region: text(100).optional(),
    topic: text(200).optional().describe('What the client asks for (expertise used to route and hand off)'),
    budgetMinor: z.number().int().nonnegative().optional(),
    currency: Currency.default('RUB'),
  })
  .superRefine(
    (v, ctx) => {
      // Also runs when fields already failed, so one answer names every problem; `v` may be partial.
      if (!v.phone && !v.email && !v.company?.switchboardPhone) {
        ctx.addIssue({ code: 'custom', path: ['phone'], message: 'a lead needs a phone or an e-mail (or at least a company switchboard)' });
      }
      if (!v.person && !v.company) {
        ctx.addIssue({ code: 'custom', path: ['person'], message: 'name a person or at least a company' });
      }
      if (v.source?.channel === 'partner' && !v.source.partnerId) {
        ctx.addIssue({ code: 'custom', path: ['source', 'partnerId'], message: 'a partner lead names its partner' });
      }
    },
    { when: (payload) => typeof payload.value === 'object' && payload.value !== null },
  )
  // The same three rules, said in the OpenAPI document (JSON Schema cannot run the check above).
  .meta({
    allOf: [
      {
        anyOf: [
          { required: ['phone'] },
          { required: ['email'] },
          { required: ['company'], properties: { company: { required: ['switchboardPhone'] } } },
        ],
      },
      { anyOf: [{ required: ['person'] }, { required: ['company'] }] },
      {
        anyOf: [
          { properties: { source: { properties: { channel: { not: { enum: ['partner'] } } } } } },
          { properties: { source: { required: ['partnerId'] } } },
        ],
      },
    ],
  });
export type LeadIntake = z.infer<typeof LeadIntake>;

export type LeadKind = 'lead' | 'interest';

/**
 * A lead is a specific person reachable on their own phone or e-mail. A company with only a
 * switchboard number is an *interest*: it must be verified before it is worked as a lead.
 */
export function leadKind(intake: LeadIntake): LeadKind {
  return intake.person && (intake.phone || intake.email) ? 'lead' : 'interest';
}

/** The keys de-duplication compares, across leads, refusals and clients. */
export function dedupeKeys(intake: LeadIntake): { phone?: string; email?: string; companyKey?: string } {
  return {
    phone: intake.phone ?? intake.company?.switchboardPhone,
    email: intake.email,
    companyKey: intake.company ? companyKey(intake.company.name) : undefined,
  };
}
