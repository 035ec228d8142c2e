// The simulated staff and partners: each working day they look at the leads whose turn it is, read
// the lead's state from its workflow (the query the API's GET /leads/:id uses) and take the action
// its stage calls for — as the Updates the API sends — drawing outcomes from bench/year/rates.ts.
import { WorkflowUpdateFailedError, type Client, type WorkflowHandle } from '@temporalio/client';
import type { UpdateDefinition } from '@temporalio/common';
import { percentOf, DEFAULT_TERMS } from '../../domain/commission';
import type { leadWorkflow } from '../../workflows/lead';
import * as M from '../../workflows/messages';
import { between, RATES } from './rates';

type Handle = WorkflowHandle<typeof leadWorkflow>;
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each Update has its own input type
type LeadUpdate = UpdateDefinition<M.LeadView, [M.Command<any>]>;
type Update = (u: LeadUpdate, actor: string, input: unknown) => Promise<M.LeadView | undefined>;

/** A payment the simulated client made, and the commission the ledger must hold for it. */
export interface PaymentMade {
  leadId: string;
  paymentId: string;
  amountMinor: number;
  commissionMinor: number;
}

interface DealPlan {
  /** Working-day index of each remaining move; `lose` marks the move where the client walks away. */
  moves: Array<{ day: number; to: 'proposal' | 'negotiation' | 'contract' | 'pay'; lose: boolean; amountMinor?: number }>;
  valueMinor: number;
}

export interface SimLead {
  n: number;
  leadId: string;
  rng: () => number;
  handle: Handle;
  /** Working day of the next look; undefined once the lead is won or closed. */
  nextLook?: number;
  deal?: DealPlan;
  /** Re-engagement attempts already answered, and offers and consent questions already answered (or left silent). */
  answeredTouch: number;
  answered: Set<string>;
  payments: number;
}

export interface ActorTally {
  updates: number;
  refused: number;
  queries: number;
  errors: number;
  payments: PaymentMade[];
}

/** Percent-of-paid default terms (no agreement on record): what one payment must book. */
const commissionOf = (amountMinor: number) =>
  DEFAULT_TERMS.agreement.model === 'percent_of_paid' ? percentOf(amountMinor, DEFAULT_TERMS.agreement.percentBps) : 0;

export function simLead(client: Client, n: number, leadId: string, rng: () => number): SimLead {
  return {
    n,
    leadId,
    rng,
    handle: client.workflow.getHandle<typeof leadWorkflow>(`lead-${leadId}`),
    answeredTouch: 0,
    answered: new Set(),
    payments: 0,
  };
}

const CONSENT_WORDING = 'Do you mind if I pass your contacts to a colleague? They will call you; the consultation is free.';

/**
 * One look at a lead on working day `day`: reads its state, acts, and sets its next look.
 * Refusals by the workflow's validators (a timer moved the lead first) are counted, not errors.
 */
export async function look(lead: SimLead, day: number, tally: ActorTally): Promise<void> {
  tally.queries++;
  const view = await lead.handle.query(M.getState);
  const r = lead.rng;
  const staff = `sales:${view.managerId ?? 'unassigned'}`;
  const update: Update = async (u, actor, input) => {
    tally.updates++;
    try {
      return await lead.handle.executeUpdate(u, { args: [{ actor, input }] });
    } catch (err) {
      if (err instanceof WorkflowUpdateFailedError) {
        tally.refused++;
        return undefined;
      }
      throw err;
    }
  };
  const tomorrow = () => {
    lead.nextLook = day + 1;
  };

  switch (view.stage) {
    case 'won':
    case 'closed':
      lead.nextLook = undefined;
      return;
    case 'verification':
      await update(M.verifyInterest, staff, { personFound: r() < RATES.personFound });
      tomorrow();
      return;
    case 'awaiting_first_contact': {
      const x = r();
      const outcome = x < RATES.reached ? 'reached' : x < RATES.reached + RATES.refusedOnCall ? 'refused' : 'no_answer';
      const after = await update(M.recordContact, staff, { outcome });
      if (after?.stage === 'qualifying') await qualify(lead, day, staff, tally, update);
      else tomorrow();
      return;
    }
    case 'qualifying':
      await qualify(lead, day, staff, tally, update);
      return;
    case 'awaiting_consent': {
      const key = `consent:${view.seq}`;
      if (!lead.answered.has(key)) {
        lead.answered.add(key);
        const x = r();
        if (x < RATES.consentGiven + RATES.consentRefused) {
          await update(M.recordConsent, staff, {
            given: x < RATES.consentGiven,
            askedBy: staff,
            channel: 'phone',
            wording: CONSENT_WORDING,
          });
          tomorrow();
          return;
        }
      }
      lead.nextLook = day + 4; // silence: the 3-business-day window closes first
      return;
    }
    case 'partner_offer': {
      for (const o of view.offers.filter((x) => x.status === 'pending')) {
        const key = `offer:${o.partnerId}`;
        if (lead.answered.has(key)) continue;
        lead.answered.add(key);
        const x = r();
        if (x < RATES.partnerAccepts + RATES.partnerDeclines) {
          await update(M.partnerRespond, `partner:${o.partnerId}`, {
            partnerId: o.partnerId,
            accepted: x < RATES.partnerAccepts,
            reason: x < RATES.partnerAccepts ? undefined : 'no capacity',
          });
        }
      }
      lead.nextLook = day + (view.offers.some((o) => o.status === 'pending' && lead.answered.has(`offer:${o.partnerId}`)) ? 3 : 1);
      return;
    }
    case 'deal':
      await dealStep(lead, view, day, tally, update);
      return;
    case 'reengagement': {
      const attempt = view.reengagement.attempt;
      if (attempt > lead.answeredTouch) {
        lead.answeredTouch = attempt;
        const x = r();
        if (x < RATES.returnedPerTouch) {
          await update(M.reengagementOutcome, staff, { outcome: 'returned' });
          tomorrow();
          return;
        }
        if (x < RATES.returnedPerTouch + RATES.optOutPerTouch) {
          await update(M.optOut, staff, { reason: 'asked not to be contacted again' });
          tomorrow();
          return;
        }
        if (x < RATES.returnedPerTouch + RATES.optOutPerTouch + RATES.declinedPerTouch)
          await update(M.reengagementOutcome, staff, { outcome: 'declined' });
        lead.nextLook = day + 60; // 14 days to reply, 75 to the next touch: about 63 working days
        return;
      }
      lead.nextLook = day + (attempt === 0 ? 54 : 3); // the first touch comes 75 days after the refusal
      return;
    }
  }
}

