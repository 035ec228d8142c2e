// Money paid exactly once: payouts per partner and period (a worker killed mid-transfer is in
// test/integration/payout-crash.test.ts), clawbacks after refunds netted from the next payout, and netting between two partners.
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import type { PayoutRequest } from '../../activities/payouts';
import * as M from '../../workflows/messages';
import { nettingWorkflow } from '../../workflows/netting';
import { payoutWorkflow, payoutWorkflowId } from '../../workflows/payout';
import { refundWorkflow, refundWorkflowId } from '../../workflows/refund';
import { seedManager, seedPartner, uid } from '../helpers/db';
import { as, startLead, until, waitFor } from '../helpers/lead';
import { timeSkippingStack } from '../helpers/temporal';

const t = timeSkippingStack({ seed: (db) => seedManager(db) });

const by = as('sales:ilya');
const thisPeriod = () => new Date().toISOString().slice(0, 7);
const nextPeriod = (p: string) => { const [y, m] = p.split('-').map(Number) as [number, number]; return new Date(Date.UTC(y, m, 1)).toISOString().slice(0, 7); };
/** Commissions are held 30 days: they become payable in the period after next at the latest. */
const payablePeriod = () => nextPeriod(nextPeriod(thisPeriod()));

/** A lead referred by `referrer`, won by us, paid in the given parts. */
async function wonLead(referrer: string, payments: number[]): Promise<string> {
  const { leadId, handle } = await startLead(t.env, t.db, t.worker.taskQueue, { partnerId: referrer, topic: uid('crm') });
  await handle.executeUpdate(M.recordContact, { args: [{ ...by, input: { outcome: 'reached' } }] });
  await handle.executeUpdate(M.qualify, { args: [{ ...by, input: { target: true, route: 'ours', reason: 'fits', compare: 1 } }] });
  const total = payments.reduce((a, b) => a + b, 0);
  await handle.executeUpdate(M.advanceDeal, { args: [{ ...by, input: { to: 'contract', valueMinor: total, currency: 'RUB' } }] });
  for (const [i, amount] of payments.entries()) {
    await handle.executeUpdate(M.recordPayment, { args: [{ ...by, input: { paymentId: `pay-${i + 1}`, amountMinor: amount, currency: 'RUB' } }] });
  }
  await handle.result();
  await waitFor(async () => (await t.db.ledgerEntry.count({ where: { leadId } })) === payments.length);
  return leadId;
}

async function payOnce(req: PayoutRequest) {
  const workflowId = payoutWorkflowId(req);
  try {
    return await t.env.client.workflow.execute(payoutWorkflow, { workflowId, taskQueue: t.worker.taskQueue, args: [req] });
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return t.env.client.workflow.getHandle(workflowId).result() as ReturnType<typeof payoutWorkflow>;
    throw err;
  }
}

test('a payout gathers what is due after the holding period and pays it exactly once', async () => {
  const partner = await seedPartner(t.db, { expertise: [uid('x')] });
  await wonLead(partner, [300_000_00, 200_000_00]);
  const held = await payOnce({ partnerId: partner, period: thisPeriod(), currency: 'RUB' });
  expect(held).toMatchObject({ status: 'skipped', reason: 'nothing due' }); // still in its 30-day hold

  const period = payablePeriod();
  const first = await payOnce({ partnerId: partner, period, currency: 'RUB' });
  expect(first).toMatchObject({ status: 'paid', amountMinor: 50_000_00, entries: 2 });
  const again = await payOnce({ partnerId: partner, period, currency: 'RUB' });
  expect(again).toEqual(first);

  expect(await t.db.payoutTransfer.count({ where: { partnerId: partner } })).toBe(1);
  const entries = await t.db.ledgerEntry.findMany({ where: { partnerId: partner }, orderBy: { id: 'asc' } });
  expect(entries.map((e) => [e.kind, e.status, Number(e.amountMinor)])).toEqual([
    ['commission_payable', 'paid', 30_000_00], ['commission_payable', 'paid', 20_000_00], ['payout', 'paid', -50_000_00],
  ]);
});

