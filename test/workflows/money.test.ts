// Money paid exactly once: payouts per partner and period (a worker killed mid-transfer is in
// test/integration/payout-crash.test.ts), clawbacks after refunds netted from the next payout, and netting between two partners.
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../api/app';
import type { PayoutRequest } from '../../activities/payouts';
import { nettingWorkflow } from '../../workflows/netting';
import { payoutWorkflow, payoutWorkflowId } from '../../workflows/payout';
import { refundWorkflow, refundWorkflowId } from '../../workflows/refund';
import { seedManager, seedPartner, uid } from '../helpers/db';
import { act, as, historyTypes, startLead, until, waitFor, type LeadHandle } from '../helpers/lead';
import { timeSkippingStack } from '../helpers/temporal';

const t = timeSkippingStack({ seed: (db) => seedManager(db) });

// Statements are read through the API, on the same database and Temporal as the workflows.
const OPS_KEY = 'ops-key-money-test-0000000';
let app: FastifyInstance;
beforeAll(async () => {
  app = await buildApp({
    db: t.db,
    temporal: t.env.client,
    taskQueue: t.worker.taskQueue,
    logLevel: 'silent',
    apiKeys: [{ key: OPS_KEY, role: 'ops', subject: 'oleg' }],
  });
  await app.ready();
});
afterAll(async () => app?.close());

interface Statement {
  terms: { source: string; label: string; model: string };
  balances: Record<string, number>;
  entries: Array<{
    key: string;
    kind: string;
    status: string;
    amountMinor: number;
    partnerId: string;
    counterpartyId: string | null;
    settlementId: string | null;
  }>;
  settlements: Array<{ id: string; counterpartyId: string; amountMinor: number }>;
}
async function statement(partnerId: string, currency = 'RUB'): Promise<Statement> {
  const res = await app.inject({
    method: 'GET',
    url: `/partners/${partnerId}/statement?currency=${currency}`,
    headers: { 'x-api-key': OPS_KEY },
  });
  expect(res.statusCode).toBe(200);
  return res.json();
}

const agreement = (partnerId: string, terms: { model: 'fixed_per_lead'; fixedFeeMinor: number; currency: string }) =>
  t.db.partnerAgreement.create({
    data: { id: uid('agr'), partnerId, model: terms.model, fixedFeeMinor: BigInt(terms.fixedFeeMinor), currency: terms.currency },
  });

const by = as('sales:ilya');
const thisPeriod = () => new Date().toISOString().slice(0, 7);
const nextPeriod = (p: string) => {
  const [y, m] = p.split('-').map(Number) as [number, number];
  return new Date(Date.UTC(y, m, 1)).toISOString().slice(0, 7);
};
/** Commissions are held 30 days: they become payable in the period after next at the latest. */
const payablePeriod = () => nextPeriod(nextPeriod(thisPeriod()));

/** A lead referred by `referrer`, won by us, paid in the given parts. */
async function wonLead(referrer: string, payments: number[]): Promise<string> {
  const { leadId, handle } = await startLead(t.env, t.db, t.worker.taskQueue, { partnerId: referrer, topic: uid('crm') });
  await act(handle, 'recordContact', { outcome: 'reached' }, by);
  await act(handle, 'qualify', { target: true, route: 'ours', reason: 'fits', compare: 1 }, by);
  const total = payments.reduce((a, b) => a + b, 0);
  await act(handle, 'advanceDeal', { to: 'contract', valueMinor: total, currency: 'RUB' }, by);
  for (const [i, amount] of payments.entries()) {
    await act(handle, 'recordPayment', { paymentId: `pay-${i + 1}`, amountMinor: amount, currency: 'RUB' }, by);
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
    if (err instanceof WorkflowExecutionAlreadyStartedError)
      return t.env.client.workflow.getHandle(workflowId).result() as ReturnType<typeof payoutWorkflow>;
    throw err;
  }
}

