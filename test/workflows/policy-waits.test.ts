// Every wait of a running lead follows the policy in force, not only the SLA ladder: ops change the
// consent window, a partner's acceptance window, a deal stage's silence or the re-engagement interval
// while leads wait on them, and each lead re-arms its timer once, records the move with the version
// it came from, and fires at the new deadline — never the old one. Time-skipping, production durations.
import type { WorkflowHandle } from '@temporalio/client';
import { consentDue, dealCheckInDue, partnerAnswerDue, reengagementDue } from '../../domain/deadlines';
import type { TransitionType } from '../../domain/vocabulary';
import { policyInForce } from '../../platform/policies';
import * as M from '../../workflows/messages';
import { seedManager, seedPartner, uid } from '../helpers/db';
import { act, historyTypes, idle, skipUntil, until, waitFor, type LeadHandle } from '../helpers/lead';
import { rollOut, startOnPolicy, timers } from '../helpers/policy';
import { timeSkippingStack } from '../helpers/temporal';

const t = timeSkippingStack({ isolated: true, seed: (db) => seedManager(db) });

const HOUR = 3_600_000;
const sales = 'sales:boris';
const consent = {
  given: true,
  askedBy: 'sales:boris',
  channel: 'phone' as const,
  wording: 'May we pass your contacts to a partner? They will call you.',
};

/** When the lead's transition `type` happened (the last one). */
async function when(handle: LeadHandle, type: string): Promise<number> {
  const t = (await handle.query(M.getHistory)).filter((x) => x.type === type).at(-1);
  if (!t) throw new Error(`no ${type} in the lead's history`);
  return Date.parse(t.at);
}

/** Rolls `patch` out while the lead waits, and checks the wait was re-armed exactly once, from that version. */
async function moveWhileWaiting(handle: LeadHandle, patch: Record<string, unknown>, what: string): Promise<string> {
  await idle(handle);
  const armed = await timers(handle);
  const v = await rollOut(t, undefined, patch, `ops: ${what}`);
  const version = `default v${v.version}`;
  await waitFor(async () => (await handle.query(M.getHistory)).some((x) => x.type === 'deadline_moved' && x.reason?.includes(what)));
  await idle(handle);
  const moved = (await handle.query(M.getHistory)).filter((x) => x.type === 'deadline_moved');
  expect(moved).toHaveLength(1);
  expect(moved[0]!.reason).toContain(`(policy ${version})`);
  const after = await timers(handle);
  expect({ started: after.started - armed.started, canceled: after.canceled - armed.canceled }).toEqual({ started: 1, canceled: 1 });
  return version;
}

/** Nothing by `late`, the event right after `due`. */
async function firesAtNewDeadline(handle: WorkflowHandle, type: TransitionType, old: number, due: number): Promise<void> {
  const lead = handle as LeadHandle;
  if (old < due) {
    await skipUntil(t.env, handle, old + HOUR);
    expect(await historyTypes(lead)).not.toContain(type);
  }
  await skipUntil(t.env, handle, due - HOUR);
  expect(await historyTypes(lead)).not.toContain(type);
  await skipUntil(t.env, handle, due + HOUR);
  await waitFor(async () => (await historyTypes(lead)).includes(type));
  const at = await when(lead, type);
  expect(at).toBeGreaterThanOrEqual(due - 60_000);
  expect(at).toBeLessThan(due + HOUR);
}

test('the consent window lengthened while the client thinks: no timeout at the old deadline, at the new one', async () => {
  const { handle } = await startOnPolicy(t, { topic: uid('mobile') });
  await act(handle, 'recordContact', { outcome: 'reached' }, sales);
  await act(handle, 'qualify', { target: true, route: 'partner', reason: 'not our expertise', compare: 1 }, sales);
  const from = await when(handle, 'qualified');
  const before = (await policyInForce(t.db, null)).policy;
  const days = before.consentWindowBusinessDays + 2;
  const version = await moveWhileWaiting(handle, { consentWindowBusinessDays: days }, "client's consent answer");
  const after = (await policyInForce(t.db, null)).policy;
  await firesAtNewDeadline(handle, 'consent_timeout', consentDue(before, from), consentDue(after, from));
  const s = await until(handle, (x) => x.stage === 'reengagement');
  expect((await handle.query(M.getHistory)).find((x) => x.type === 'consent_timeout')!.reason).toContain(`(policy ${version})`);
  expect(s.stage).toBe('reengagement');
}, 180_000);

test("a partner's acceptance window lengthened while it decides: the offer expires at the new deadline", async () => {
  const topic = uid('erp');
  const partner = await seedPartner(t.db, { expertise: [topic], grade: 5 });
  const { handle } = await startOnPolicy(t, { topic });
  await act(handle, 'recordContact', { outcome: 'reached' }, sales);
  await act(handle, 'qualify', { target: true, route: 'partner', reason: 'ERP: a partner does it', compare: 1 }, sales);
  await act(handle, 'recordConsent', consent, sales);
  await until(handle, (x) => x.offers.some((o) => o.partnerId === partner && o.status === 'pending'));
  const from = await when(handle, 'offered');
  const before = (await policyInForce(t.db, null)).policy;
  await moveWhileWaiting(
    handle,
    { partnerAcceptanceBusinessDays: before.partnerAcceptanceBusinessDays + 2 },
    'partner answer to the offer',
  );
  const after = (await policyInForce(t.db, null)).policy;
  await firesAtNewDeadline(handle, 'offer_expired', partnerAnswerDue(before, from), partnerAnswerDue(after, from));
}, 180_000);

test("a deal stage's silence shortened: the check-in comes at the new deadline, a week early", async () => {
  const { handle } = await startOnPolicy(t);
  await act(handle, 'recordContact', { outcome: 'reached' }, sales);
  const s = await act(handle, 'qualify', { target: true, route: 'ours', reason: 'CRM roll-out: ours', compare: 1 }, sales);
  expect(s.stage).toBe('deal');
  const from = await when(handle, 'qualified');
  const before = (await policyInForce(t.db, null)).policy;
  const version = await moveWhileWaiting(handle, { dealStageTimeouts: { meeting: '7 days' } }, 'deal check-in: meeting');
  const after = (await policyInForce(t.db, null)).policy;
  expect(dealCheckInDue(after, 'meeting', from)).toBeLessThan(dealCheckInDue(before, 'meeting', from));
  await firesAtNewDeadline(handle, 'deal_checkin', dealCheckInDue(before, 'meeting', from), dealCheckInDue(after, 'meeting', from));
  expect((await handle.query(M.getHistory)).find((x) => x.type === 'deal_checkin')!.reason).toBe(
    `meeting silent for 7 days (policy ${version})`,
  );
}, 180_000);

test('the re-engagement interval shortened for refused leads: the next touch comes at the new interval', async () => {
  const { handle } = await startOnPolicy(t);
  await act(handle, 'recordContact', { outcome: 'refused', note: 'not now, maybe in spring' }, sales);
  await until(handle, (x) => x.stage === 'reengagement');
  const from = await when(handle, 'refused');
  const before = (await policyInForce(t.db, null)).policy;
  await moveWhileWaiting(handle, { reengagement: { interval: '60 days' } }, 're-engagement in');
  const after = (await policyInForce(t.db, null)).policy;
  await firesAtNewDeadline(handle, 'reengagement_touch', reengagementDue(before, 'touch', from), reengagementDue(after, 'touch', from));
}, 180_000);
