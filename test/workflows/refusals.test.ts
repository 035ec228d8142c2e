// Staff actions that do not fit the lead's stage are refused by the Update validators with a
// precise reason, and change nothing; repeat inquiries and partner webhooks arrive as signals.
import * as M from '../../workflows/messages';
import { seedManager, uid } from '../helpers/db';
import { as, historyTypes, refusal, startLead, until, type LeadHandle } from '../helpers/lead';
import { timeSkippingStack } from '../helpers/temporal';

const t = timeSkippingStack({ seed: (db) => seedManager(db) });

const by = as('sales:gleb');

async function dealLead(): Promise<LeadHandle> {
  const { handle } = await startLead(t.env, t.db, t.worker.taskQueue, { topic: uid('crm') });
  await handle.executeUpdate(M.recordContact, { args: [{ ...by, input: { outcome: 'reached' } }] });
  await handle.executeUpdate(M.qualify, { args: [{ ...by, input: { target: true, route: 'ours', reason: 'fits', compare: 1 } }] });
  return handle;
}

test('deal moves are refused out of order, with the reason, and leave the state untouched', async () => {
  const handle = await dealLead();
  const before = await handle.query(M.getState);

  expect(await refusal(handle.executeUpdate(M.recordPayment, { args: [{ ...by, input: { paymentId: 'p', amountMinor: 1, currency: 'RUB' } }] })))
    .toBe('a payment is recorded only after the contract is signed');
  expect(await refusal(handle.executeUpdate(M.advanceDeal, { args: [{ ...by, input: { to: 'contract' } }] })))
    .toBe('signing the contract needs its value (valueMinor)');
  await handle.executeUpdate(M.advanceDeal, { args: [{ ...by, input: { to: 'negotiation' } }] });
  expect(await refusal(handle.executeUpdate(M.advanceDeal, { args: [{ ...by, input: { to: 'proposal' } }] })))
    .toBe('the deal is already at negotiation; it only moves forward (contract → payment)');
  expect(await refusal(handle.executeUpdate(M.recordConsent, { args: [{ ...by, input: { given: true, askedBy: 'x', channel: 'phone', wording: 'w' } }] })))
    .toBe('recordConsent is not possible while the lead is deal; it needs awaiting_consent');
  expect(await refusal(handle.executeUpdate(M.partnerRespond, { args: [{ ...by, input: { partnerId: 'ptn-nobody', accepted: true } }] })))
    .toBe('the lead was not offered to partner ptn-nobody');

  await handle.executeUpdate(M.advanceDeal, { args: [{ ...by, input: { to: 'contract', valueMinor: 100_00, currency: 'EUR' } }] });
  expect(await refusal(handle.executeUpdate(M.recordPayment, { args: [{ ...by, input: { paymentId: 'p', amountMinor: 100_00, currency: 'RUB' } }] })))
    .toBe('the contract is in EUR, the payment in RUB');
  expect(await refusal(handle.executeUpdate(M.recordPayment, { args: [{ ...by, input: { paymentId: 'p', amountMinor: 100_01, currency: 'EUR' } }] })))
    .toBe('the payment exceeds the outstanding amount (10000 minor units)');

  const after = await handle.query(M.getState);
  expect(after.deal.paidMinor).toBe(0);
  expect(after.seq).toBe(before.seq + 2); // only the two accepted moves
});

test('malformed input and a missing actor are refused as invalid, not as a stage conflict', async () => {
  const handle = await dealLead();
  expect(await refusal(handle.executeUpdate(M.recordPayment, { args: [{ ...by, input: { paymentId: '', amountMinor: -5, currency: 'rub' } as never }] })))
    .toMatch(/^paymentId: .*; amountMinor: .*; currency: /);
  expect(await refusal(handle.executeUpdate(M.markLost, { args: [{ actor: '', input: { reason: 'x' } }] }))).toBe('actor is required');
});

test('a closed lead refuses every action', async () => {
  const handle = await dealLead();
  await handle.executeUpdate(M.optOut, { args: [{ ...by, input: {} }] });
  await handle.result();
  await expect(handle.executeUpdate(M.markLost, { args: [{ ...by, input: { reason: 'x' } }] })).rejects.toThrow();
});

test('a partner webhook that does not fit is recorded and ignored, never applied', async () => {
  const handle = await dealLead();
  await handle.signal(M.partnerWebhook, { partnerId: 'ptn-stranger', accepted: true });
  await until(handle, (s) => s.seq > 0);
  const deadline = Date.now() + 10_000;
  while (!(await historyTypes(handle)).includes('partner_event_ignored')) {
    if (Date.now() > deadline) throw new Error('webhook not recorded');
    await new Promise((r) => setTimeout(r, 50));
  }
  const s = await handle.query(M.getState);
  expect(s.dealOwner).toEqual({ kind: 'us' });
});

test('the same Update id is applied once (idempotent staff actions)', async () => {
  const handle = await dealLead();
  const move = { args: [{ ...by, input: { to: 'proposal' as const } }] as [M.Command<{ to: 'proposal' }>], updateId: 'req-123' };
  const a = await handle.executeUpdate(M.advanceDeal, move);
  const b = await handle.executeUpdate(M.advanceDeal, move);
  expect(b.seq).toBe(a.seq);
  expect((await historyTypes(handle)).filter((t) => t === 'deal_proposal')).toHaveLength(1);
});