test('a payout gathers what is due after the holding period and pays it exactly once', async () => {
  const partner = await seedPartner(t.db, { expertise: [uid('x')] });
  await wonLead(partner, [300_000_00, 200_000_00]);
  // Still in its 30-day hold for this period's payout — unless the hold ends inside this very period
  // (booked on the 1st of a 31-day month, as CI once ran on 1 December): then the payout rightly pays.
  const holdEndsIn = new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 7);
  if (holdEndsIn !== thisPeriod()) {
    const held = await payOnce({ partnerId: partner, period: thisPeriod(), currency: 'RUB' });
    expect(held).toMatchObject({ status: 'skipped', reason: 'nothing due' });
  }

  const period = payablePeriod();
  const first = await payOnce({ partnerId: partner, period, currency: 'RUB' });
  expect(first).toMatchObject({ status: 'paid', amountMinor: 50_000_00, entries: 2 });
  const again = await payOnce({ partnerId: partner, period, currency: 'RUB' });
  expect(again).toEqual(first);

  expect(await t.db.payoutTransfer.count({ where: { partnerId: partner } })).toBe(1);
  const entries = await t.db.ledgerEntry.findMany({ where: { partnerId: partner }, orderBy: { id: 'asc' } });
  expect(entries.map((e) => [e.kind, e.status, Number(e.amountMinor)])).toEqual([
    ['commission_payable', 'paid', 30_000_00],
    ['commission_payable', 'paid', 20_000_00],
    ['payout', 'paid', -50_000_00],
  ]);
});

test('a refund after payout claws commission back and nets it from the next payout', async () => {
  const partner = await seedPartner(t.db, { expertise: [uid('x')] });
  const leadId = await wonLead(partner, [400_000_00]);
  const period = payablePeriod();
  expect(await payOnce({ partnerId: partner, period, currency: 'RUB' })).toMatchObject({ status: 'paid', amountMinor: 40_000_00 });

  // The client gets 100 000 of the 400 000 back: a quarter of the commission is clawed back, once.
  const refund = { leadId, paymentId: 'pay-1', refundId: 'rf-1', amountMinor: 100_000_00, currency: 'RUB' };
  const clawbacks = await t.env.client.workflow.execute(refundWorkflow, {
    workflowId: refundWorkflowId(refund),
    taskQueue: t.worker.taskQueue,
    args: [refund],
  });
  expect(clawbacks).toEqual([{ key: `clawback:commission:${leadId}:${partner}:pay-1:rf-1`, amountMinor: -10_000_00 }]);
  // The same refund reported again (even as a new run) books nothing more.
  expect(
    await t.env.client.workflow.execute(refundWorkflow, {
      workflowId: refundWorkflowId(refund),
      taskQueue: t.worker.taskQueue,
      args: [refund],
    }),
  ).toEqual(clawbacks);
  expect(await t.db.ledgerEntry.count({ where: { leadId, kind: 'clawback' } })).toBe(1);
  // The original entry is untouched; the clawback is a new one.
  const original = await t.db.ledgerEntry.findFirstOrThrow({ where: { leadId, kind: 'commission_payable' } });
  expect([original.status, Number(original.amountMinor)]).toEqual(['paid', 40_000_00]);

  // Next month the partner earns 30 000 on another lead; the payout nets the clawback.
  await wonLead(partner, [300_000_00]);
  const next = await payOnce({ partnerId: partner, period: nextPeriod(period), currency: 'RUB' });
  expect(next).toMatchObject({ status: 'paid', amountMinor: 20_000_00, entries: 2 });
});

const consent = { given: true, askedBy: 'sales:ilya', channel: 'phone' as const, wording: 'May I pass your contacts to a colleague?' };

/** A lead (referred by `referrer`, if any) handed with consent to `receiver`, who accepts it. */
async function handedOff(receiver: string, topic: string, referrer?: string) {
  const lead = await startLead(t.env, t.db, t.worker.taskQueue, { partnerId: referrer, topic });
  await act(lead.handle, 'recordContact', { outcome: 'reached' }, by);
  await act(lead.handle, 'qualify', { target: true, route: 'partner', reason: 'theirs', compare: 1 }, by);
  await act(lead.handle, 'recordConsent', consent, by);
  const offered = await until(lead.handle, (s) => s.offers.length === 1);
  expect(offered.offers[0]!.partnerId).toBe(receiver);
  return lead;
}

const accept = (handle: LeadHandle, partnerId: string) =>
  act(handle, 'partnerRespond', { partnerId, accepted: true }, `partner:${partnerId}`);

/** The winner closes the deal and the client pays it in full. */
async function winAndPay(handle: LeadHandle, winner: string, paid: number) {
  await act(handle, 'advanceDeal', { to: 'contract', valueMinor: paid, currency: 'RUB' }, `partner:${winner}`);
  await act(handle, 'recordPayment', { paymentId: 'p', amountMinor: paid, currency: 'RUB' }, `partner:${winner}`);
  await handle.result();
}

/** `referrer` sends a lead we hand to `winner`, who wins it and owes the referrer its commission. */
async function referral(referrer: string, winner: string, topic: string, paid: number) {
  const { handle } = await handedOff(winner, topic, referrer);
  await accept(handle, winner);
  await winAndPay(handle, winner, paid);
}

