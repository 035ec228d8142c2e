// A lead we work ourselves, from intake to a paid contract and the referring partner's commission.
// Production durations under time-skipping.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Db } from '../../activities/db';
import * as M from '../../workflows/messages';
import { leadWorkflow } from '../../workflows/lead';
import { seedLead, seedManager, seedPartner, testDb, uid } from '../helpers/db';
import { until, waitFor } from '../helpers/lead';
import { runWorker, timeSkippingEnv, type RunningWorker } from '../helpers/temporal';

let env: TestWorkflowEnvironment;
let db: Db;
let worker: RunningWorker;

beforeAll(async () => {
  env = await timeSkippingEnv();
  db = testDb();
  worker = await runWorker(env.nativeConnection, db);
  await seedManager(db);
});

afterAll(async () => {
  await worker?.stop();
  await env?.teardown();
  await db?.$disconnect();
});

test('a partner-referred lead is won by us; the referring partner earns 10% of what was paid, once per payment', async () => {
  const topic = uid('crm');
  const referrer = await seedPartner(db, { expertise: [topic] });
  const leadId = await seedLead(db, { sourceChannel: 'partner', partnerId: referrer, topic });
  const handle = await env.client.workflow.start(leadWorkflow, {
    workflowId: `lead-${leadId}`, taskQueue: worker.taskQueue,
    args: [{ leadId, kind: 'lead', sourceChannel: 'partner', partnerId: referrer, topic }],
  });
  const by = { actor: 'sales:anna' };

  let state = await until(handle, (s) => !!s.managerId);
  expect(state.stage).toBe('awaiting_first_contact');

  state = await handle.executeUpdate(M.recordContact, { args: [{ ...by, input: { outcome: 'reached' } }] });
  expect(state.stage).toBe('qualifying');
  expect(state.managerId).toBeDefined();
  state = await handle.executeUpdate(M.qualify, { args: [{ ...by, input: { target: true, route: 'ours', reason: 'fits our CRM practice', budgetMinor: 1_000_000_00, compare: 1 } }] });
  expect(state).toMatchObject({ stage: 'deal', dealStage: 'meeting', dealOwner: { kind: 'us' } });

  // Three weeks of silence at the meeting stage → a check-in task (timeout 14 days).
  await env.sleep('21 days');
  state = await handle.executeUpdate(M.advanceDeal, { args: [{ ...by, input: { to: 'proposal' } }] });
  await env.sleep('30 days');
  await handle.executeUpdate(M.advanceDeal, { args: [{ ...by, input: { to: 'negotiation' } }] });
  await env.sleep('30 days');
  state = await handle.executeUpdate(M.advanceDeal, { args: [{ ...by, input: { to: 'contract', valueMinor: 1_000_000_00, currency: 'RUB' } }] });
  expect(state.deal.signedAt).toBeDefined();

  // Pro rata: 40% now, the rest a month later; the first payment recorded twice counts once.
  await handle.executeUpdate(M.recordPayment, { args: [{ ...by, input: { paymentId: 'pay-1', amountMinor: 400_000_00, currency: 'RUB' } }] });
  state = await handle.executeUpdate(M.recordPayment, { args: [{ ...by, input: { paymentId: 'pay-1', amountMinor: 400_000_00, currency: 'RUB' } }] });
  expect(state.deal.paidMinor).toBe(400_000_00);
  await env.sleep('30 days');
  await handle.executeUpdate(M.recordPayment, { args: [{ ...by, input: { paymentId: 'pay-2', amountMinor: 600_000_00, currency: 'RUB' } }] });

  const outcome = await handle.result();
  expect(outcome).toEqual({ stage: 'won', closedReason: undefined, paidMinor: 1_000_000_00 });

  const history = await handle.query(M.getHistory);
  const types = history.map((t) => t.type);
  expect(types).toEqual(expect.arrayContaining(['received', 'assigned', 'contacted', 'qualified', 'deal_checkin', 'contract_signed', 'payment_recorded', 'paid_in_full']));
  expect(types.filter((t) => t === 'commission_started')).toHaveLength(2);

  // The ledger: one pending payable entry per payment, 10% each (the default agreement).
  await waitFor(async () => (await db.ledgerEntry.count({ where: { leadId } })) === 2);
  const entries = await db.ledgerEntry.findMany({ where: { leadId }, orderBy: { amountMinor: 'asc' } });
  expect(entries.map((e) => [e.partnerId, e.kind, Number(e.amountMinor)])).toEqual([
    [referrer, 'commission_payable', 40_000_00],
    [referrer, 'commission_payable', 60_000_00],
  ]);

  // The audit trail and read model in PostgreSQL followed the workflow.
  const row = await db.lead.findUniqueOrThrow({ where: { id: leadId } });
  expect(row.stage).toBe('won');
  expect(Number(row.dealValueMinor)).toBe(1_000_000_00);
  const events = await db.leadEvent.findMany({ where: { leadId }, orderBy: { seq: 'asc' } });
  expect(events.map((e) => e.seq)).toEqual(history.map((t) => t.seq));
});