test('a refund after payout claws commission back and nets it from the next payout', async () => {
  const partner = await seedPartner(t.db, { expertise: [uid('x')] });
  const leadId = await wonLead(partner, [400_000_00]);
  const period = payablePeriod();
  expect(await payOnce({ partnerId: partner, period, currency: 'RUB' })).toMatchObject({ status: 'paid', amountMinor: 40_000_00 });

  // The client gets 100 000 of the 400 000 back: a quarter of the commission is clawed back, once.
  const refund = { leadId, paymentId: 'pay-1', refundId: 'rf-1', amountMinor: 100_000_00, currency: 'RUB' };
  const clawbacks = await t.env.client.workflow.execute(refundWorkflow, { workflowId: refundWorkflowId(refund), taskQueue: t.worker.taskQueue, args: [refund] });
  expect(clawbacks).toEqual([{ key: `clawback:commission:${leadId}:${partner}:pay-1:rf-1`, amountMinor: -10_000_00 }]);
  // The same refund reported again (even as a new run) books nothing more.
  expect(await t.env.client.workflow.execute(refundWorkflow, { workflowId: refundWorkflowId(refund), taskQueue: t.worker.taskQueue, args: [refund] })).toEqual(clawbacks);
  expect(await t.db.ledgerEntry.count({ where: { leadId, kind: 'clawback' } })).toBe(1);
  // The original entry is untouched; the clawback is a new one.
  const original = await t.db.ledgerEntry.findFirstOrThrow({ where: { leadId, kind: 'commission_payable' } });
  expect([original.status, Number(original.amountMinor)]).toEqual(['paid', 40_000_00]);

  // Next month the partner earns 30 000 on another lead; the payout nets the clawback.
  await wonLead(partner, [300_000_00]);
  const next = await payOnce({ partnerId: partner, period: nextPeriod(period), currency: 'RUB' });
  expect(next).toMatchObject({ status: 'paid', amountMinor: 20_000_00, entries: 2 });
});

test('two partners who refer to each other are netted into one settlement for the month', async () => {
  const topicA = uid('a');
  const topicB = uid('b');
  const a = await seedPartner(t.db, { expertise: [topicA], grade: 5 });
  const b = await seedPartner(t.db, { expertise: [topicB], grade: 5 });
  const consent = { given: true, askedBy: 'sales:ilya', channel: 'phone' as const, wording: 'May I pass your contacts to a colleague?' };

  // `referrer` sends a lead we hand to `winner`, who wins it and owes the referrer its commission.
  async function referral(referrer: string, winner: string, topic: string, paid: number) {
    const { handle } = await startLead(t.env, t.db, t.worker.taskQueue, { partnerId: referrer, topic });
    await handle.executeUpdate(M.recordContact, { args: [{ ...by, input: { outcome: 'reached' } }] });
    await handle.executeUpdate(M.qualify, { args: [{ ...by, input: { target: true, route: 'partner', reason: 'theirs', compare: 1 } }] });
    await handle.executeUpdate(M.recordConsent, { args: [{ ...by, input: consent }] });
    const offered = await until(handle, (s) => s.offers.length === 1);
    expect(offered.offers[0]!.partnerId).toBe(winner);
    await handle.executeUpdate(M.partnerRespond, { args: [{ actor: `partner:${winner}`, input: { partnerId: winner, accepted: true } }] });
    await handle.executeUpdate(M.advanceDeal, { args: [{ actor: `partner:${winner}`, input: { to: 'contract', valueMinor: paid, currency: 'RUB' } }] });
    await handle.executeUpdate(M.recordPayment, { args: [{ actor: `partner:${winner}`, input: { paymentId: 'p', amountMinor: paid, currency: 'RUB' } }] });
    await handle.result();
  }
  await referral(a, b, topicB, 500_000_00); // b owes a 50 000
  await referral(b, a, topicA, 200_000_00); // a owes b 20 000
  await waitFor(async () => (await t.db.ledgerEntry.count({ where: { kind: 'commission_referral', partnerId: { in: [a, b] } } })) === 2);

  const period = thisPeriod();
  const settled = await t.env.client.workflow.execute(nettingWorkflow, { workflowId: `netting-${a}-${period}`, taskQueue: t.worker.taskQueue, args: [{ period }] });
  const [first, second] = [a, b].sort() as [string, string];
  const mine = settled.find((x) => x.id === `settlement:${first}:${second}:${period}:RUB`);
  // a < b or b < a: the sign says who pays whom, the size is the net 30 000.
  expect(Math.abs(mine!.amountMinor)).toBe(30_000_00);
  const row = await t.db.settlement.findUniqueOrThrow({ where: { id: mine!.id } });
  const aPaysB = row.partnerA === a ? Number(row.amountMinor) : -Number(row.amountMinor);
  expect(aPaysB).toBe(-30_000_00); // b pays a the difference
  // Netting twice changes nothing.
  await t.env.client.workflow.execute(nettingWorkflow, { workflowId: `netting-again-${a}-${period}`, taskQueue: t.worker.taskQueue, args: [{ period }] });
  expect(await t.db.settlement.count({ where: { id: mine!.id } })).toBe(1);
});