test('two partners who refer to each other are netted into one settlement for the month', async () => {
  const topicA = uid('a');
  const topicB = uid('b');
  const a = await seedPartner(t.db, { expertise: [topicA], grade: 5 });
  const b = await seedPartner(t.db, { expertise: [topicB], grade: 5 });
  await referral(a, b, topicB, 500_000_00); // b owes a 50 000
  await referral(b, a, topicA, 200_000_00); // a owes b 20 000
  await waitFor(async () => (await t.db.ledgerEntry.count({ where: { kind: 'commission_referral', partnerId: { in: [a, b] } } })) === 2);

  const period = thisPeriod();
  const settled = await t.env.client.workflow.execute(nettingWorkflow, {
    workflowId: `netting-${a}-${period}`,
    taskQueue: t.worker.taskQueue,
    args: [{ period }],
  });
  const [first, second] = [a, b].sort() as [string, string];
  const mine = settled.find((x) => x.id === `settlement:${first}:${second}:${period}:RUB`);
  // a < b or b < a: the sign says who pays whom, the size is the net 30 000.
  expect(Math.abs(mine!.amountMinor)).toBe(30_000_00);
  const row = await t.db.settlement.findUniqueOrThrow({ where: { id: mine!.id } });
  const aPaysB = row.partnerA === a ? Number(row.amountMinor) : -Number(row.amountMinor);
  expect(aPaysB).toBe(-30_000_00); // b pays a the difference
  // Netting twice changes nothing.
  await t.env.client.workflow.execute(nettingWorkflow, {
    workflowId: `netting-again-${a}-${period}`,
    taskQueue: t.worker.taskQueue,
    args: [{ period }],
  });
  expect(await t.db.settlement.count({ where: { id: mine!.id } })).toBe(1);
});

test('a one-way referral is on both statements — owed by the winner to the referrer — until netting settles it', async () => {
  const topic = uid('one-way');
  const referrer = await seedPartner(t.db, { expertise: [uid('none')], grade: 5 });
  const winner = await seedPartner(t.db, { expertise: [topic], grade: 5 });
  await referral(referrer, winner, topic, 500_000_00); // the winner owes the referrer 10 %: 50 000
  await waitFor(async () => (await t.db.ledgerEntry.count({ where: { kind: 'commission_referral', partnerId: referrer } })) === 1);

  const owed = await statement(referrer);
  expect(owed.entries.map((e) => [e.kind, e.amountMinor, e.partnerId, e.counterpartyId])).toEqual([
    ['commission_referral', 50_000_00, referrer, winner],
  ]);
  expect(owed.balances).toMatchObject({ referralsOwedToPartner: 50_000_00, referralsOwedByPartner: 0 });
  const owes = await statement(winner);
  expect(owes.entries.map((e) => [e.kind, e.amountMinor, e.partnerId, e.counterpartyId])).toEqual([
    ['commission_referral', 50_000_00, referrer, winner],
  ]);
  expect(owes.balances).toMatchObject({ referralsOwedToPartner: 0, referralsOwedByPartner: 50_000_00 });

  // Netting settles a one-way pair too: the winner pays the referrer the whole amount.
  const period = thisPeriod();
  await t.env.client.workflow.execute(nettingWorkflow, {
    workflowId: `netting-one-way-${referrer}`,
    taskQueue: t.worker.taskQueue,
    args: [{ period }],
  });
  const [a, b] = [referrer, winner].sort() as [string, string];
  const id = `settlement:${a}:${b}:${period}:RUB`;
  const row = await t.db.settlement.findUniqueOrThrow({ where: { id } });
  expect(row.partnerA === winner ? Number(row.amountMinor) : -Number(row.amountMinor)).toBe(50_000_00); // the winner pays
  const settledFor = await statement(referrer);
  expect(settledFor.entries.map((e) => [e.status, e.settlementId])).toEqual([['settled', id]]);
  expect(settledFor.balances.referralsOwedToPartner).toBe(0);
  expect(settledFor.settlements).toEqual([{ id, period, counterpartyId: winner, amountMinor: 50_000_00 }]);
  const settledBy = await statement(winner);
  expect(settledBy.balances.referralsOwedByPartner).toBe(0);
  expect(settledBy.settlements).toEqual([{ id, period, counterpartyId: referrer, amountMinor: -50_000_00 }]);
  // Settled once: netting again settles nothing more.
  await t.env.client.workflow.execute(nettingWorkflow, {
    workflowId: `netting-one-way-again-${referrer}`,
    taskQueue: t.worker.taskQueue,
    args: [{ period }],
  });
  expect(await t.db.settlement.count({ where: { OR: [{ partnerA: referrer }, { partnerB: referrer }] } })).toBe(1);
});

