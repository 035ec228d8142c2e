// Hand-off to a partner: only with the client's recorded consent, one partner at a time, the
// contact released only after acceptance. Production windows (3-day consent, 2 business days
// to accept) under time-skipping.
import { addBusinessTime, businessDayMs } from '../../domain/calendar';
import { defaultPolicy } from '../../domain/policy';
import * as M from '../../workflows/messages';
import { seedManager, seedPartner, uid } from '../helpers/db';
import { act, as, historyTypes, refusal, skip, startLead, until, waitFor, type LeadHandle } from '../helpers/lead';
import { timeSkippingStack } from '../helpers/temporal';

const t = timeSkippingStack({ seed: (db) => seedManager(db) });

const sales = as('sales:boris');
const consent = {
  given: true,
  askedBy: 'sales:boris',
  channel: 'phone' as const,
  wording: 'Do you mind if I pass your contacts to a colleague? They will call you; the consultation is free.',
};

/** A lead qualified as a partner's, waiting for the client's consent. */
async function partnerLead(topic: string): Promise<{ leadId: string; handle: LeadHandle }> {
  const lead = await startLead(t.env, t.db, t.worker.taskQueue, { topic });
  await act(lead.handle, 'recordContact', { outcome: 'reached' }, sales);
  const s = await act(
    lead.handle,
    'qualify',
    { target: true, route: 'partner', reason: 'mobile app: not our expertise', budgetMinor: 600_000_00, compare: 1 },
    sales,
  );
  expect(s.stage).toBe('awaiting_consent');
  return lead;
}

const offerOf = (leadId: string, partnerId: string) => t.db.partnerOffer.findUnique({ where: { leadId_partnerId: { leadId, partnerId } } });

test('with consent, the best-graded partner gets the lead, wins it and owes us commission on what was paid', async () => {
  const topic = uid('mobile');
  const best = await seedPartner(t.db, { expertise: [topic], grade: 5 });
  const other = await seedPartner(t.db, { expertise: [topic], grade: 3 });
  const { leadId, handle } = await partnerLead(topic);

  let s = await act(handle, 'recordConsent', consent, sales);
  expect(s.stage).toBe('partner_offer');
  s = await until(handle, (x) => x.offers.length > 0);
  expect(s.offers.map((o) => o.partnerId)).toEqual([best]); // one partner, not a broadcast
  await waitFor(async () => !!(await offerOf(leadId, best))); // the offer is recorded just after it is made
  expect((await offerOf(leadId, best))!.releasedAt).toBeNull(); // no contact before acceptance

  s = await act(handle, 'partnerRespond', { partnerId: best, accepted: true }, `partner:${best}`);
  expect(s).toMatchObject({ stage: 'deal', dealOwner: { kind: 'partner', partnerId: best } });
  expect((await offerOf(leadId, best))?.releasedAt).toBeInstanceOf(Date);
  expect(await offerOf(leadId, other)).toBeNull();
  const stored = await t.db.consent.findFirstOrThrow({ where: { leadId } });
  expect(stored).toMatchObject({ given: true, askedBy: 'sales:boris', channel: 'phone', wording: consent.wording });

  await act(handle, 'advanceDeal', { to: 'contract', valueMinor: 600_000_00, currency: 'RUB' }, `partner:${best}`);
  await act(handle, 'recordPayment', { paymentId: 'inv-1', amountMinor: 600_000_00, currency: 'RUB' }, `partner:${best}`);
  expect(await handle.result()).toMatchObject({ stage: 'won', paidMinor: 600_000_00 });
  await waitFor(async () => (await t.db.ledgerEntry.count({ where: { leadId } })) === 1);
  const entry = await t.db.ledgerEntry.findFirstOrThrow({ where: { leadId } });
  expect([entry.partnerId, entry.kind, Number(entry.amountMinor)]).toEqual([best, 'commission_receivable', 60_000_00]);
});

test('no consent, no hand-off: a refusal goes to re-engagement and nothing is offered', async () => {
  const topic = uid('web');
  await seedPartner(t.db, { expertise: [topic] });
  const { leadId, handle } = await partnerLead(topic);
  const s = await act(handle, 'recordConsent', { ...consent, given: false }, sales);
  expect(s.stage).toBe('reengagement');
  expect(s.offers).toEqual([]);
  expect(await t.db.partnerOffer.count({ where: { leadId } })).toBe(0);
});

