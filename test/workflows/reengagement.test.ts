// Refusals are never dropped: a touch every 75 days (2–3 months), a 14-day reply window, a new
// run (continue-as-new) per cycle, until the client returns, opts out or attempts run out.
import type { temporal } from '@temporalio/proto';
import { seedManager, seedPartner, uid } from '../helpers/db';
import { act, as, historyTypes, skip, startLead, until, waitFor, type LeadHandle } from '../helpers/lead';
import { timeSkippingStack } from '../helpers/temporal';

const t = timeSkippingStack({ seed: (db) => seedManager(db) });

const sales = as('sales:vera');

async function lostLead(
  opts: { partnerId?: string; maxAttempts?: number } = {},
): Promise<{ leadId: string; handle: LeadHandle; firstRunId: string }> {
  const lead = await startLead(t.env, t.db, t.worker.taskQueue, {
    partnerId: opts.partnerId,
    topic: uid('crm'),
    policy: opts.maxAttempts
      ? { reengagement: { interval: '75 days', replyWindow: '14 days', maxAttempts: opts.maxAttempts, partnerCreditWindow: '180 days' } }
      : undefined,
  });
  await act(lead.handle, 'recordContact', { outcome: 'reached' }, sales);
  await act(lead.handle, 'qualify', { target: true, route: 'ours', reason: 'fits', compare: 1 }, sales);
  const s = await act(lead.handle, 'markLost', { reason: 'budget frozen until next year' }, sales);
  expect(s).toMatchObject({ stage: 'reengagement', refusalReason: 'budget frozen until next year' });
  const firstRunId = (await lead.handle.describe()).runId;
  return { ...lead, firstRunId };
}

test('lost, re-engaged twice, comes back within the credit window and is won; the referrer keeps its commission', async () => {
  const referrer = await seedPartner(t.db, { expertise: [uid('x')] });
  const { leadId, handle, firstRunId } = await lostLead({ partnerId: referrer });

  await skip(t.env, handle, '75 days');
  await until(handle, (s) => s.reengagement.attempt === 1);
  await skip(t.env, handle, '14 days'); // no reply → the next cycle runs as a new run
  await waitFor(async () => (await handle.describe()).runId !== firstRunId);
  await until(handle, (s) => s.stage === 'reengagement'); // the new run has started its timer
  await skip(t.env, handle, '75 days');
  const touched = await until(handle, (s) => s.reengagement.attempt === 2);
  expect(touched.stage).toBe('reengagement');
  // The touch's task is written by an activity just after the transition.
  await waitFor(async () => (await t.db.task.count({ where: { leadId, kind: 'reengagement' } })) === 2);

  // 164 days after the loss the client answers: back to qualification, partner credit intact.
  let s = await act(handle, 'reengagementOutcome', { outcome: 'returned', note: 'budget approved' }, sales);
  expect(s).toMatchObject({ stage: 'qualifying', creditPartnerId: referrer });
  await act(handle, 'qualify', { target: true, route: 'ours', reason: 'back with budget', compare: 1 }, sales);
  await act(handle, 'advanceDeal', { to: 'contract', valueMinor: 250_000_00, currency: 'RUB' }, sales);
  s = await act(handle, 'recordPayment', { paymentId: 'p-1', amountMinor: 250_000_00, currency: 'RUB' }, sales);
  expect(s.stage).toBe('won');
  expect(await handle.result()).toMatchObject({ stage: 'won', paidMinor: 250_000_00 });
  await waitFor(async () => (await t.db.ledgerEntry.count({ where: { leadId, partnerId: referrer } })) === 1);

  // The whole story is in the audit trail, across runs, in order.
  const events = await t.db.leadEvent.findMany({ where: { leadId }, orderBy: { seq: 'asc' } });
  const types = events.map((e) => e.type);
  expect(types.filter((t) => t === 'reengagement_touch')).toHaveLength(2);
  expect(types).toEqual(expect.arrayContaining(['lost', 'no_reply', 'returned', 'paid_in_full', 'commission_started']));
  expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
});