test('pay per lead is due when the partner accepts the consented lead — once, in the agreement’s currency, paid or not', async () => {
  const topic = uid('per-lead');
  const partner = await seedPartner(t.db, { expertise: [topic], grade: 5 });
  await agreement(partner, { model: 'fixed_per_lead', fixedFeeMinor: 150_00, currency: 'EUR' });

  // Accepted, then lost: the client never pays, the fee is due all the same.
  const lost = await handedOff(partner, topic);
  await accept(lost.handle, partner);
  const fee = await t.db.ledgerEntry.findUniqueOrThrow({ where: { idempotencyKey: `lead_fee:${lost.leadId}:${partner}` } });
  expect([fee.partnerId, fee.kind, fee.status, Number(fee.amountMinor), fee.currency]).toEqual([
    partner,
    'commission_receivable',
    'pending',
    150_00,
    'EUR',
  ]);
  expect(await t.db.ledgerEntry.count({ where: { leadId: lost.leadId } })).toBe(1);
  await act(lost.handle, 'markLost', { reason: 'the client went quiet' }, `partner:${partner}`);
  expect(await t.db.ledgerEntry.count({ where: { leadId: lost.leadId } })).toBe(1);

  // Accepted, then won and paid: the payment books no second fee.
  const won = await handedOff(partner, topic);
  await accept(won.handle, partner);
  await winAndPay(won.handle, partner, 900_000_00);
  const entries = await t.db.ledgerEntry.findMany({ where: { leadId: won.leadId } });
  expect(entries.map((e) => [e.idempotencyKey, Number(e.amountMinor), e.currency])).toEqual([
    [`lead_fee:${won.leadId}:${partner}`, 150_00, 'EUR'],
  ]);

  // A run that already booked the fee on a payment under the old rule is not charged again.
  const old = await handedOff(partner, topic);
  await t.db.ledgerEntry.create({
    data: {
      idempotencyKey: `commission:${old.leadId}:${partner}:fixed`,
      partnerId: partner,
      leadId: old.leadId,
      kind: 'commission_receivable',
      status: 'pending',
      amountMinor: 150_00n,
      currency: 'RUB',
      memo: 'fixed_per_lead on payment p of 1',
    },
  });
  await accept(old.handle, partner);
  expect((await t.db.ledgerEntry.findMany({ where: { leadId: old.leadId } })).map((e) => e.idempotencyKey)).toEqual([
    `commission:${old.leadId}:${partner}:fixed`,
  ]);
});

test('pay per lead on a lead another partner referred: the receiver owes the referrer its fee from acceptance', async () => {
  const topic = uid('per-lead-ref');
  const referrer = await seedPartner(t.db, { expertise: [uid('none')] });
  const receiver = await seedPartner(t.db, { expertise: [topic], grade: 5 });
  await agreement(referrer, { model: 'fixed_per_lead', fixedFeeMinor: 20_000_00, currency: 'RUB' });
  const { leadId, handle } = await handedOff(receiver, topic, referrer);
  await accept(handle, receiver);
  expect((await statement(receiver)).balances.referralsOwedByPartner).toBe(20_000_00);
  expect(await historyTypes(handle)).toEqual(expect.arrayContaining(['contact_released', 'lead_fee_booked']));
  await winAndPay(handle, receiver, 300_000_00);
  const entries = await t.db.ledgerEntry.findMany({ where: { leadId } });
  expect(entries.map((e) => [e.idempotencyKey, e.kind, e.partnerId, e.counterpartyId, Number(e.amountMinor)])).toEqual([
    [`lead_fee:${leadId}:${referrer}`, 'commission_referral', referrer, receiver, 20_000_00],
  ]);
});

test('a partner with no agreement earns on the named default terms, and its entries and statement say so', async () => {
  const partner = await seedPartner(t.db, { expertise: [uid('x')] });
  const leadId = await wonLead(partner, [100_000_00]);
  const entry = await t.db.ledgerEntry.findFirstOrThrow({ where: { leadId } });
  expect([Number(entry.amountMinor), entry.memo]).toEqual([10_000_00, 'default terms: percent_of_paid on payment pay-1 of 10000000']);
  expect((await statement(partner)).terms).toMatchObject({
    source: 'default',
    label: 'default terms',
    model: 'percent_of_paid',
    percentBps: 1000,
  });
});
