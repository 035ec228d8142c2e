// A lead we work ourselves, from intake to a paid contract and the referring partner's commission.
// Production durations under time-skipping.
import * as M from '../../workflows/messages';
import { leadWorkflow } from '../../workflows/lead';
import { seedLead, seedManager, seedPartner, uid } from '../helpers/db';
import { act, skip, until, waitFor } from '../helpers/lead';
import { timeSkippingStack } from '../helpers/temporal';

const t = timeSkippingStack({ seed: (db) => seedManager(db) });

test('a partner-referred lead is won by us; the referring partner earns 10% of what was paid, once per payment', async () => {
  const topic = uid('crm');
  const referrer = await seedPartner(t.db, { expertise: [topic] });
  const leadId = await seedLead(t.db, { sourceChannel: 'partner', partnerId: referrer, topic });
  const handle = await t.env.client.workflow.start(leadWorkflow, {
    workflowId: `lead-${leadId}`,
    taskQueue: t.worker.taskQueue,
    args: [{ leadId, kind: 'lead', sourceChannel: 'partner', partnerId: referrer, topic }],
  });
  const by = { actor: 'sales:anna' };

  let state = await until(handle, (s) => !!s.managerId);
  expect(state.stage).toBe('awaiting_first_contact');

  state = await act(handle, 'recordContact', { outcome: 'reached' }, by);
  expect(state.stage).toBe('qualifying');
  expect(state.managerId).toBeDefined();
  state = await act(
    handle,
    'qualify',
    { target: true, route: 'ours', reason: 'fits our CRM practice', budgetMinor: 1_000_000_00, compare: 1 },
    by,
  );
  expect(state).toMatchObject({ stage: 'deal', dealStage: 'meeting', dealOwner: { kind: 'us' } });

  // Three weeks of silence at the meeting stage → a check-in task (timeout 14 days).
  await skip(t.env, handle, '21 days');
  state = await act(handle, 'advanceDeal', { to: 'proposal' }, by);
  await skip(t.env, handle, '30 days');
  await act(handle, 'advanceDeal', { to: 'negotiation' }, by);
  await skip(t.env, handle, '30 days');
  state = await act(handle, 'advanceDeal', { to: 'contract', valueMinor: 1_000_000_00, currency: 'RUB' }, by);
  expect(state.deal.signedAt).toBeDefined();

  // Pro rata: 40% now, the rest a month later; the first payment recorded twice counts once.
  await act(handle, 'recordPayment', { paymentId: 'pay-1', amountMinor: 400_000_00, currency: 'RUB' }, by);
  state = await act(handle, 'recordPayment', { paymentId: 'pay-1', amountMinor: 400_000_00, currency: 'RUB' }, by);
  expect(state.deal.paidMinor).toBe(400_000_00);
  await skip(t.env, handle, '30 days');
  await act(handle, 'recordPayment', { paymentId: 'pay-2', amountMinor: 600_000_00, currency: 'RUB' }, by);

  const outcome = await handle.result();
  expect(outcome).toEqual({ stage: 'won', closedReason: undefined, paidMinor: 1_000_000_00 });

  const history = await handle.query(M.getHistory);
  const types = history.map((t) => t.type);
  expect(types).toEqual(
    expect.arrayContaining([
      'received',
      'assigned',
      'contacted',
      'qualified',
      'deal_checkin',
      'contract_signed',
      'payment_recorded',
      'paid_in_full',
    ]),
  );
  expect(types.filter((t) => t === 'commission_started')).toHaveLength(2);

  // The ledger: one pending payable entry per payment, 10% each (the default agreement).
  await waitFor(async () => (await t.db.ledgerEntry.count({ where: { leadId } })) === 2);
  const entries = await t.db.ledgerEntry.findMany({ where: { leadId }, orderBy: { amountMinor: 'asc' } });
  expect(entries.map((e) => [e.partnerId, e.kind, Number(e.amountMinor)])).toEqual([
    [referrer, 'commission_payable', 40_000_00],
    [referrer, 'commission_payable', 60_000_00],
  ]);

  // The audit trail and read model in PostgreSQL followed the workflow.
  const row = await t.db.lead.findUniqueOrThrow({ where: { id: leadId } });
  expect(row.stage).toBe('won');
  expect(Number(row.dealValueMinor)).toBe(1_000_000_00);
  const events = await t.db.leadEvent.findMany({ where: { leadId }, orderBy: { seq: 'asc' } });
  expect(events.map((e) => e.seq)).toEqual(history.map((t) => t.seq));
});
