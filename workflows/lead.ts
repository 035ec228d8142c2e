// One sales lead, from intake to commission or to the last re-engagement attempt.
// Reads top to bottom like the process; the rules live in domain/lifecycle.ts, the durations in
// the policy, the side effects in activities.
import * as wf from '@temporalio/workflow';
import { ApplicationFailure, WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { ParentClosePolicy } from '@temporalio/workflow';
import { addBusinessTime, businessDayMs } from '../domain/calendar';
import { commissionTarget, nextPaymentToBook } from '../domain/commission-target';
import { close, type LeadState, TERMINAL, toReengagement, transition } from '../domain/lifecycle';
import type { LeadPolicyInput } from '../domain/policy';
import { commissionWorkflow } from './commission';
import { handleMessages } from './lead-handlers';
import { acts, LeadRun, SYSTEM } from './lead-run';
import { assign, awaitManager } from './lead-stages/manager';
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

export interface LeadOutcome { stage: LeadState['stage']; closedReason?: string; paidMinor: number }

export async function leadWorkflow(input: LeadWorkflowInput): Promise<LeadOutcome> {
  const run = new LeadRun(input);
  const { s } = run;
  // Still read by name in the stages below.
  const { named, slaDue, publish } = run.visibility;

  handleMessages(run);
  // The audit trail, the read model and what ops see follow the lead in the background.
  void run.visibility.persist();
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
        if (!s.managerId) await assign(run, []);
        // An action while the manager was being picked (an opt-out, say) may have moved the lead
        // on; before this patch the SLA ladder then ran on the new stage — for ever, if closed.
        if (s.stage === stage || !wf.patched('stage-moved-during-assignment')) await awaitManager(run, s.stage);
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
  await run.visibility.drain();
  return { stage: s.stage, closedReason: s.closedReason, paidMinor: s.deal.paidMinor };

  // --- stages -----------------------------------------------------------------------------------

  /** Ask the client's consent; silence within the window counts as no. */
  async function requestConsent(): Promise<void> {
    await acts.createTask({ key: run.taskKey(), leadId: s.leadId, assignee: run.owner(), kind: 'request_consent', title: 'Ask the client whether we may pass their contacts to a partner' });
    // Since this patch the window is counted in business days (see the policy for why).
    const businessDays = wf.patched('consent-window-business-days');
    const window = businessDays
      ? Math.max(1, addBusinessTime(run.cal, Date.now(), run.policy.consentWindowBusinessDays * businessDayMs(run.cal)) - Date.now())
      : run.policy.consentWindow;
    const span = businessDays ? `${run.policy.consentWindowBusinessDays} business days` : run.policy.consentWindow;
    const answered = await wf.condition(() => s.stage !== 'awaiting_consent', window, named(`client's consent answer within ${span}`));
    if (!answered) toReengagement(s, SYSTEM, 'no consent within the consent window', Date.now(), 'consent_timeout');
  }

  /** Offer the lead to one partner at a time (2–3 when the client compares) until one accepts. */
  async function handOff(): Promise<void> {
    while (s.stage === 'partner_offer') {
      if (run.historyIsLong()) await run.carryOn();
      if (!s.offers.some((o) => o.status === 'pending')) {
        const picked = await acts.pickPartners({
          leadId: s.leadId, topic: s.topic, region: s.region, budgetMinor: s.qualification?.budgetMinor,
          // Never one already asked, nor the partner that referred the lead to us.
          exclude: [...s.offers.map((o) => o.partnerId), ...(s.creditPartnerId ? [s.creditPartnerId] : [])], count: s.qualification?.compare ?? 1,
        });
        if (picked.length === 0) {
          await acts.createTask({ key: run.taskKey(), leadId: s.leadId, assignee: 'ops', kind: 'no_partner', title: 'No partner left to take this lead' });
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
          const answerBy = new Date(addBusinessTime(run.cal, Date.now(), run.policy.partnerAcceptanceBusinessDays * businessDayMs(run.cal))).toISOString();
          await acts.createTask({
            key: run.taskKey(), leadId: s.leadId, assignee: `partner:${partnerId}`, kind: 'offer', title: 'A lead is offered to you: accept or decline', dueAt: answerBy,
          });
        }
      }
      const deadline = addBusinessTime(run.cal, Date.now(), run.policy.partnerAcceptanceBusinessDays * businessDayMs(run.cal));
      const waiting = s.offers.filter((o) => o.status === 'pending').map((o) => o.partnerId).join(', ');
      slaDue({ at: deadline, what: `partner answer to the offer (${waiting})` });
      const answered = await wf.condition(
        () => s.stage !== 'partner_offer' || !s.offers.some((o) => o.status === 'pending'), Math.max(1, deadline - Date.now()),
        named(`partner answer to the offer within ${run.policy.partnerAcceptanceBusinessDays} business days`),
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
      const silence = run.policy.dealStageTimeouts[stage];
      const checkIn = named(`deal check-in: ${stage} silent for ${silence}`);
      const moved = await wf.condition(() => s.stage !== 'deal' || s.dealMoves !== moves, silence, checkIn);
      if (s.deal.payments.length !== paid) await payCommissions();
      if (!moved) {
        transition(s, { type: 'deal_checkin', actor: SYSTEM, reason: `${stage} silent for ${run.policy.dealStageTimeouts[stage]}`, now: Date.now() });
        const who = s.dealOwner?.kind === 'partner' ? `partner:${s.dealOwner.partnerId}` : run.owner();
        await acts.createTask({ key: run.taskKey(), leadId: s.leadId, assignee: who, kind: 'deal_checkin', title: `Check in with the client: ${stage}` });
      }
      // The unpatched check stays for runs that carried on at the server's hint before the history
      // budget existed; historyIsLong covers the hint too for everything since.
      if (wf.workflowInfo().continueAsNewSuggested) await run.carryOn();
      if (run.historyIsLong()) await run.carryOn();
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
    const r = run.policy.reengagement;
    if (s.reengagement.attempt >= r.maxAttempts) {
      close(s, 'attempts_exhausted', SYSTEM, Date.now(), `${s.reengagement.attempt} re-engagement attempts`);
      return;
    }
    if (await wf.condition(() => s.stage !== 'reengagement', r.interval, named(`re-engagement in ${r.interval}`))) return;
    s.reengagement.attempt += 1;
    s.reengagement.touchedAt = new Date().toISOString();
    transition(s, { type: 'reengagement_touch', actor: SYSTEM, reason: `attempt ${s.reengagement.attempt} of ${r.maxAttempts}`, now: Date.now() });
    await acts.createTask({ key: run.taskKey(), leadId: s.leadId, assignee: run.owner(), kind: 'reengagement', title: `Re-engage the client${s.topic ? ` about ${s.topic}` : ''} (attempt ${s.reengagement.attempt})` });
    const reply = named(`client's reply to re-engagement within ${r.replyWindow}`);
    if (await wf.condition(() => s.stage !== 'reengagement', r.replyWindow, reply)) return;
    transition(s, { type: 'no_reply', actor: SYSTEM, reason: `attempt ${s.reengagement.attempt}`, now: Date.now() });
    await run.carryOn();
  }
}
