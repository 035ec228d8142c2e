// Starting a lead's workflow, shared by the API's intake (api/intake.ts) and the intake sweeper
// (activities/intake.ts): the workflow's input from the lead's registry row, and one start per lead.
import type { Client } from '@temporalio/client';
import type { LeadPolicyInput } from '../domain/policy';
import { type leadWorkflow, leadWorkflowId, type LeadWorkflowInput } from '../workflows/lead';
import { leadStartMetadata } from '../workflows/ops-view';
import { LEAD_PRIORITY } from './lead-priority';
import { LeadSource, LeadStage } from '../workflows/search-attributes';
import { startOnce } from './start-once';

/** The registry columns the workflow's input is made of. */
export interface LeadStartRow {
  id: string;
  kind: string;
  sourceChannel: string;
  sourcePartnerId: string | null;
  region: string | null;
  topic: string | null;
  previousLeadId: string | null;
  returnedAfterOptOut: boolean;
}

/** `policyVersion`: the stored version `policy` is (README, "Policy"); none for a policy given in code (tests). */
export function leadWorkflowInput(lead: LeadStartRow, policy?: LeadPolicyInput, policyVersion?: string): LeadWorkflowInput {
  return {
    leadId: lead.id,
    kind: lead.kind === 'interest' ? 'interest' : 'lead',
    sourceChannel: lead.sourceChannel,
    partnerId: lead.sourcePartnerId ?? undefined,
    region: lead.region ?? undefined,
    topic: lead.topic ?? undefined,
    policy,
    ...(policyVersion ? { policyVersion } : {}),
    ...(lead.previousLeadId ? { previousLeadId: lead.previousLeadId, returnedAfterOptOut: lead.returnedAfterOptOut } : {}),
  };
}

/**
 * Starts the lead's workflow unless it exists: a running one is used as it is, and a closed one
 * is never started again (its id has a history). Either way the lead has its process.
 */
export async function startLeadWorkflow(temporal: Client, taskQueue: string, input: LeadWorkflowInput): Promise<void> {
  await startOnce<typeof leadWorkflow>(temporal, 'leadWorkflow', {
    workflowId: leadWorkflowId(input.leadId),
    taskQueue,
    args: [input],
    // Behind every lead already taken in, until the flush that ends its first steps raises it (platform/lead-priority.ts).
    priority: LEAD_PRIORITY.arriving,
    typedSearchAttributes: [
      { key: LeadStage, value: 'received' },
      { key: LeadSource, value: input.sourceChannel },
    ],
    // The line and details ops read in the Web UI: source, topic, region — no personal data.
    ...leadStartMetadata(input),
  });
}