async function qualify(lead: SimLead, day: number, staff: string, tally: ActorTally, update: Update): Promise<void> {
  const r = lead.rng;
  const targetShare = RATES.targetMin + r() * (RATES.targetMax - RATES.targetMin);
  const input =
    r() < targetShare
      ? { target: true, route: r() < RATES.toPartner ? 'partner' : 'ours', reason: 'needs the product and has the budget', compare: 1 }
      : { target: false, reason: 'not a business client' };
  const after = await update(M.qualify, staff, input);
  lead.nextLook = day + 1;
  if (after?.stage === 'deal') await dealStep(lead, after, day, tally, update);
}

/** Makes the deal's plan when the lead enters a deal, and takes the moves that fall due. */
async function dealStep(lead: SimLead, view: M.LeadView, day: number, tally: ActorTally, update: Update): Promise<void> {
  const r = lead.rng;
  // Only the simulated client loses a deal (below, dropping its plan): a lead that comes back and
  // enters a deal again gets a new plan.
  lead.deal ??= planDeal(r, day);
  const actor = view.dealOwner?.kind === 'partner' ? `partner:${view.dealOwner.partnerId}` : `sales:${view.managerId}`;
  while (lead.deal.moves[0] && lead.deal.moves[0].day <= day) {
    const move = lead.deal.moves.shift()!;
    if (move.lose) {
      await update(M.markLost, actor, { reason: 'the client chose a competitor' });
      lead.deal = undefined;
      lead.nextLook = day + 1;
      return;
    }
    if (move.to === 'pay') {
      const paymentId = `pay-${++lead.payments}`;
      const after = await update(M.recordPayment, actor, { paymentId, amountMinor: move.amountMinor!, currency: 'RUB' });
      // A payment books commission when the lead has a referring partner or a partner won it.
      const commissionable = after && (after.creditPartnerId || after.dealOwner?.kind === 'partner');
      if (after)
        tally.payments.push({
          leadId: lead.leadId,
          paymentId,
          amountMinor: move.amountMinor!,
          commissionMinor: commissionable ? commissionOf(move.amountMinor!) : 0,
        });
    } else {
      await update(
        M.advanceDeal,
        actor,
        move.to === 'contract' ? { to: 'contract', valueMinor: lead.deal.valueMinor, currency: 'RUB' } : { to: move.to },
      );
    }
  }
  lead.nextLook = lead.deal.moves[0]?.day ?? day + 1;
}

/** 3–4 months in working days (~21 a month): proposal, negotiation, contract, then 1–3 payments. */
function planDeal(r: () => number, day: number): DealPlan {
  const length = Math.round((between(r, RATES.dealDaysMin, RATES.dealDaysMax) * 5) / 7);
  const valueMinor = between(r, RATES.valueMinMinor, RATES.valueMaxMinor);
  const at = (f: number) => day + Math.max(1, Math.round(length * f));
  const moves: DealPlan['moves'] = (['proposal', 'negotiation', 'contract'] as const).map((to, i) => ({
    to,
    day: at([0.2, 0.45, 0.7][i]!),
    lose: r() < RATES.lostAtMove,
  }));
  const k = between(r, 1, RATES.maxPayments);
  let left = valueMinor;
  for (let i = 0; i < k; i++) {
    const amountMinor = i === k - 1 ? left : Math.max(1, Math.floor((valueMinor / k) * (0.8 + r() * 0.4)));
    left -= amountMinor;
    moves.push({ to: 'pay', day: at(0.8 + (0.2 * (i + 1)) / k), lose: false, amountMinor });
  }
  return { moves, valueMinor };
}
