// The policy API's shapes (README, "Policy"). The policy body itself is checked by LeadPolicy and
// domain/policy-rules.ts in the handler, so each problem is named by its path inside `policy`.
import { z } from 'zod';
import { DealStage } from '../domain/actions';
import type { WaitKind } from '../domain/deadlines';
import { trimmedText } from '../domain/text';
import { WAIT_KINDS } from '../platform/lead-waits';

const TeamId = z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'letters, digits, dot, dash, underscore; at most 64');
const Body = z
  .record(z.string(), z.unknown())
  .describe('Fields of the lead policy (domain/policy.ts) to change; objects merge, arrays replace');

export const PolicyQuery = z.object({ teamId: TeamId.optional().describe("A team's versions; none: the default's") }).strict();

export const PolicyVersionInput = z
  .object({
    teamId: TeamId.optional().describe("A team's version (merged over the default's for that team's leads); none: the default"),
    policy: Body,
    reason: trimmedText(500, 3).describe('Why: kept with the version and shown in its history'),
    effectiveFrom: z.string().datetime({ offset: true }).optional().describe('When it takes effect (ISO); now if absent'),
  })
  .strict();

export const PolicyPreviewInput = PolicyVersionInput.omit({ reason: true, effectiveFrom: true }).strict();

export const PolicyVersionView = z.object({
  scope: z.string(),
  version: z.number().int(),
  policy: z.unknown(),
  effectiveFrom: z.string(),
  createdBy: z.string(),
  reason: z.string(),
  createdAt: z.string(),
});

export const PolicyView = z.object({
  scope: z.string(),
  inForce: z
    .object({ version: z.string(), policy: z.unknown() })
    .describe("What the scope's leads run on now: the default's version, a team's merged over it"),
  current: PolicyVersionView.nullable().describe("The scope's version in force"),
  history: z.array(PolicyVersionView).describe('Every version, newest first (including those still to take effect)'),
});

export const PolicySaved = z.object({ version: PolicyVersionView, rollout: z.object({ workflowId: z.string() }) });

const WaitKind = z
  .enum(WAIT_KINDS)
  .describe(
    'The wait: the SLA ladder (sla_reminder, sla_escalation, stale), consent, partner_answer, deal_checkin, ' +
      'reengagement_touch, reengagement_reply (domain/deadlines.ts)',
  );
const Counts = z.object({
  waiting: z.number().int().describe('Open leads waiting on a deadline of this kind'),
  changed: z.number().int().describe('Of them, those whose deadline the proposal moves'),
  firesNow: z.number().int().describe('Of those, the ones whose new deadline is already past: the wait ends at once'),
});

export const PreviewView = z.object({
  scope: z.string(),
  openLeads: z.number().int().describe('Open leads the version applies to'),
  waiting: z.number().int(),
  changed: z.number().int(),
  firesNow: z.number().int(),
  byKind: z
    .object(Object.fromEntries(WAIT_KINDS.map((k) => [k, Counts])) as Record<WaitKind, typeof Counts>)
    .describe('The counts for each kind of wait'),
  items: z
    .array(
      z.object({
        leadId: z.string(),
        stage: z.string(),
        kind: WaitKind,
        dealStage: DealStage.optional().describe('A deal check-in: the deal stage whose silence it counts'),
        anchor: z.string().describe('Where the wait began (ISO): its deadline is counted from it'),
        from: z.string().describe('The deadline now (ISO)'),
        to: z.string().describe('The deadline under the proposal (ISO)'),
        firesNow: z.boolean(),
      }),
    )
    .describe('The leads whose deadline moves, by lead id (at most 1000)'),
});
