// One run of a lead's workflow: its state, the policy in force, what the world sees of it, and the
// few things every stage and handler of the lead needs (task keys, the owner, the history budget,
// continue-as-new). The stages (workflows/lead-stages/) and the message handlers
// (workflows/lead-handlers.ts) work on it; workflows/lead.ts runs them in the lifecycle's order.
import * as wf from '@temporalio/workflow';
import { msToNumber as ms } from '@temporalio/common/lib/time';
import type { LeadActivities } from '../activities';
import { initialState, type LeadState, transition } from '../domain/lifecycle';
import { LeadPolicy } from '../domain/policy';
import type { LeadWorkflowInput, leadWorkflow } from './lead';
import { leadVisibility } from './lead-visibility';
import type * as M from './messages';

export const acts = wf.proxyActivities<LeadActivities>({
  // Every activity of a lead is a short database write (milliseconds). A worker killed mid-write
  // is noticed when this runs out, so it is seconds, not the minute it was: the read model then
  // catches up within seconds of a restart instead of a minute.
  startToCloseTimeout: '5 seconds',
  // Activities are idempotent, so they retry until the database is back.
  retry: { initialInterval: '1 second', maximumInterval: '1 minute', nonRetryableErrorTypes: ['UnknownLead', 'NoConsent', 'NotAccepted'] },
});

/**
 * A run continues as new well before its history gets heavy: a lead may wait for years (no
 * manager free, a silent deal, a parked stale lead), and replaying a long history is slow.
 */
const HISTORY_BUDGET = 800;

/** Who the workflow itself acts as in the history. */
export const SYSTEM = 'system';

export class LeadRun {
  readonly s: LeadState;
  /** The policy in force: mutable since 'policy-in-force' (see adoptPolicy). */
  policy: LeadPolicy;
  /** Bumped when a new policy is adopted: wakes the waits, which re-arm a deadline it moved. */
  policyGen = 0;
  /** Bumped by each roster change: a lead waiting for a manager tries again at once. */
  rosterChanges = 0;
  readonly visibility;
  /** The first task's note about an earlier opt-out was given (once per lead). */
  private noted = false;

  constructor(readonly input: LeadWorkflowInput) {
    this.policy = LeadPolicy.parse(input.policy ?? {});
    this.s = input.carried ?? initialState({ ...input, now: Date.now() });
    this.visibility = leadVisibility(this.s, input, acts);
  }

  /** The business calendar of the policy in force. */
  get cal() {
    return this.policy.calendar;
  }

  /** What `apply` needs besides the action: who, when, and the policy's limits. */
  ctx(actor: string) {
    const p = this.policy;
    return {
      actor,
      now: Date.now(),
      maxNoAnswer: p.firstContact.maxNoAnswerAttempts,
      creditWindowMs: ms(p.reengagement.partnerCreditWindow),
    };
  }

  /** A task's key: one per transition, so a retried activity makes it once. */
  taskKey(): string {
    return `${this.s.leadId}:${this.s.seq}`;
  }

  /** Who works the lead: its manager, else ops. */
  owner(): string {
    return this.s.managerId ? `manager:${this.s.managerId}` : 'ops';
  }

  /**
   * Ops store a new policy version; its rollout signals every open lead it applies to, and the lead
   * re-arms the deadline it waits on when that deadline moves. Takes `p` unless the lead already
   * runs on that version, and records the version in the history. The policy goes into `input`, so
   * continue-as-new carries it to the next run.
   */
  adoptPolicy(p: M.PolicyInForce, why: string): void {
    if (p.version === this.input.policyVersion) return;
    const parsed = LeadPolicy.safeParse(p.policy);
    if (!parsed.success || !wf.patched('policy-in-force')) return;
    this.policy = parsed.data;
    this.input.policy = parsed.data;
    this.input.policyVersion = p.version;
    this.policyGen += 1;
    transition(this.s, { type: 'policy_applied', actor: SYSTEM, reason: `${p.version} (${why})`, now: Date.now() });
  }

  /** " (policy <version>)" after a deadline's reason, for leads on a stored version. */
  fromPolicy(): string {
    return this.input.policyVersion ? ` (policy ${this.input.policyVersion})` : '';
  }

  /** What the first manager must know before calling a client who had opted out (once). */
  firstTaskNote(): string {
    if (!this.input.returnedAfterOptOut || this.input.carried || this.noted) return '';
    this.noted = true;
    return (
      ` (NB: the client opted out in lead ${this.input.previousLeadId} and wrote again by themselves: ` +
      'contact them about this inquiry only)'
    );
  }

  /**
   * Asked in every stage that waits: a history past its budget (or the server's hint) goes on in a
   * new run. A plain check, not an await, so a run that carries on adds no step to the others.
   */
  historyIsLong(): boolean {
    const info = wf.workflowInfo();
    return (info.continueAsNewSuggested || info.historyLength >= HISTORY_BUDGET) && wf.patched('history-budget');
  }

  /** Continue-as-new with the state carried over explicitly, once everything is written down. */
  async carryOn(): Promise<never> {
    await this.visibility.drain();
    const next = { ...this.input, carried: this.s };
    // The memo and search attributes go with the run, so ops never see a lead without them.
    if (wf.patched('carry-visibility')) return wf.makeContinueAsNewFunc<typeof leadWorkflow>(this.visibility.carriedOver())(next);
    return wf.continueAsNew<typeof leadWorkflow>(next);
  }
}
