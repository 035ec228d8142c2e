// Everything a lead answers while it waits: queries, staff actions (one Update per row of the
// action table, domain/actions.ts: validated synchronously, refused with a reason, applied by the
// state machine, their side effects run before the Update returns), and signals from outside
// (a roster change, an unavailable manager, a repeat inquiry, a partner's webhook, a new policy).
import * as wf from '@temporalio/workflow';
import { ApplicationFailure } from '@temporalio/common';
import { msToNumber as ms } from '@temporalio/common/lib/time';
import { ACTION_NAMES, type ActionName, LEAD_ACTIONS, parseAction } from '../domain/actions';
import { addBusinessTime, businessDayMs } from '../domain/calendar';
import { leadFeeTarget } from '../domain/commission-target';
import { type Action, apply, type LeadState, refusal, returnToQualification, TERMINAL, transition } from '../domain/lifecycle';
import { view } from './lead-visibility';
import { acts, type LeadRun, SYSTEM } from './lead-run';
import * as M from './messages';

/** Sets every handler of the lead; called once at the start of each run, before it waits on anything. */
export function handleMessages(run: LeadRun): void {
  const { s } = run;

  // A new policy version rolled out to this lead (README, "Policy").
  wf.setHandler(M.policyChanged, (p) => run.adoptPolicy(p, 'rolled out'));
  wf.setHandler(M.getState, () => view(s));
  wf.setHandler(M.getHistory, () => s.history);
  // A manager was added, came back or was freed: a lead waiting for one tries again at once.
  wf.setHandler(M.rosterChanged, () => {
    run.rosterChanges += 1;
  });
  // The manager was deactivated or is away (the roster API): the lead goes to another manager, with
  // the reason in its history, and the old manager's open tasks on it go along. With nobody free
  // it keeps its manager (an owner on paper beats none) and ops are told.
  wf.setHandler(M.managerUnavailable, async (n) => {
    if (TERMINAL.has(s.stage) || !s.managerId || s.managerId !== n.managerId) return;
    if (!wf.patched('manager-unavailable')) return;
    const old = n.managerId;
    const reason = String(n.reason).slice(0, 200);
    const a = await acts.assignManager({ leadId: s.leadId, exclude: [old], decision: run.decisionKey('unavailable') });
    if (s.managerId !== old || TERMINAL.has(s.stage)) return; // reassigned or closed meanwhile
    if (!a) {
      transition(s, { type: 'manager_unavailable', actor: SYSTEM, reason: `${old}: ${reason}; no other manager free`, now: Date.now() });
      await acts.createTask({
        key: run.taskKey(),
        leadId: s.leadId,
        assignee: 'ops',
        kind: 'not_distributed',
        title: `The lead's manager is unavailable (${reason}) and nobody else is free`,
      });
      return;
    }
    if (a.policy && run.input.policyVersion) run.adoptPolicy(a.policy, `team of ${a.managerId}`);
    s.managerId = a.managerId;
    s.teamLeadId = a.teamLeadId;
    s.slaFrom = Date.now(); // the new manager's SLA starts now
    transition(s, { type: 'reassigned', actor: SYSTEM, reason: `${a.managerId}: ${reason} (was ${old})`, now: Date.now() });
    await acts.moveOpenTasks({ leadId: s.leadId, from: old, to: a.managerId });
    await acts.createTask({
      key: run.taskKey(),
      leadId: s.leadId,
      assignee: run.owner(),
      kind: 'reassigned',
      title: `Lead reassigned to you: ${reason}`,
    });
  });

  /** A staff action: validated synchronously (refused with a reason), applied, side effects run. */
  function action(name: ActionName): void {
    wf.setHandler(
      M.actionUpdate(name),
      async (cmd) => {
        const { action: a, problem } = parseAction(name, cmd.input);
        if (!a) throw ApplicationFailure.nonRetryable(problem, 'InvalidInput'); // the validator let nothing like it through
        const before = snapshot(s);
        apply(s, a, run.ctx(cmd.actor));
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
    transition(s, {
      type: 'repeat_inquiry',
      actor: inq.partnerId ? `partner:${inq.partnerId}` : inq.sourceChannel,
      reason: `matched on ${inq.matchedOn}`,
      now: Date.now(),
    });
    // A refused client who asks again has come back by themselves.
    if (s.stage === 'reengagement')
      returnToQualification(s, SYSTEM, Date.now(), 'asked again', ms(run.policy.reengagement.partnerCreditWindow));
    if (!TERMINAL.has(s.stage))
      await acts.createTask({
        key: run.taskKey(),
        leadId: s.leadId,
        assignee: run.owner(),
        kind: 'repeat_inquiry',
        title: 'The client asked again: call back',
      });
  });

  wf.setHandler(M.partnerWebhook, async (answer) => {
    const parsed = LEAD_ACTIONS.partnerRespond.input.safeParse(answer);
    const a: Action | undefined = parsed.success ? { type: 'partnerRespond', input: parsed.data } : undefined;
    const why = a ? refusal(s, a) : 'malformed partner event';
    if (!a || why) {
      transition(s, {
        type: 'partner_event_ignored',
        actor: `partner:${parsed.success ? parsed.data.partnerId : 'unknown'}`,
        reason: why,
        now: Date.now(),
      });
      return;
    }
    const before = snapshot(s);
    apply(s, a, run.ctx(`partner:${a.input.partnerId}`));
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
            ? new Date(
                addBusinessTime(run.cal, Date.now(), run.policy.stopContactConfirmBusinessDays * businessDayMs(run.cal)),
              ).toISOString()
            : undefined;
          for (const partnerId of before.liveOffers) {
            await acts.createTask({
              key: `${run.taskKey()}:${partnerId}`,
              leadId: s.leadId,
              assignee: `partner:${partnerId}`,
              kind: 'stop_contact',
              title: 'The client withdrew consent: stop all contact and delete the data',
              ...(confirmBy ? { dueAt: confirmBy } : {}),
            });
          }
        }
        await acts.completeTasks(s.leadId);
        break;
      case 'partnerRespond':
        await acts.recordOffer({
          leadId: s.leadId,
          partnerId: a.input.partnerId,
          status: a.input.accepted ? 'accepted' : 'declined',
          at: now,
          reason: a.input.reason,
        });
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
        await acts.createTask({
          key: run.taskKey(),
          leadId: s.leadId,
          assignee: run.owner(),
          kind: 'reassigned',
          title: `Lead reassigned to you: ${a.input.reason}`,
        });
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
      await acts.recordOffer({
        leadId: s.leadId,
        partnerId: o.partnerId,
        status: 'withdrawn',
        at: new Date().toISOString(),
        reason: o.reason,
      });
      await acts.createTask({
        key: `${run.taskKey()}:${o.partnerId}`,
        leadId: s.leadId,
        assignee: `partner:${o.partnerId}`,
        kind: 'offer_withdrawn',
        title: 'The client chose another partner: the offer is withdrawn',
      });
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
    if (fee.amountMinor > 0)
      transition(s, {
        type: 'lead_fee_booked',
        actor: SYSTEM,
        reason: `${fee.amountMinor} ${fee.currency} to ${to} from ${receiver}`,
        now: Date.now(),
      });
  }
}

interface Snapshot {
  liveOffers: string[];
}
/** What an action's side effects need from the state before it: the partners whose offer was live. */
function snapshot(s: LeadState): Snapshot {
  return { liveOffers: s.offers.filter((o) => o.status === 'pending' || o.status === 'accepted').map((o) => o.partnerId) };
}