test('silence through the consent window (3 business days) counts as no', async () => {
  const topic = uid('seo');
  await seedPartner(t.db, { expertise: [topic] });
  const { leadId, handle } = await partnerLead(topic);
  const asked = await t.env.currentTimeMs();
  const cal = defaultPolicy().calendar;
  const closes = addBusinessTime(cal, asked, 3 * businessDayMs(cal));
  await skip(t.env, handle, closes - asked - 60_000);
  expect((await handle.query(M.getState)).stage).toBe('awaiting_consent');
  await skip(t.env, handle, 120_000);
  const s = await until(handle, (x) => x.stage !== 'awaiting_consent');
  expect(s.stage).toBe('reengagement');
  expect(await historyTypes(handle)).toContain('consent_timeout');
  expect(await t.db.partnerOffer.count({ where: { leadId } })).toBe(0);
});

test('a partner that declines is never asked again; the next one accepts', async () => {
  const topic = uid('erp');
  const first = await seedPartner(t.db, { expertise: [topic], grade: 5 });
  const second = await seedPartner(t.db, { expertise: [topic], grade: 4 });
  const { leadId, handle } = await partnerLead(topic);
  await act(handle, 'recordConsent', consent, sales);
  await until(handle, (x) => x.offers.length === 1);

  await act(handle, 'partnerRespond', { partnerId: first, accepted: false, reason: 'no capacity this quarter' }, `partner:${first}`);
  const s = await until(handle, (x) => x.offers.length === 2);
  expect(s.offers.map((o) => [o.partnerId, o.status])).toEqual([
    [first, 'declined'],
    [second, 'pending'],
  ]);

  // The partner that declined cannot change its mind through the back door.
  expect(await refusal(act(handle, 'partnerRespond', { partnerId: first, accepted: true }, `partner:${first}`))).toBe(
    `the offer to partner ${first} is already declined`,
  );

  await act(handle, 'partnerRespond', { partnerId: second, accepted: true }, `partner:${second}`);
  expect((await offerOf(leadId, second))?.releasedAt).toBeInstanceOf(Date);
  expect((await offerOf(leadId, first))?.releasedAt).toBeNull();
});

test('a partner that never answers loses the offer after 2 business days; with nobody left the lead is re-engaged', async () => {
  const topic = uid('bi');
  const silent = await seedPartner(t.db, { expertise: [topic] });
  const { handle } = await partnerLead(topic);
  await act(handle, 'recordConsent', consent, sales);
  await until(handle, (x) => x.offers.length === 1);
  await skip(t.env, handle, '5 days'); // 2 business days is at most 4 calendar days (a weekend in between)
  const s = await until(handle, (x) => x.stage === 'reengagement');
  expect(s.offers).toEqual([expect.objectContaining({ partnerId: silent, status: 'expired' })]);
  expect(await historyTypes(handle)).toEqual(expect.arrayContaining(['offer_expired', 'no_partner']));
});

test('withdrawn consent mid-deal stops everything at once and tells the partner', async () => {
  const topic = uid('ai');
  const partner = await seedPartner(t.db, { expertise: [topic] });
  const { leadId, handle } = await partnerLead(topic);
  await act(handle, 'recordConsent', consent, sales);
  await until(handle, (x) => x.offers.length === 1);
  await act(handle, 'partnerRespond', { partnerId: partner, accepted: true }, `partner:${partner}`);
  await act(handle, 'advanceDeal', { to: 'proposal' }, `partner:${partner}`);

  const s = await act(handle, 'withdrawConsent', { reason: 'client called: do not contact me' }, sales);
  expect(s).toMatchObject({ stage: 'closed', closedReason: 'consent_withdrawn' });
  expect(await handle.result()).toMatchObject({ stage: 'closed', closedReason: 'consent_withdrawn' });
  expect((await t.db.consent.findFirstOrThrow({ where: { leadId } })).withdrawnAt).toBeInstanceOf(Date);
  expect((await offerOf(leadId, partner))?.status).toBe('withdrawn');
  const told = await t.db.task.findMany({ where: { leadId, assignee: `partner:${partner}`, kind: 'stop_contact' } });
  expect(told).toHaveLength(1);
  // The lead has ended; the order stays open until the partner confirms it, by one business day.
  const closedAt = Date.parse((await handle.query(M.getHistory)).find((e) => e.type === 'closed')!.at);
  const cal = defaultPolicy().calendar;
  expect(told[0]!.doneAt).toBeNull();
  expect(told[0]!.dueAt!.getTime()).toBeGreaterThanOrEqual(addBusinessTime(cal, closedAt, businessDayMs(cal)));
  expect(told[0]!.dueAt!.getTime()).toBeLessThan(addBusinessTime(cal, closedAt, businessDayMs(cal)) + 60_000);
});

