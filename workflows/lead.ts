// One sales lead, from intake to commission or to the last re-engagement attempt, as the README's
// lifecycle picture: intake → assignment and the SLA ladder → qualification → consent → hand-off →
// deal → commission, or re-engagement. Each stage is a function of workflows/lead-stages/; what the
// lead answers while it waits is workflows/lead-handlers.ts; the rules are in domain/ (the state
// machine: domain/lifecycle.ts), the durations in the policy, the side effects in activities.
import * as wf from '@temporalio/workflow';
import { ApplicationFailure } from '@temporalio/common';
import { type LeadState, TERMINAL } from '../domain/lifecycle';
import type { LeadPolicyInput } from '../domain/policy';
import { handleMessages } from './lead-handlers';
import { acts, LeadRun } from './lead-run';
import { requestConsent } from './lead-stages/consent';
import { dealCycle, payCommissions } from './lead-stages/deal';
import { handOff } from './lead-stages/handoff';
import { receive } from './lead-stages/intake';
import { assign, awaitManager } from './lead-stages/manager';
import { reengage } from './lead-stages/reengagement';
import { SLA_STAGES } from './lead-visibility';

export interface LeadWorkflowInput {
  leadId: string;
  kind: 'lead' | 'interest';
  sourceChannel: string;
  partnerId?: string;
  region?: string;
  topic?: string;
  policy?: LeadPolicyInput;
  /**
   * The name of the stored policy version `policy` is (README, "Policy"). A lead started with one
   * takes its team's policy at assignment; one started without keeps its own until a rollout.
   */
  policyVersion?: string;
  /** A new episode of a contact whose previous lead had ended: that lead's id. */
  previousLeadId?: string;
  /** The previous episode ended with an opt-out or withdrawn consent: this inquiry is their own request. */
  returnedAfterOptOut?: boolean;
  /** State carried over by continue-as-new (re-engagement cycles, long deals). */
  carried?: LeadState;
}

export interface LeadOutcome {
  stage: LeadState['stage'];
  closedReason?: string;
  paidMinor: number;
}

export async function leadWorkflow(input: LeadWorkflowInput): Promise<LeadOutcome> {
  const run = new LeadRun(input);
  const { s } = run;
  const { slaDue, publish } = run.visibility;

  handleMessages(run);
  // The audit trail, the read model and what ops see follow the lead in the background.
  void run.visibility.persist();
  // A continued run carries its memo and search attributes over (carryOn), and publishes them at
  // once too: the time-skipping server and some dev servers drop them across continue-as-new, and
  // the next transition may be months away (re-engagement).
  if (input.carried && wf.patched('publish-on-carry')) publish();

  // --- the process ------------------------------------------------------------------------------
  if (!input.carried) receive(run);

  while (!TERMINAL.has(s.stage)) {
    // Only the manager's SLA ladder and a partner's acceptance window have a deadline for ops.
    if (!SLA_STAGES.has(s.stage)) slaDue(undefined);
    switch (s.stage) {
      case 'verification':
      case 'awaiting_first_contact':
      case 'qualifying': {
        const stage = s.stage;
        if (!s.managerId) await assign(run, []);
        // An action while the manager was being picked (an opt-out, say) may have moved the lead
        // on; before this patch the SLA ladder then ran on the new stage — for ever, if closed.
        if (s.stage === stage || !wf.patched('stage-moved-during-assignment')) await awaitManager(run, s.stage);
        break;
      }
      case 'awaiting_consent':
        await requestConsent(run);
        break;
      case 'partner_offer':
        await handOff(run);
        break;
      case 'deal':
        await dealCycle(run);
        break;
      case 'reengagement':
        await reengage(run);
        break;
      default:
        throw ApplicationFailure.nonRetryable(`unknown stage ${String(s.stage)}`);
    }
  }
  slaDue(undefined);
  await payCommissions(run);
  await acts.completeTasks(s.leadId);
  await run.visibility.drain();
  return { stage: s.stage, closedReason: s.closedReason, paidMinor: s.deal.paidMinor };
}

/** A lead's workflow id: stable and derived from the lead, so intake is idempotent (one workflow per lead). */
export const leadWorkflowId = (leadId: string) => `lead-${leadId}`;
