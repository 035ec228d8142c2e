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

const activityOptions = {
  // Every activity of a lead is a short database write (milliseconds). A worker killed mid-write
  // is noticed when this runs out, so it is seconds, not the minute it was: the read model then
  // catches up within seconds of a restart instead of a minute.
  startToCloseTimeout: '5 seconds',
  // Activities are idempotent, so they retry until the database is back.
  retry: { initialInterval: '1 second', maximumInterval: '1 minute', nonRetryableErrorTypes: ['UnknownLead', 'NoConsent', 'NotAccepted'] },
} satisfies wf.ActivityOptions & wf.LocalActivityOptions;
const remoteActs = wf.proxyActivities<LeadActivities>(activityOptions);
const localActs = wf.proxyLocalActivities<LeadActivities>(activityOptions);

/**
 * The lead's local activities, one at a time in the order the lead asks for them. Two side by side
 * finish in any order, and a replay resolves them in another order than the first run saw: the
 * lead's two strands (its process, and its read model written in the background) then resume in
 * another order and publish its search attributes at another point of the history — a
 * nondeterminism error, which the simulated year found (`test/bench/year.test.ts`). Each write takes
 * milliseconds, so queueing them costs the lead nothing it would notice. (Module state is the
 * workflow's own: the SDK gives each workflow its own copy of this module.)
 */
let lastLocal: Promise<unknown> = Promise.resolve();
let localInFlight = 0;
function queuedLocal<K extends keyof LeadActivities>(name: K): LeadActivities[K] {
  const call = async (...args: unknown[]) => {
    localInFlight += 1;
    const result = lastLocal.then(() => (localActs[name] as (...a: unknown[]) => Promise<unknown>)(...args));
    lastLocal = result.catch(() => undefined); // a failure is its caller's; the next write still runs
    try {
      return await result;
    } finally {
      localInFlight -= 1;
    }
  };
  return call as LeadActivities[K];
}

/**
 * No local activity of the lead is queued or running: the step that asked for them is done. The
 * read model is flushed then (lead-visibility.ts), so one write carries all of a step's transitions
 * — a new lead's `received` and `assigned` together — instead of one write per transition.
 */
export const localWritesSettled = () => localInFlight === 0;

/**
 * A lead's activities. Since the 'local-activities' patch they run as local activities, inside the
 * workflow task that asks for them (issue 16, throughput): a new lead is recorded, assigned and
 * given its first task in one workflow task, with a marker event per write, instead of seven workflow
 * tasks and four activity tasks — each a round trip through the server, an activity three events. A run
 * from before the patch replays its scheduled activities as they were and takes local ones from its
 * next new step on.
 */
export const acts: LeadActivities = new Proxy({} as LeadActivities, {
  get: (_, name: string) => {
    const k = name as keyof LeadActivities;
    return wf.patched('local-activities') ? queuedLocal(k) : remoteActs[k];
  },
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
    this.visibility = leadVisibility(this.s, input, acts, localWritesSettled);
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

  /**
   * The key of a decision that reads the world as it is (a manager's pick, a partner's), so that a
   * second run of this step — its workflow task lost with a killed worker — gets the first run's
   * answer, which that run may already have written down (platform/decisions.ts). Deterministic:
   * the step replays with the same run, sequence number and attempt. `attempt` tells apart the
   * tries of one step (a lead waiting for a manager asks again at the same sequence number); the
   * run id, the same step in a run continued as new.
   */
  decisionKey(kind: string, attempt = 0): string {
    return `${kind}@${this.s.seq}.${attempt}/${wf.workflowInfo().runId}`;
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
