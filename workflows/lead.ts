// One sales lead, from intake to commission or to the last re-engagement attempt.
// Reads top to bottom like the process; the rules live in domain/lifecycle.ts, the durations in
// the policy, the side effects in activities.
import * as wf from '@temporalio/workflow';
import {
  ApplicationFailure, WorkflowExecutionAlreadyStartedError,
} from '@temporalio/common';
import { ParentClosePolicy } from '@temporalio/workflow';
import { msToNumber as ms } from '@temporalio/common/lib/time';
import type { LeadActivities } from '../activities';
import { ACTION_NAMES, type ActionName, LEAD_ACTIONS, parseAction } from '../domain/actions';
import { addBusinessTime, businessDayMs } from '../domain/calendar';
import { commissionTarget, leadFeeTarget, nextPaymentToBook } from '../domain/commission-target';
import { ladderStepText } from '../domain/sla-ladder';
import { staleAt } from '../domain/staleness';
import {
  type Action, apply, close, initialState, type LeadState, refusal, returnToQualification, TERMINAL, toReengagement,
  transition,
} from '../domain/lifecycle';
import { LeadPolicy, type LeadPolicyInput } from '../domain/policy';
import { commissionWorkflow } from './commission';
import * as M from './messages';
import { leadVisibility, SLA_STAGES, view } from './lead-visibility';

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

export interface LeadOutcome { stage: LeadState['stage']; closedReason?: string; paidMinor: number }

