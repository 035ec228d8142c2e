// deal: meeting → proposal → negotiation → contract → payment. A stage silent too long gets a
// check-in task; each payment of a signed deal books its commission once (domain/commission-target.ts).
import * as wf from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { ParentClosePolicy } from '@temporalio/workflow';
import { commissionTarget, nextPaymentToBook } from '../../domain/commission-target';
import { transition } from '../../domain/lifecycle';
import { commissionWorkflow } from '../commission';
import { acts, type LeadRun, SYSTEM } from '../lead-run';
import { waitUntilDue } from './wait';

/** Meeting → proposal → negotiation → contract → payment; a silent stage gets a check-in task. */
export async function dealCycle(run: LeadRun): Promise<void> {
  const { s } = run;
  while (s.stage === 'deal') {
    const moves = s.dealMoves;
    const stage = s.dealStage ?? 'meeting';
    const paid = s.deal.payments.length;
    const silent = () => `${stage} silent for ${run.policy.dealStageTimeouts[stage]}`;
    const moved = await waitUntilDue(
      run,
      'deal_checkin',
      Date.now(),
      () => s.stage !== 'deal' || s.dealMoves !== moves,
      () => `deal check-in: ${silent()}`,
      undefined,
      stage,
    );
    if (s.deal.payments.length !== paid) await payCommissions(run);
    if (!moved) {
      transition(s, { type: 'deal_checkin', actor: SYSTEM, reason: `${silent()}${run.fromPolicy()}`, now: Date.now() });
      const who = s.dealOwner?.kind === 'partner' ? `partner:${s.dealOwner.partnerId}` : run.owner();
      await acts.createTask({
        key: run.taskKey(),
        leadId: s.leadId,
        assignee: who,
        kind: 'deal_checkin',
        title: `Check in with the client: ${stage}`,
      });
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
export async function payCommissions(run: LeadRun): Promise<void> {
  const { s } = run;
  for (let p = nextPaymentToBook(s.deal, s.commissioned); p; p = nextPaymentToBook(s.deal, s.commissioned)) {
    // Since the referral patch a lead one partner referred and another won earns the referrer its
    // commission; the patch is asked only in that case, as it always was.
    const target = commissionTarget(s.dealOwner, s.creditPartnerId, () => wf.patched('referral-between-partners'));
    if (target) {
      const req = {
        leadId: s.leadId,
        paymentId: p.paymentId,
        ...target,
        paidMinor: p.amountMinor,
        currency: p.currency,
        firstPayment: s.commissioned.length === 0,
      };
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
      transition(s, {
        type: 'commission_started',
        actor: SYSTEM,
        reason: `${target.direction} ${target.partnerId} on ${p.paymentId}`,
        now: Date.now(),
      });
    }
    s.commissioned.push(p.paymentId);
  }
}
