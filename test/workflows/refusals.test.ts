// Staff actions that do not fit the lead's stage are refused by the Update validators with a
// precise reason, and change nothing; repeat inquiries and partner webhooks arrive as signals.
import * as M from '../../workflows/messages';
import { seedManager, uid } from '../helpers/db';
import { act, as, historyTypes, refusal, startLead, until, type LeadHandle } from '../helpers/lead';
import { timeSkippingStack } from '../helpers/temporal';

const t = timeSkippingStack({ seed: (db) => seedManager(db) });

const by = as('sales:gleb');

async function dealLead(): Promise<LeadHandle> {
  const { handle } = await startLead(t.env, t.db, t.worker.taskQueue, { topic: uid('crm') });
  await act(handle, 'recordContact', { outcome: 'reached' }, by);
  await act(handle, 'qualify', { target: true, route: 'ours', reason: 'fits', compare: 1 }, by);
  return handle;
}

test('deal moves are refused out of order, with the reason, and leave the state untouched', async () => {
  const handle = await dealLead();
  const before = await handle.query(M.getState);

  expect(await refusal(act(handle, 'recordPayment', { paymentId: 'p', amountMinor: 1, currency: 'RUB' }, by))).toBe(
    'a payment is recorded only after the contract is signed',
  );
  expect(await refusal(act(handle, 'advanceDeal', { to: 'contract' }, by))).toBe('signing the contract needs its value (valueMinor)');
  await act(handle, 'advanceDeal', { to: 'negotiation' }, by);
  expect(await refusal(act(handle, 'advanceDeal', { to: 'proposal' }, by))).toBe(
    'the deal is already at negotiation; it only moves forward (contract → payment)',
  );
  expect(await refusal(act(handle, 'recordConsent', { given: true, askedBy: 'x', channel: 'phone', wording: 'w' }, by))).toBe(
    'recordConsent is not possible while the lead is deal; it needs awaiting_consent',
  );
  expect(await refusal(act(handle, 'partnerRespond', { partnerId: 'ptn-nobody', accepted: true }, by))).toBe(
    'the lead was not offered to partner ptn-nobody',
  );

  await act(handle, 'advanceDeal', { to: 'contract', valueMinor: 100_00, currency: 'EUR' }, by);
  expect(await refusal(act(handle, 'recordPayment', { paymentId: 'p', amountMinor: 100_00, currency: 'RUB' }, by))).toBe(
    'the contract is in EUR, the payment in RUB',
  );
  expect(await refusal(act(handle, 'recordPayment', { paymentId: 'p', amountMinor: 100_01, currency: 'EUR' }, by))).toBe(
    'the payment exceeds the outstanding amount (10000 minor units)',
  );

  const after = await handle.query(M.getState);
  expect(after.deal.paidMinor).toBe(0);
  expect(after.seq).toBe(before.seq + 2); // only the two accepted moves
});

test('malformed input and a missing actor are refused as invalid, not as a stage conflict', async () => {
  const handle = await dealLead();
  expect(await refusal(act(handle, 'recordPayment', { paymentId: '', amountMinor: -5, currency: 'rub' } as never, by))).toMatch(
    /^paymentId: .*; amountMinor: .*; currency: /,
  );
  expect(await refusal(act(handle, 'markLost', { reason: 'x' }, ''))).toBe('actor is required');
});

test('a closed lead refuses every action', async () => {
  const handle = await dealLead();
  await act(handle, 'optOut', {}, by);
  await handle.result();
  await expect(act(handle, 'markLost', { reason: 'x' }, by)).rejects.toThrow();
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
  const a = await act(handle, 'advanceDeal', { to: 'proposal' }, by, { updateId: 'req-123' });
  const b = await act(handle, 'advanceDeal', { to: 'proposal' }, by, { updateId: 'req-123' });
  expect(b.seq).toBe(a.seq);
  expect((await historyTypes(handle)).filter((t) => t === 'deal_proposal')).toHaveLength(1);
});