const acts = wf.proxyActivities<LeadActivities>({
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

const HOUR = 3_600_000;
const SYSTEM = 'system';

export async function leadWorkflow(input: LeadWorkflowInput): Promise<LeadOutcome> {
  // The policy in force: mutable since 'policy-in-force' (see adoptPolicy).
  let policy = LeadPolicy.parse(input.policy ?? {});
  const s: LeadState = input.carried ?? initialState({ ...input, now: Date.now() });
  let cal = policy.calendar;
  const ctx = (actor: string) => ({
    actor, now: Date.now(), maxNoAnswer: policy.firstContact.maxNoAnswerAttempts, creditWindowMs: ms(policy.reengagement.partnerCreditWindow),
  });
  const taskKey = () => `${s.leadId}:${s.seq}`;
  const owner = () => (s.managerId ? `manager:${s.managerId}` : 'ops');
  let noted = false;

  // --- what the world sees: the audit trail and read model, the Web UI (workflows/lead-visibility.ts)
  const visibility = leadVisibility(s, input, acts);
  const { named, slaDue, publish, drain } = visibility;

  // --- the policy in force (README, "Policy") ------------------------------------------------------
  // Ops store a new version; its rollout signals every open lead it applies to, and the lead
  // re-arms the deadline it waits on when that deadline moves (awaitManager). `policyGen` wakes
  // the waits. The policy goes into `input`, so continue-as-new carries it to the next run.
  let policyGen = 0;
  /** Takes `p` unless the lead already runs on that version; records the version in the history. */
  function adoptPolicy(p: M.PolicyInForce, why: string): void {
    if (p.version === input.policyVersion) return;
    const parsed = LeadPolicy.safeParse(p.policy);
    if (!parsed.success || !wf.patched('policy-in-force')) return;
    policy = parsed.data;
    cal = policy.calendar;
    input.policy = parsed.data;
    input.policyVersion = p.version;
    policyGen += 1;
    transition(s, { type: 'policy_applied', actor: SYSTEM, reason: `${p.version} (${why})`, now: Date.now() });
  }
  /** " (policy <version>)" after a deadline's reason, for leads on a stored version. */
  const fromPolicy = () => (input.policyVersion ? ` (policy ${input.policyVersion})` : '');
  wf.setHandler(M.policyChanged, (p) => adoptPolicy(p, 'rolled out'));

  // --- messages -------------------------------------------------------------------------
  wf.setHandler(M.getState, () => view(s));
  wf.setHandler(M.getHistory, () => s.history);
  // A manager was added, came back or was freed: a lead waiting for one tries again at once.
  let rosterChanges = 0;
  wf.setHandler(M.rosterChanged, () => {
    rosterChanges += 1;
  });
  // The manager was deactivated or is away (the roster API): the lead goes to another manager, with
  // the reason in its history, and the old manager's open tasks on it go along. With nobody free
  // it keeps its manager (an owner on paper beats none) and ops are told.
  wf.setHandler(M.managerUnavailable, async (n) => {
    if (TERMINAL.has(s.stage) || !s.managerId || s.managerId !== n.managerId) return;
    if (!wf.patched('manager-unavailable')) return;
    const old = n.managerId;
    const reason = String(n.reason).slice(0, 200);
    const a = await acts.assignManager({ leadId: s.leadId, exclude: [old] });
    if (s.managerId !== old || TERMINAL.has(s.stage)) return; // reassigned or closed meanwhile
    if (!a) {
      transition(s, { type: 'manager_unavailable', actor: SYSTEM, reason: `${old}: ${reason}; no other manager free`, now: Date.now() });
      await acts.createTask({ key: taskKey(), leadId: s.leadId, assignee: 'ops', kind: 'not_distributed', title: `The lead's manager is unavailable (${reason}) and nobody else is free` });
      return;
    }
    if (a.policy && input.policyVersion) adoptPolicy(a.policy, `team of ${a.managerId}`);
    s.managerId = a.managerId;
    s.teamLeadId = a.teamLeadId;
    s.slaFrom = Date.now(); // the new manager's SLA starts now
    transition(s, { type: 'reassigned', actor: SYSTEM, reason: `${a.managerId}: ${reason} (was ${old})`, now: Date.now() });
    await acts.moveOpenTasks({ leadId: s.leadId, from: old, to: a.managerId });
    await acts.createTask({ key: taskKey(), leadId: s.leadId, assignee: owner(), kind: 'reassigned', title: `Lead reassigned to you: ${reason}` });
  });

  /** A staff action: validated synchronously (refused with a reason), applied, side effects run. */
  function action(name: ActionName): void {
    wf.setHandler(
      M.actionUpdate(name),
      async (cmd) => {
        const { action: a, problem } = parseAction(name, cmd.input);
        if (!a) throw ApplicationFailure.nonRetryable(problem, 'InvalidInput'); // the validator let nothing like it through
        const before = snapshot(s);
        apply(s, a, ctx(cmd.actor));
        await sideEffects(a, before);
        return view(s);
      },
      {
        validator: (cmd) => {
          const { action: a, problem } = parseAction(name, cmd?.input);
          if (!a) throw ApplicationFailure.nonRetryable(problem, 'InvalidInput');
          if (!cmd.actor) throw ApplicationFailure.nonRetryable('actor is required', 'InvalidInput');
          const why = refusal(s, a, cmd.actor);
          if (why) throw ApplicationFailure.nonRetryable(why, 'ActionRefused');
        },
      },
    );
  }
  for (const name of ACTION_NAMES) action(name);

  wf.setHandler(M.repeatInquiry, async (inq) => {
    s.repeatInquiries += 1;
    transition(s, { type: 'repeat_inquiry', actor: inq.partnerId ? `partner:${inq.partnerId}` : inq.sourceChannel, reason: `matched on ${inq.matchedOn}`, now: Date.now() });
    // A refused client who asks again has come back by themselves.
    if (s.stage === 'reengagement') returnToQualification(s, SYSTEM, Date.now(), 'asked again', ms(policy.reengagement.partnerCreditWindow));
    if (!TERMINAL.has(s.stage)) await acts.createTask({ key: taskKey(), leadId: s.leadId, assignee: owner(), kind: 'repeat_inquiry', title: 'The client asked again: call back' });
  });

  wf.setHandler(M.partnerWebhook, async (answer) => {
    const parsed = LEAD_ACTIONS.partnerRespond.input.safeParse(answer);
    const a: Action | undefined = parsed.success ? { type: 'partnerRespond', input: parsed.data } : undefined;
    const why = a ? refusal(s, a) : 'malformed partner event';
    if (!a || why) {
      transition(s, { type: 'partner_event_ignored', actor: `partner:${parsed.success ? parsed.data.partnerId : 'unknown'}`, reason: why, now: Date.now() });
      return;
    }
    const before = snapshot(s);
    apply(s, a, ctx(`partner:${a.input.partnerId}`));
    await sideEffects(a, before);
  });

  /** What an accepted action changes outside the workflow, before the Update returns. */
  async function sideEffects(a: Action, before: Snapshot): Promise<void> {
    const now = new Date().toISOString();
    switch (a.type) {
      case 'recordConsent':
        await acts.recordConsent({ leadId: s.leadId, seq: s.seq, ...a.input, at: now });
        break;
      case 'withdrawConsent':
      case 'optOut':
        await acts.withdrawConsent(s.leadId, now);
        if (before.liveOffers.length) {
          // Since this patch the order carries the deadline of the partner's confirmation (the
          // task's dueAt, which the stop_contact_overdue alarm watches); before, it had none.
          const confirmBy = wf.patched('stop-contact-deadline')
            ? new Date(addBusinessTime(cal, Date.now(), policy.stopContactConfirmBusinessDays * businessDayMs(cal))).toISOString()
            : undefined;
          for (const partnerId of before.liveOffers) {
            await acts.createTask({
              key: `${taskKey()}:${partnerId}`, leadId: s.leadId, assignee: `partner:${partnerId}`, kind: 'stop_contact',
              title: 'The client withdrew consent: stop all contact and delete the data', ...(confirmBy ? { dueAt: confirmBy } : {}),
            });
          }
        }
        await acts.completeTasks(s.leadId);
        break;
      case 'partnerRespond':
        await acts.recordOffer({ leadId: s.leadId, partnerId: a.input.partnerId, status: a.input.accepted ? 'accepted' : 'declined', at: now, reason: a.input.reason });
        if (a.input.accepted) {
          await acts.releaseContact({ leadId: s.leadId, partnerId: a.input.partnerId });
          transition(s, { type: 'contact_released', actor: SYSTEM, reason: a.input.partnerId, now: Date.now() });
          // Since this patch the client's pick closes the other offers of a comparison; before,
          // they stayed pending for ever and held those partners' capacity.
          if (wf.patched('withdraw-rival-offers')) await withdrawRivalOffers(a.input.partnerId);
          // Since this patch pay per lead falls due here, on the consented contact, not on the
          // client's first payment (which may never come).
          if (wf.patched('lead-fee-on-acceptance')) await bookLeadFee(a.input.partnerId);
        }
        break;
      case 'reassign':
        await acts.createTask({ key: taskKey(), leadId: s.leadId, assignee: owner(), kind: 'reassigned', title: `Lead reassigned to you: ${a.input.reason}` });
        break;
      default:
        break;
    }
  }

  /** The client picked `chosen`: every other pending offer is withdrawn and its partner told. */
  async function withdrawRivalOffers(chosen: string): Promise<void> {
    for (const o of s.offers.filter((x) => x.status === 'pending' && x.partnerId !== chosen)) {
      o.status = 'withdrawn';
      o.reason = 'the client chose another partner';
      transition(s, { type: 'offer_withdrawn', actor: SYSTEM, reason: `${o.partnerId}: ${o.reason}`, now: Date.now() });
      await acts.recordOffer({ leadId: s.leadId, partnerId: o.partnerId, status: 'withdrawn', at: new Date().toISOString(), reason: o.reason });
      await acts.createTask({ key: `${taskKey()}:${o.partnerId}`, leadId: s.leadId, assignee: `partner:${o.partnerId}`, kind: 'offer_withdrawn', title: 'The client chose another partner: the offer is withdrawn' });
    }
  }

  /**
   * Pay per lead on the accepted, consented contact: owed to us by the partner that received it,
   * or, for a lead another partner referred to us, owed by the receiver to the referrer.
   */
  async function bookLeadFee(receiver: string): Promise<void> {
    const owed = leadFeeTarget(receiver, s.creditPartnerId);
    const fee = await acts.bookLeadFee({ leadId: s.leadId, ...owed });
    const to = owed.direction === 'referral' ? owed.partnerId : 'us';
    if (fee.amountMinor > 0) transition(s, { type: 'lead_fee_booked', actor: SYSTEM, reason: `${fee.amountMinor} ${fee.currency} to ${to} from ${receiver}`, now: Date.now() });
  }

  void visibility.persist();
  // A continued run carries its memo and search attributes over (carryOn), and publishes them at
  // once too: the time-skipping server and some dev servers drop them across continue-as-new, and
  // the next transition may be months away (re-engagement).
  if (input.carried && wf.patched('publish-on-carry')) publish();

  // --- the process ------------------------------------------------------------------------------
  if (!input.carried) {
    transition(s, { type: 'received', actor: input.partnerId ? `partner:${input.partnerId}` : input.sourceChannel, reason: input.kind, now: Date.now() });
    // A contact who wrote again after their lead ended: this lead is the next episode, and the
    // manager sees which one came before — and whether the client had opted out of it (README,
    // "Repeat contacts"). Only leads started with these inputs do this: no running lead has them.
    if (input.previousLeadId) {
      transition(s, {
        type: input.returnedAfterOptOut ? 'returned_after_opt_out' : 'returning_contact', actor: SYSTEM, now: Date.now(),
        reason: input.returnedAfterOptOut
          ? `previous episode ${input.previousLeadId} ended with an opt-out; `
            + 'the client wrote again: consent to be contacted about this inquiry only'
          : `previous episode ${input.previousLeadId}`,
      });
    }
  }

  while (!TERMINAL.has(s.stage)) {
    // Only the manager's SLA ladder and a partner's acceptance window have a deadline for ops.
    if (!SLA_STAGES.has(s.stage)) slaDue(undefined);
    switch (s.stage) {
      case 'verification':
      case 'awaiting_first_contact':
      case 'qualifying': {
        const stage = s.stage;
        if (!s.managerId) await assign([]);
        // An action while the manager was being picked (an opt-out, say) may have moved the lead
        // on; before this patch the SLA ladder then ran on the new stage — for ever, if closed.
        if (s.stage === stage || !wf.patched('stage-moved-during-assignment')) await awaitManager(s.stage);
        break;
      }
      case 'awaiting_consent':
        await requestConsent();
        break;
      case 'partner_offer':
        await handOff();
        break;
      case 'deal':
        await dealCycle();
        break;
      case 'reengagement':
        await reengage();
        break;
      default:
        throw ApplicationFailure.nonRetryable(`unknown stage ${String(s.stage)}`);
    }
  }
  slaDue(undefined);
  await payCommissions();
  await acts.completeTasks(s.leadId);
  await drain();
  return { stage: s.stage, closedReason: s.closedReason, paidMinor: s.deal.paidMinor };

  // --- stages -----------------------------------------------------------------------------------

  /** What the first manager must know before calling a client who had opted out (once). */
  function firstTaskNote(): string {
    if (!input.returnedAfterOptOut || input.carried || noted) return '';
    noted = true;
    return ` (NB: the client opted out in lead ${input.previousLeadId} and wrote again by themselves: `
      + 'contact them about this inquiry only)';
  }

  /** Picks a manager automatically; with nobody free, ops are told once and the lead waits for a roster change. */
  async function assign(exclude: string[]): Promise<void> {
    let told = false;
    for (;;) {
      const a = await acts.assignManager({ leadId: s.leadId, exclude });
      if (a) {
        if (a.policy && input.policyVersion) adoptPolicy(a.policy, `team of ${a.managerId}`);
        s.managerId = a.managerId;
        s.teamLeadId = a.teamLeadId;
        s.slaFrom = Date.now();
        transition(s, { type: exclude.length ? 'reassigned' : 'assigned', actor: SYSTEM, reason: `${a.managerId} (${a.reason})`, now: Date.now() });
        const due = addBusinessTime(cal, Date.now(), policy.firstContact.reminderAfterBusinessHours * HOUR);
        const title = s.stage === 'verification' ? 'Verify the company inquiry: find the person' : 'Call the lead';
        await acts.createTask({
          key: taskKey(), leadId: s.leadId, assignee: owner(), kind: 'first_contact', title: title + firstTaskNote(), dueAt: new Date(due).toISOString(),
        });
        return;
      }
      const waitForRoster = wf.patched('wait-for-roster-change');
      // Ops hear of it once per wait, not at every re-check.
      if (!waitForRoster || !told) {
        transition(s, { type: 'not_distributed', actor: SYSTEM, reason: 'no active manager available', now: Date.now() });
        await acts.createTask({ key: taskKey(), leadId: s.leadId, assignee: 'ops', kind: 'not_distributed', title: 'No manager available for a new lead' });
        told = true;
      }
      if (exclude.length) return; // keep the current owner rather than leave the lead ownerless
      if (waitForRoster) {
        // Before this patch the lead asked again every hour, for ever: 24 × 365 tries a year.
        const seen = rosterChanges;
        await wf.condition(
          () => TERMINAL.has(s.stage) || !!s.managerId || rosterChanges !== seen, policy.assignmentRecheck,
          named(`roster re-check in ${policy.assignmentRecheck}: no manager free`),
        );
      } else {
        await wf.condition(() => TERMINAL.has(s.stage) || !!s.managerId, '1 hour');
      }
      if (s.managerId || TERMINAL.has(s.stage)) return;
      if (historyIsLong()) await carryOn();
    }
  }

  /**
   * The SLA ladder while the lead waits on its manager, counted in business time from the last
   * touch: reminder to the owner → escalation to the team lead → stale, reassigned.
   */
  async function awaitManager(stage: LeadState['stage']): Promise<void> {
    let step = 0;
    let from = s.slaFrom;
    // Each step's deadline, counted from the anchor in the policy in force now.
    const dueOf = (n: number) => {
      const fc = policy.firstContact;
      if (n === 0) return addBusinessTime(cal, from, fc.reminderAfterBusinessHours * HOUR);
      if (n === 1) return addBusinessTime(cal, from, fc.escalateAfterBusinessHours * HOUR);
      return staleAt(cal, from, fc.staleAfterBusinessDays);
    };
    while (s.stage === stage) {
      const fc = policy.firstContact;
      const due = dueOf(step);
      const what = ladderStepText(stage, step, fc);
      slaDue({ at: due, what });
      // A new policy wakes the wait only when it moves this deadline: the timer is re-armed once.
      const gen = policyGen;
      const moved = await wf.condition(
        () => s.stage !== stage || s.slaFrom !== from || (policyGen !== gen && dueOf(step) !== due),
        Math.max(1, due - Date.now()), named(what),
      );
      if (moved) {
        if (s.slaFrom !== from) { from = s.slaFrom; step = 0; } else if (s.stage === stage) {
          const reason = `${what}: ${iso(due)} → ${iso(dueOf(step))}${fromPolicy()}`;
          transition(s, { type: 'deadline_moved', actor: SYSTEM, reason, now: Date.now() });
        }
        continue;
      }
      if (step === 0) {
        transition(s, { type: 'sla_reminder', actor: SYSTEM, reason: `${stage} overdue${fromPolicy()}`, now: Date.now() });
        await acts.createTask({ key: taskKey(), leadId: s.leadId, assignee: owner(), kind: 'sla_reminder', title: 'Reminder: the lead is waiting for you' });
      } else if (step === 1) {
        const to = s.teamLeadId ? `team lead ${s.teamLeadId}` : 'ops';
        transition(s, { type: 'sla_escalated', actor: SYSTEM, reason: `to ${to}${fromPolicy()}`, now: Date.now() });
        await acts.createTask({ key: taskKey(), leadId: s.leadId, assignee: s.teamLeadId ? `team_lead:${s.teamLeadId}` : 'ops', kind: 'sla_escalation', title: 'Escalation: a lead is not being worked' });
      } else {
        s.stale = true;
        const untouched = `untouched ${fc.staleAfterBusinessDays} business days`;
        transition(s, { type: 'stale', actor: SYSTEM, reason: `${untouched}${fromPolicy()}`, now: Date.now() });
        // Since the parking patch: after a few stale reassignments the lead stops bouncing between
        // managers (and its history stops growing); ops are told once and the SLA waits for a touch.
        if ((s.staleReassignments ?? 0) >= fc.maxStaleReassignments && wf.patched('park-after-stale-reassignments')) {
          transition(s, { type: 'stale_parked', actor: SYSTEM, reason: `${s.staleReassignments} reassignments without a touch`, now: Date.now() });
          await acts.createTask({ key: taskKey(), leadId: s.leadId, assignee: 'ops', kind: 'stale_parked', title: 'A lead went stale with several managers: decide who works it' });
          slaDue(undefined); // parked: nothing falls due until someone touches it
          await wf.condition(() => s.stage !== stage || s.slaFrom !== from);
          continue;
        }
        const previous = s.managerId;
        await assign(previous ? [previous] : []);
        s.staleReassignments = (s.staleReassignments ?? 0) + 1;
        from = s.slaFrom = Date.now();
        step = -1;
      }
      step += 1;
      if (historyIsLong()) await carryOn();
    }
  }

  /** Ask the client's consent; silence within the window counts as no. */
  async function requestConsent(): Promise<void> {
    await acts.createTask({ key: taskKey(), leadId: s.leadId, assignee: owner(), kind: 'request_consent', title: 'Ask the client whether we may pass their contacts to a partner' });
    // Since this patch the window is counted in business days (see the policy for why).
    const businessDays = wf.patched('consent-window-business-days');
    const window = businessDays
      ? Math.max(1, addBusinessTime(cal, Date.now(), policy.consentWindowBusinessDays * businessDayMs(cal)) - Date.now())
      : policy.consentWindow;
    const span = businessDays ? `${policy.consentWindowBusinessDays} business days` : policy.consentWindow;
    const answered = await wf.condition(() => s.stage !== 'awaiting_consent', window, named(`client's consent answer within ${span}`));
    if (!answered) toReengagement(s, SYSTEM, 'no consent within the consent window', Date.now(), 'consent_timeout');
  }

  /** Offer the lead to one partner at a time (2–3 when the client compares) until one accepts. */
  async function handOff(): Promise<void> {
    while (s.stage === 'partner_offer') {
      if (historyIsLong()) await carryOn();
      if (!s.offers.some((o) => o.status === 'pending')) {
        const picked = await acts.pickPartners({
          leadId: s.leadId, topic: s.topic, region: s.region, budgetMinor: s.qualification?.budgetMinor,
          // Never one already asked, nor the partner that referred the lead to us.
          exclude: [...s.offers.map((o) => o.partnerId), ...(s.creditPartnerId ? [s.creditPartnerId] : [])], count: s.qualification?.compare ?? 1,
        });
        if (picked.length === 0) {
          await acts.createTask({ key: taskKey(), leadId: s.leadId, assignee: 'ops', kind: 'no_partner', title: 'No partner left to take this lead' });
          toReengagement(s, SYSTEM, 'no partner accepted the lead', Date.now(), 'no_partner');
          return;
        }
        for (const partnerId of picked) {
          const at = new Date().toISOString();
          s.offers.push({ partnerId, offeredAt: at, status: 'pending' });
          transition(s, { type: 'offered', actor: SYSTEM, reason: partnerId, now: Date.now() });
          await acts.recordOffer({ leadId: s.leadId, partnerId, status: 'pending', at });
          // The partner learns the deadline with the offer (a few milliseconds before the timer
          // below, which starts after the last offer is recorded). An activity's input, not a command: no patch.
          const answerBy = new Date(addBusinessTime(cal, Date.now(), policy.partnerAcceptanceBusinessDays * businessDayMs(cal))).toISOString();
          await acts.createTask({
            key: taskKey(), leadId: s.leadId, assignee: `partner:${partnerId}`, kind: 'offer', title: 'A lead is offered to you: accept or decline', dueAt: answerBy,
          });
        }
      }
      const deadline = addBusinessTime(cal, Date.now(), policy.partnerAcceptanceBusinessDays * businessDayMs(cal));
      const waiting = s.offers.filter((o) => o.status === 'pending').map((o) => o.partnerId).join(', ');
      slaDue({ at: deadline, what: `partner answer to the offer (${waiting})` });
      const answered = await wf.condition(
        () => s.stage !== 'partner_offer' || !s.offers.some((o) => o.status === 'pending'), Math.max(1, deadline - Date.now()),
        named(`partner answer to the offer within ${policy.partnerAcceptanceBusinessDays} business days`),
      );
      if (!answered) {
        for (const o of s.offers.filter((x) => x.status === 'pending')) {
          o.status = 'expired';
          transition(s, { type: 'offer_expired', actor: SYSTEM, reason: o.partnerId, now: Date.now() });
          await acts.recordOffer({ leadId: s.leadId, partnerId: o.partnerId, status: 'expired', at: new Date().toISOString(), reason: 'no answer within the acceptance window' });
        }
      }
    }
  }

  /** Meeting → proposal → negotiation → contract → payment; a silent stage gets a check-in task. */
  async function dealCycle(): Promise<void> {
    while (s.stage === 'deal') {
      const moves = s.dealMoves;
      const stage = s.dealStage ?? 'meeting';
      const paid = s.deal.payments.length;
      const silence = policy.dealStageTimeouts[stage];
      const checkIn = named(`deal check-in: ${stage} silent for ${silence}`);
      const moved = await wf.condition(() => s.stage !== 'deal' || s.dealMoves !== moves, silence, checkIn);
      if (s.deal.payments.length !== paid) await payCommissions();
      if (!moved) {
        transition(s, { type: 'deal_checkin', actor: SYSTEM, reason: `${stage} silent for ${policy.dealStageTimeouts[stage]}`, now: Date.now() });
        const who = s.dealOwner?.kind === 'partner' ? `partner:${s.dealOwner.partnerId}` : owner();
        await acts.createTask({ key: taskKey(), leadId: s.leadId, assignee: who, kind: 'deal_checkin', title: `Check in with the client: ${stage}` });
      }
      // The unpatched check stays for runs that carried on at the server's hint before the history
      // budget existed; historyIsLong covers the hint too for everything since.
      if (wf.workflowInfo().continueAsNewSuggested) await carryOn();
      if (historyIsLong()) await carryOn();
    }
  }

  /**
   * Signed and paid: each payment books its commission once (pro rata on what was paid), under
   * a ledger key made of the lead, the partner and the payment, so it cannot be booked twice.
   */
  async function payCommissions(): Promise<void> {
    for (let p = nextPaymentToBook(s.deal, s.commissioned); p; p = nextPaymentToBook(s.deal, s.commissioned)) {
      // Since the referral patch a lead one partner referred and another won earns the referrer its
      // commission; the patch is asked only in that case, as it always was.
      const target = commissionTarget(s.dealOwner, s.creditPartnerId, () => wf.patched('referral-between-partners'));
      if (target) {
        const req = { leadId: s.leadId, paymentId: p.paymentId, ...target, paidMinor: p.amountMinor, currency: p.currency, firstPayment: s.commissioned.length === 0 };
        if (wf.patched('commission-booked-by-lead')) {
          // Booking is one idempotent activity (the ledger key is unique), so the lead books it
          // itself and is won only once the commission is in the ledger. The abandoned child it
          // replaces outlived the lead: nothing waited for it, and on the time-skipping test
          // server a child finishing after its parent leaks the server's time lock for good.
          await acts.bookCommission(req);
        } else {
          try {
            await wf.startChild(commissionWorkflow, {
              workflowId: `commission-${s.leadId}-${p.paymentId}`,
              parentClosePolicy: ParentClosePolicy.ABANDON,
              args: [req],
            });
          } catch (err) {
            if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
          }
        }
        transition(s, { type: 'commission_started', actor: SYSTEM, reason: `${target.direction} ${target.partnerId} on ${p.paymentId}`, now: Date.now() });
      }
      s.commissioned.push(p.paymentId);
    }
  }

  /** Refused or lost: a touch every 2–3 months until the client returns, opts out or attempts run out. */
  async function reengage(): Promise<void> {
    const r = policy.reengagement;
    if (s.reengagement.attempt >= r.maxAttempts) {
      close(s, 'attempts_exhausted', SYSTEM, Date.now(), `${s.reengagement.attempt} re-engagement attempts`);
      return;
    }
    if (await wf.condition(() => s.stage !== 'reengagement', r.interval, named(`re-engagement in ${r.interval}`))) return;
    s.reengagement.attempt += 1;
    s.reengagement.touchedAt = new Date().toISOString();
    transition(s, { type: 'reengagement_touch', actor: SYSTEM, reason: `attempt ${s.reengagement.attempt} of ${r.maxAttempts}`, now: Date.now() });
    await acts.createTask({ key: taskKey(), leadId: s.leadId, assignee: owner(), kind: 'reengagement', title: `Re-engage the client${s.topic ? ` about ${s.topic}` : ''} (attempt ${s.reengagement.attempt})` });
    const reply = named(`client's reply to re-engagement within ${r.replyWindow}`);
    if (await wf.condition(() => s.stage !== 'reengagement', r.replyWindow, reply)) return;
    transition(s, { type: 'no_reply', actor: SYSTEM, reason: `attempt ${s.reengagement.attempt}`, now: Date.now() });
    await carryOn();
  }

  /** Continue-as-new with the state carried over explicitly, once everything is written down. */
  async function carryOn(): Promise<never> {
    await drain();
    if (wf.patched('carry-visibility')) {
      // The memo and search attributes go with the run, so ops never see a lead without them.
      return wf.makeContinueAsNewFunc<typeof leadWorkflow>(visibility.carriedOver())({ ...input, carried: s });
    }
    return wf.continueAsNew<typeof leadWorkflow>({ ...input, carried: s });
  }

  /**
   * Asked in every stage that waits: a history past its budget (or the server's hint) goes on in a
   * new run. A plain check, not an await, so a run that carries on adds no step to the others.
   */
  function historyIsLong(): boolean {
    const info = wf.workflowInfo();
    return (info.continueAsNewSuggested || info.historyLength >= HISTORY_BUDGET) && wf.patched('history-budget');
  }
}

// --- projections ------------------------------------------------------------------------------

interface Snapshot { liveOffers: string[] }
function snapshot(s: LeadState): Snapshot {
  return { liveOffers: s.offers.filter((o) => o.status === 'pending' || o.status === 'accepted').map((o) => o.partnerId) };
}

const iso = (ms: number) => new Date(ms).toISOString().slice(0, 16) + 'Z';
