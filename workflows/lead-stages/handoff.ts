// partner_offer: the hand-off. One partner at a time — 2–3 only when the client compares
// (domain/offer-round.ts) — picked by grade, capacity and "a project to grow" (pickPartners); a
// decline, or silence past the acceptance window, passes the lead to the next partner; nobody left
// → re-engagement. An acceptance (lead-handlers.ts) releases the contact and moves the lead to the deal.
import { toReengagement, transition } from '../../domain/lifecycle';
import { offerRound } from '../../domain/offer-round';
import { partnerAnswerDue } from '../../domain/deadlines';
import { acts, type LeadRun, SYSTEM } from '../lead-run';
import { waitUntilDue } from './wait';

/** Offer the lead to one partner at a time (2–3 when the client compares) until one accepts. */
export async function handOff(run: LeadRun): Promise<void> {
  const { s } = run;
  const { slaDue } = run.visibility;
  while (s.stage === 'partner_offer') {
    if (run.historyIsLong()) await run.carryOn();
    if (!s.offers.some((o) => o.status === 'pending')) {
      const picked = await acts.pickPartners({
        // One partner unless the client compares; never one already asked, nor the referrer (domain/offer-round.ts).
        leadId: s.leadId,
        topic: s.topic,
        region: s.region,
        budgetMinor: s.qualification?.budgetMinor,
        ...offerRound(s),
        decision: run.decisionKey('offer'),
      });
      if (picked.length === 0) {
        await acts.createTask({
          key: run.taskKey(),
          leadId: s.leadId,
          assignee: 'ops',
          kind: 'no_partner',
          title: 'No partner left to take this lead',
        });
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
        const answerBy = new Date(partnerAnswerDue(run.policy, Date.now())).toISOString();
        await acts.createTask({
          key: run.taskKey(),
          leadId: s.leadId,
          assignee: `partner:${partnerId}`,
          kind: 'offer',
          title: 'A lead is offered to you: accept or decline',
          dueAt: answerBy,
        });
      }
    }
    const waiting = s.offers
      .filter((o) => o.status === 'pending')
      .map((o) => o.partnerId)
      .join(', ');
    const answered = await waitUntilDue(
      run,
      'partner_answer',
      Date.now(),
      () => s.stage !== 'partner_offer' || !s.offers.some((o) => o.status === 'pending'),
      () => `partner answer to the offer within ${run.policy.partnerAcceptanceBusinessDays} business days`,
      (at) => slaDue({ at, what: `partner answer to the offer (${waiting})` }),
    );
    if (!answered) {
      for (const o of s.offers.filter((x) => x.status === 'pending')) {
        o.status = 'expired';
        transition(s, { type: 'offer_expired', actor: SYSTEM, reason: `${o.partnerId}${run.fromPolicy()}`, now: Date.now() });
        await acts.recordOffer({
          leadId: s.leadId,
          partnerId: o.partnerId,
          status: 'expired',
          at: new Date().toISOString(),
          reason: 'no answer within the acceptance window',
        });
      }
    }
  }
}
