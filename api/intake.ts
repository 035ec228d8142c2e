// Intake: validate → de-duplicate → register → start the lead's workflow. Idempotent on the
// partner's external id (or the caller's Idempotency-Key); racing requests for the same contact
// are serialised by advisory locks on their de-duplication keys, so one lead is ever created.
import { randomUUID } from 'node:crypto';
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { WorkflowIdConflictPolicy, WorkflowIdReusePolicy } from '@temporalio/common';
import type { Db } from '../activities/db';
import { companyKey } from '../domain/contact';
import { dedupeKeys, leadKind, type LeadIntake } from '../domain/intake';
import type { LeadPolicyInput } from '../domain/policy';
import { leadWorkflow, type LeadWorkflowInput } from '../workflows/lead';
import { repeatInquiry } from '../workflows/messages';
import { LeadSource, LeadStage } from '../workflows/search-attributes';

export type IntakeStatus = 'created' | 'attached';
export interface IntakeResult { leadId: string; workflowId: string; status: IntakeStatus; replayed: boolean; matchedOn?: string }

export const workflowIdOf = (leadId: string) => `lead-${leadId}`;

export function intakeKeyOf(body: LeadIntake, idempotencyKey?: string): string {
  if (body.source.partnerId && body.source.externalId) return `partner:${body.source.partnerId}:${body.source.externalId}`;
  if (idempotencyKey) return `key:${idempotencyKey}`;
  return `auto:${randomUUID()}`;
}

export class IntakeService {
  constructor(private readonly db: Db, private readonly temporal: Client, private readonly taskQueue: string, private readonly policy?: LeadPolicyInput) {}

  async intake(body: LeadIntake, idempotencyKey?: string): Promise<IntakeResult> {
    const intakeKey = intakeKeyOf(body, idempotencyKey);
    const keys = dedupeKeys(body);
    const lockKeys = [intakeKey, keys.phone && `phone:${keys.phone}`, keys.email && `email:${keys.email}`].filter((k): k is string => !!k).sort();

    const decided = await this.db.$transaction(async (tx) => {
      // One statement takes every lock, in the keys' sorted order (unnest keeps array order), so
      // two requests sharing keys never deadlock.
      await tx.$queryRaw`SELECT count(*) AS locked FROM (SELECT pg_advisory_xact_lock(hashtextextended(k, 0)) FROM unnest(${lockKeys}::text[]) AS k) AS l`;
      const seen = await tx.inquiry.findUnique({ where: { intakeKey }, include: { lead: true } });
      if (seen) {
        return { lead: seen.lead, status: (seen.duplicate ? 'attached' : 'created') as IntakeStatus, replayed: true, matchedOn: seen.matchedOn ?? undefined };
      }
      const or = [keys.phone ? { phone: keys.phone } : undefined, keys.email ? { email: keys.email } : undefined].filter((x) => x !== undefined);
      const match = or.length ? await tx.lead.findFirst({ where: { OR: or }, orderBy: { createdAt: 'asc' } }) : null;
      if (match) {
        const matchedOn = keys.phone && match.phone === keys.phone ? 'phone' : 'email';
        await tx.inquiry.create({ data: { intakeKey, leadId: match.id, sourceChannel: body.source.channel, partnerId: body.source.partnerId ?? null, duplicate: true, matchedOn } });
        return { lead: match, status: 'attached' as const, replayed: false, matchedOn };
      }
      const leadId = randomUUID();
      const lead = await tx.lead.create({
        data: {
          id: leadId, intakeKey, kind: leadKind(body), sourceChannel: body.source.channel, sourcePartnerId: body.source.partnerId ?? null,
          campaign: body.source.campaign ?? null, externalId: body.source.externalId ?? null, personName: body.person?.name ?? null,
          companyName: body.company?.name ?? null, companyKey: body.company ? companyKey(body.company.name) ?? null : null,
          phone: keys.phone ?? null, email: keys.email ?? null, region: body.region ?? null, topic: body.topic ?? null, stage: 'received',
          dealValueMinor: body.budgetMinor === undefined ? null : BigInt(body.budgetMinor), currency: body.currency,
        },
      });
      await tx.inquiry.create({ data: { intakeKey, leadId, sourceChannel: body.source.channel, partnerId: body.source.partnerId ?? null } });
      return { lead, status: 'created' as const, replayed: false, matchedOn: undefined };
    });

    const { lead, ...outcome } = decided;
    const input: LeadWorkflowInput = {
      leadId: lead.id, kind: lead.kind === 'interest' ? 'interest' : 'lead', sourceChannel: lead.sourceChannel,
      partnerId: lead.sourcePartnerId ?? undefined, region: lead.region ?? undefined, topic: lead.topic ?? undefined, policy: this.policy,
    };
    const workflowId = workflowIdOf(lead.id);
    if (decided.status === 'created') {
      // Also on a replay: if the first attempt registered the lead but Temporal was down, this heals it.
      await this.start(input);
    } else if (!decided.replayed) {
      // A known contact asked again: attach to the lead (a closed one starts a new run) and tell its owner.
      await this.temporal.workflow.signalWithStart(leadWorkflow, {
        workflowId, taskQueue: this.taskQueue, args: [input],
        signal: repeatInquiry, signalArgs: [{ intakeKey, sourceChannel: body.source.channel, partnerId: body.source.partnerId, matchedOn: decided.matchedOn ?? 'contact' }],
        typedSearchAttributes: [{ key: LeadStage, value: 'received' }, { key: LeadSource, value: lead.sourceChannel }],
      });
    }
    return { leadId: lead.id, ...outcome, workflowId };
  }

  private async start(input: LeadWorkflowInput): Promise<void> {
    try {
      await this.temporal.workflow.start(leadWorkflow, {
        workflowId: workflowIdOf(input.leadId),
        taskQueue: this.taskQueue,
        args: [input],
        workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
        workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
        typedSearchAttributes: [{ key: LeadStage, value: 'received' }, { key: LeadSource, value: input.sourceChannel }],
      });
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err; // closed already: nothing to do
    }
  }
}