test('a client returning after the 180-day credit window comes back without the partner credit', async () => {
  const referrer = await seedPartner(t.db, { expertise: [uid('x')] });
  const { handle, firstRunId } = await lostLead({ partnerId: referrer });
  let runId = firstRunId;
  for (let cycle = 1; cycle <= 3; cycle++) {
    await skip(t.env, handle, '75 days');
    await until(handle, (s) => s.reengagement.attempt === cycle);
    if (cycle < 3) {
      await skip(t.env, handle, '14 days');
      // The next cycle's timer starts with the new run: wait for it before skipping more time.
      const previous = runId;
      await waitFor(async () => (runId = (await handle.describe()).runId) !== previous);
      await until(handle, (s) => s.stage === 'reengagement');
    }
  }
  const s = await act(handle, 'reengagementOutcome', { outcome: 'returned' }, sales);
  expect(s.stage).toBe('qualifying');
  expect(s.creditPartnerId).toBeUndefined();
});

test('opt-out ends re-engagement at once', async () => {
  const { handle } = await lostLead();
  await skip(t.env, handle, '75 days');
  await until(handle, (s) => s.reengagement.attempt === 1);
  const s = await act(handle, 'optOut', { reason: 'asked not to be contacted (41-FZ)' }, sales);
  expect(s).toMatchObject({ stage: 'closed', closedReason: 'opted_out' });
  expect(await handle.result()).toMatchObject({ stage: 'closed', closedReason: 'opted_out' });
});

// 25 workflow runs and their activities: the slowest test, given room on a loaded 2-core machine.
test('five years of re-engagement: 24 touches, a run per cycle, each run a few dozen events', async () => {
  const { handle, firstRunId } = await lostLead({ maxAttempts: 24 });
  const outcome = await handle.result(); // time-skipping runs the whole 24 × (75 + 14) days ≈ 5.9 years
  expect(outcome).toMatchObject({ stage: 'closed', closedReason: 'attempts_exhausted' });
  expect(await historyTypes(handle)).toContain('closed');

  // Follow the chain of runs and measure each one's history.
  const sizes: number[] = [];
  let runId: string | undefined = firstRunId;
  while (runId) {
    const history: temporal.api.history.v1.IHistory = await t.env.client.workflow.getHandle(handle.workflowId, runId).fetchHistory();
    const events: temporal.api.history.v1.IHistoryEvent[] = history.events ?? [];
    sizes.push(events.length);
    const last: temporal.api.history.v1.IHistoryEvent | undefined = events[events.length - 1];
    runId = last?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ?? undefined;
  }
  expect(sizes).toHaveLength(25); // the lost run + one per touch that got no reply (the 24th closes)
  expect(Math.max(...sizes)).toBeLessThan(200);
}, 240_000);

test('a year in re-engagement leaves one open task: each touch supersedes the last, the recorded call did the first', async () => {
  const { leadId, handle } = await lostLead();
  let runId = (await handle.describe()).runId;
  for (let touch = 1; touch <= 4; touch++) {
    // 4 × (75 + 14) days = 356 days after the loss
    await skip(t.env, handle, '75 days');
    await until(handle, (s) => s.reengagement.attempt === touch);
    await waitFor(async () => (await t.db.task.count({ where: { leadId, kind: 'reengagement' } })) === touch);
    await skip(t.env, handle, '14 days');
    const previous = runId;
    await waitFor(async () => (runId = (await handle.describe()).runId) !== previous);
    await until(handle, (s) => s.stage === 'reengagement');
  }
  const open = await t.db.task.findMany({ where: { leadId, doneAt: null } });
  // Before: the first-contact task and all four touches stayed open until the lead ended.
  expect(open.map((x) => [x.kind, x.title])).toEqual([['reengagement', expect.stringContaining('(attempt 4)')]]);
  const done = await t.db.task.findMany({ where: { leadId, doneAt: { not: null } }, orderBy: { key: 'asc' } });
  expect(done.map((x) => [x.kind, x.outcome]).sort()).toEqual([
    ['first_contact', 'contacted'],
    ['reengagement', 'superseded'],
    ['reengagement', 'superseded'],
    ['reengagement', 'superseded'],
  ]);

  // The client answers the last touch: its task is done by that answer.
  await act(handle, 'reengagementOutcome', { outcome: 'returned', note: 'ready now' }, sales);
  await waitFor(async () => (await t.db.task.count({ where: { leadId, doneAt: null } })) === 0);
  const answered = await t.db.task.findFirst({ where: { leadId, kind: 'reengagement', outcome: 'returned' } });
  expect(answered).toMatchObject({ completedBy: 'sales:vera' });
}, 120_000);
