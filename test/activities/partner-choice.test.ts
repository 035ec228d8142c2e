// Choosing the partner for a hand-off: expertise, status, capacity, grade, "a project to grow",
// reserve partners last, never one already asked.
import { handoffActivities } from '../../activities/handoff';
import type { Db } from '../../platform/db';
import { seedLead, seedPartner, testDb, uid } from '../helpers/db';

let db: Db;
beforeAll(() => {
  db = testDb();
});
afterAll(async () => db?.$disconnect());

test('the best grade with free capacity wins; leaving, full and already-asked partners are skipped', async () => {
  const topic = uid('t');
  const full = await seedPartner(db, { expertise: [topic], grade: 5, capacity: 1 });
  await seedPartner(db, { expertise: [topic], grade: 5, status: 'leaving' }); // 40 days' notice: no new offers
  const good = await seedPartner(db, { expertise: [topic], grade: 4 });
  const asked = await seedPartner(db, { expertise: [topic], grade: 5 });
  const weaker = await seedPartner(db, { expertise: [topic], grade: 2 });
  await seedPartner(db, { expertise: [uid('other')], grade: 5 });

  // `full` already works one open deal at capacity 1.
  const busy = await seedLead(db, { topic });
  await db.lead.update({ where: { id: busy }, data: { stage: 'deal' } });
  const h = handoffActivities(db);
  await h.recordOffer({ leadId: busy, partnerId: full, status: 'accepted', at: new Date().toISOString() });

  const lead = await seedLead(db, { topic });
  expect(await h.pickPartners({ leadId: lead, topic, exclude: [asked], count: 1 })).toEqual([good]);
  expect(await h.pickPartners({ leadId: lead, topic, exclude: [asked], count: 3 })).toEqual([good, weaker]);
});

test('among equal grades, a project a little above the partner’s niche ("to grow") comes first; reserves last', async () => {
  const topic = uid('t');
  const big = await seedPartner(db, { expertise: [topic], grade: 4, priceNicheMinor: 5_000_000_00 });
  const grow = await seedPartner(db, { expertise: [topic], grade: 4, priceNicheMinor: 800_000_00 });
  const reserve = await seedPartner(db, { expertise: [topic], grade: 5 });
  await db.partner.update({ where: { id: reserve }, data: { reserveFor: [topic] } });
  const lead = await seedLead(db, { topic });
  const picked = await handoffActivities(db).pickPartners({ leadId: lead, topic, budgetMinor: 1_000_000_00, exclude: [], count: 3 });
  expect(picked).toEqual([grow, big, reserve]);
});

test('contact data is never released without a recorded consent and an acceptance', async () => {
  const topic = uid('t');
  const partner = await seedPartner(db, { expertise: [topic] });
  const lead = await seedLead(db, { topic });
  const h = handoffActivities(db);
  await h.recordOffer({ leadId: lead, partnerId: partner, status: 'accepted', at: new Date().toISOString() });
  await expect(h.releaseContact({ leadId: lead, partnerId: partner })).rejects.toMatchObject({ type: 'NoConsent' });
  await h.recordConsent({
    leadId: lead,
    seq: 1,
    given: true,
    askedBy: 'sales:x',
    channel: 'phone',
    wording: 'May I?',
    at: new Date().toISOString(),
  });
  const first = await h.releaseContact({ leadId: lead, partnerId: partner });
  expect(await h.releaseContact({ leadId: lead, partnerId: partner })).toEqual(first); // idempotent
  await h.withdrawConsent(lead, new Date().toISOString());
  await expect(h.releaseContact({ leadId: lead, partnerId: partner })).rejects.toMatchObject({ type: 'NoConsent' });
});

test('a rival offer left pending on a lead the client gave to another partner holds no capacity', async () => {
  const topic = uid('t');
  const rival = await seedPartner(db, { expertise: [topic], grade: 5, capacity: 1 });
  const chosen = await seedPartner(db, { expertise: [uid('other')], grade: 5 });
  const h = handoffActivities(db);
  // A comparison from before rival offers were withdrawn: the deal went to `chosen`.
  const compared = await seedLead(db, { topic });
  await db.lead.update({ where: { id: compared }, data: { stage: 'deal' } });
  await h.recordOffer({ leadId: compared, partnerId: chosen, status: 'accepted', at: new Date().toISOString() });
  await h.recordOffer({ leadId: compared, partnerId: rival, status: 'pending', at: new Date().toISOString() });
  const lead = await seedLead(db, { topic });
  expect(await h.pickPartners({ leadId: lead, topic, exclude: [], count: 1 })).toEqual([rival]);
  // An offer still open on a lead on offer does hold it.
  const open = await seedLead(db, { topic });
  await db.lead.update({ where: { id: open }, data: { stage: 'partner_offer' } });
  await h.recordOffer({ leadId: open, partnerId: rival, status: 'pending', at: new Date().toISOString() });
  expect(await h.pickPartners({ leadId: lead, topic, exclude: [], count: 1 })).toEqual([]);
});

test('partners picked under a key stand: the same step run again gets the partners it already offered the lead', async () => {
  const topic = uid('t');
  const first = await seedPartner(db, { expertise: [topic], grade: 5, capacity: 1 });
  const second = await seedPartner(db, { expertise: [topic], grade: 4 });
  const lead = await seedLead(db, { topic });
  const h = handoffActivities(db);
  expect(await h.pickPartners({ leadId: lead, topic, exclude: [], count: 1, decision: 'offer@4.0/run' })).toEqual([first]);

  // `first` fills up meanwhile (its capacity of one taken by another lead's deal): a fresh pick names `second`.
  const busy = await seedLead(db, { topic });
  await db.lead.update({ where: { id: busy }, data: { stage: 'deal' } });
  await h.recordOffer({ leadId: busy, partnerId: first, status: 'accepted', at: new Date().toISOString() });
  expect(await h.pickPartners({ leadId: lead, topic, exclude: [], count: 1 })).toEqual([second]);
  expect(await h.pickPartners({ leadId: lead, topic, exclude: [], count: 1, decision: 'offer@4.0/run' })).toEqual([first]);
  expect(await h.pickPartners({ leadId: lead, topic, exclude: [], count: 1, decision: 'offer@9.0/run' })).toEqual([second]);
});