test('in compare mode the client’s pick withdraws the other offers, frees their capacity and tells those partners', async () => {
  const topic = uid('crm');
  const chosen = await seedPartner(t.db, { expertise: [topic], grade: 5 });
  const rival = await seedPartner(t.db, { expertise: [topic], grade: 4, capacity: 1 });
  const lead = await startLead(t.env, t.db, t.worker.taskQueue, { topic });
  const { leadId, handle } = lead;
  await act(handle, 'recordContact', { outcome: 'reached' }, sales);
  await act(handle, 'qualify', { target: true, route: 'partner', reason: 'the client compares two', compare: 2 }, sales);
  await act(handle, 'recordConsent', consent, sales);
  await until(handle, (x) => x.offers.length === 2);
  await waitFor(async () => (await offerOf(leadId, rival))?.status === 'pending');

  const s = await act(handle, 'partnerRespond', { partnerId: chosen, accepted: true }, `partner:${chosen}`);
  expect(s.offers.map((o) => [o.partnerId, o.status])).toEqual([
    [chosen, 'accepted'],
    [rival, 'withdrawn'],
  ]);
  expect(await offerOf(leadId, rival)).toMatchObject({ status: 'withdrawn', releasedAt: null });
  expect(await historyTypes(handle)).toEqual(expect.arrayContaining(['partner_accepted', 'contact_released', 'offer_withdrawn']));
  const told = await t.db.task.findMany({ where: { leadId, assignee: `partner:${rival}`, kind: 'offer_withdrawn' } });
  expect(told).toHaveLength(1);
  // The rival cannot take the lead any more, and its one slot is free for the next lead.
  expect(await refusal(act(handle, 'partnerRespond', { partnerId: rival, accepted: true }, `partner:${rival}`))).toBe(
    `the offer to partner ${rival} is already withdrawn`,
  );
  const next = await partnerLead(topic);
  await act(next.handle, 'recordConsent', consent, sales);
  const offered = await until(next.handle, (x) => x.offers.length === 1);
  expect(offered.offers[0]!.partnerId).toBe(chosen);
  await act(next.handle, 'partnerRespond', { partnerId: chosen, accepted: false, reason: 'full' }, `partner:${chosen}`);
  const second = await until(next.handle, (x) => x.offers.length === 2);
  expect(second.offers[1]!.partnerId).toBe(rival);
});

test('a partner whose offer is only pending cannot mark the lead lost; the partner that owns the deal can', async () => {
  const topic = uid('bi');
  const partner = await seedPartner(t.db, { expertise: [topic], grade: 5 });
  const { handle } = await partnerLead(topic);
  await act(handle, 'recordConsent', consent, sales);
  await until(handle, (x) => x.offers.length === 1);

  expect(await refusal(act(handle, 'markLost', { reason: 'not interested' }, `partner:${partner}`))).toBe(
    `partner ${partner} does not own this deal (its offer is pending); only the deal's owner marks it lost`,
  );
  expect((await handle.query(M.getState)).stage).toBe('partner_offer');

  await act(handle, 'partnerRespond', { partnerId: partner, accepted: true }, `partner:${partner}`);
  const s = await act(handle, 'markLost', { reason: 'the client went elsewhere' }, `partner:${partner}`);
  expect(s.stage).toBe('reengagement');
});
