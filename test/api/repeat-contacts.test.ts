// Repeat contacts (README, "Repeat contacts"): a contact who writes again while their lead is open
// is attached to it; once it has ended (opted out, won, closed) the inquiry starts a new episode —
// a new lead with its own workflow, linked to the one before — and the ended lead's workflow,
// history, tasks and money stay as they were. A client who had opted out is flagged to the manager.
import { randomUUID } from 'node:crypto';
import { leadWorkflowId } from '../../workflows/lead';
import * as M from '../../workflows/messages';
import { apiStack, type ApiStack, leadBody } from '../helpers/api';
import { seedManager, seedPartner } from '../helpers/db';

let s: ApiStack;
beforeAll(async () => {
  s = await apiStack();
  await seedManager(s.db);
});
afterAll(async () => s?.close());

const lead = leadBody;

async function until<T>(what: string, probe: () => Promise<T | undefined | null | false>, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const got = await probe();
    if (got) return got;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** What the ended lead is, everywhere: its run, its events, its tasks. */
async function footprint(leadId: string) {
  const d = await s.temporal.workflow.getHandle(leadWorkflowId(leadId)).describe();
  const events = await s.db.leadEvent.findMany({ where: { leadId }, orderBy: { seq: 'asc' }, select: { seq: true, type: true, at: true } });
  const tasks = await s.db.task.findMany({ where: { leadId }, orderBy: { key: 'asc' }, select: { key: true, kind: true, doneAt: true } });
  const row = await s.db.lead.findUniqueOrThrow({ where: { id: leadId }, select: { stage: true, lastSeq: true, optedOut: true } });
  return { runId: d.runId, status: d.status.name, events, tasks, row };
}

async function optedOut(): Promise<{ body: ReturnType<typeof lead>; leadId: string }> {
  const body = lead();
  const first = await s.inject({ method: 'POST', url: '/leads', payload: body });
  expect(first.statusCode).toBe(201);
  const { leadId } = first.json();
  await until('a manager assigned', async () => (await s.db.task.count({ where: { leadId, kind: 'first_contact' } })) > 0);
  expect((await s.inject({ method: 'POST', url: `/leads/${leadId}/opt-out`, payload: { reason: 'do not call me' } })).statusCode).toBe(200);
  await s.temporal.workflow.getHandle(leadWorkflowId(leadId)).result();
  return { body, leadId };
}

test(
  'an opted-out contact who writes again starts a new episode linked to the old lead, flagged as their own request; ' +
    'the old lead is untouched',
  async () => {
    const { body, leadId: old } = await optedOut();
    const before = await footprint(old);
    expect(before).toMatchObject({ status: 'COMPLETED', row: { stage: 'closed', optedOut: true } });

    const again = await s.inject({
      method: 'POST',
      url: '/leads',
      payload: { ...lead(), phone: body.phone, source: { channel: 'email' } },
    });
    expect(again.statusCode).toBe(201);
    const episode = again.json();
    expect(episode).toMatchObject({
      status: 'created',
      replayed: false,
      matchedOn: 'phone',
      previousLeadId: old,
      returnedAfterOptOut: true,
    });
    expect(episode.leadId).not.toBe(old);
    expect(episode.workflowId).toBe(`lead-${episode.leadId}`);

    // The new episode: its own workflow, the rule visible to the manager in its history and first task.
    const firstTask = await until('the new episode’s first task', () =>
      s.db.task.findFirst({ where: { leadId: episode.leadId, kind: 'first_contact' } }),
    );
    expect(firstTask.title).toBe(
      `Call the lead (NB: the client opted out in lead ${old} and wrote again by themselves: contact them about this inquiry only)`,
    );
    // The step's own writes (the task) come first, its transitions are flushed after them
    // (workflows/lead-visibility.ts): the task can be read a moment before the history has them.
    await until(
      'the new episode’s first transitions flushed',
      async () => (await s.db.leadEvent.count({ where: { leadId: episode.leadId } })) >= 2,
    );
    const history = (await s.inject({ method: 'GET', url: `/leads/${episode.leadId}/history` })).json();
    expect(history.previousLeadId).toBe(old);
    expect(history.items.slice(0, 2)).toEqual([
      expect.objectContaining({ seq: 1, type: 'received' }),
      expect.objectContaining({
        seq: 2,
        type: 'returned_after_opt_out',
        reason: expect.stringContaining(`previous episode ${old} ended with an opt-out`),
      }),
    ]);
    const state = (await s.inject({ method: 'GET', url: `/leads/${episode.leadId}` })).json();
    expect(state).toMatchObject({ leadId: episode.leadId, previousLeadId: old, stage: 'awaiting_first_contact' });
    const consent = await s.db.consent.findMany({ where: { leadId: episode.leadId } });
    expect(consent).toEqual([
      expect.objectContaining({ purpose: 'contact', given: true, askedBy: 'client', channel: 'email', withdrawnAt: null }),
    ]);
    expect(await s.db.lead.findUniqueOrThrow({ where: { id: episode.leadId } })).toMatchObject({
      previousLeadId: old,
      returnedAfterOptOut: true,
      optedOut: false,
    });

    // The contact's timeline spans both episodes.
    const episodes = (await s.inject({ method: 'GET', url: `/leads/${old}/episodes` })).json();
    expect(
      episodes.items.map((e: { leadId: string; previousLeadId: string | null; stage: string }) => [e.leadId, e.previousLeadId, e.stage]),
    ).toEqual([
      [old, null, 'closed'],
      [episode.leadId, old, 'awaiting_first_contact'],
    ]);
    expect((await s.inject({ method: 'GET', url: `/leads/${episode.leadId}/episodes` })).json()).toEqual(episodes);

    // Another inquiry from the same contact now goes to the open episode, not the old lead.
    const third = await s.inject({
      method: 'POST',
      url: '/leads',
      payload: { ...lead(), email: body.email, source: { channel: 'phone' } },
    });
    expect(third.json()).toMatchObject({ status: 'attached', leadId: episode.leadId, matchedOn: 'email' });
    await until(
      'the repeat inquiry on the new episode',
      async () => (await s.db.leadEvent.count({ where: { leadId: episode.leadId, type: 'repeat_inquiry' } })) > 0,
    );

    // The old lead: the same run, closed; not one event or task more; nobody asked to call its client.
    expect(await footprint(old)).toEqual(before);
    expect(before.tasks.filter((t) => t.doneAt === null)).toEqual([]);
    const oldHistory = (await s.inject({ method: 'GET', url: `/leads/${old}/history` })).json();
    expect(oldHistory).toMatchObject({ previousLeadId: null, nextLeadId: episode.leadId });
    expect(oldHistory.items.map((e: { type: string }) => e.type)).not.toContain('repeat_inquiry');
    expect((await s.inject({ method: 'GET', url: `/leads/${old}` })).json()).toMatchObject({ stage: 'closed', closedReason: 'opted_out' });
  },
);

test(
  'a won lead’s contact who writes again starts a new episode; the won lead keeps its state, ' +
    'and a refund on its payment still claws back',
  async () => {
    const [partnerId] = s.partnerIds;
    if (!(await s.db.partner.findUnique({ where: { id: partnerId } }))) await seedPartner(s.db, { id: partnerId, expertise: ['crm'] });
    await s.db.partnerAgreement.create({
      data: { id: randomUUID(), partnerId, model: 'percent_of_paid', percentBps: 1000, currency: 'RUB' },
    });
    const body = lead({ source: { channel: 'partner', partnerId, externalId: `won-${randomUUID()}` } });
    const { leadId: old } = (await s.inject({ who: 'partner', method: 'POST', url: '/leads', payload: body })).json();
    const act = async (path: string, payload: unknown) => {
      const res = await s.inject({ method: 'POST', url: `/leads/${old}/${path}`, payload: payload as object });
      expect([path, res.statusCode]).toEqual([path, 200]);
      return res.json();
    };
    await act('contact', { outcome: 'reached' });
    await act('qualify', { target: true, route: 'ours', reason: 'fits us' });
    await act('deal', { to: 'contract', valueMinor: 1_000_000, currency: 'RUB' });
    expect(await act('payments', { paymentId: 'pay-1', amountMinor: 1_000_000, currency: 'RUB' })).toMatchObject({ stage: 'won' });
    await s.temporal.workflow.getHandle(leadWorkflowId(old)).result();
    const before = await footprint(old);

    const again = await s.inject({ method: 'POST', url: '/leads', payload: { ...lead(), email: body.email } });
    expect(again.statusCode).toBe(201);
    expect(again.json()).toMatchObject({ status: 'created', matchedOn: 'email', previousLeadId: old, returnedAfterOptOut: false });
    const next = again.json().leadId;
    const events = await until('the new episode’s link', async () => {
      const rows = await s.db.leadEvent.findMany({ where: { leadId: next }, orderBy: { seq: 'asc' } });
      return rows.length >= 2 && rows;
    });
    expect(events[1]).toMatchObject({ type: 'returning_contact', reason: `previous episode ${old}` });

    // The won lead answers from its own (closed) run, and its payment can still be refunded.
    expect(await footprint(old)).toEqual(before);
    expect((await s.inject({ method: 'GET', url: `/leads/${old}` })).json()).toMatchObject({
      stage: 'won',
      deal: { paidMinor: 1_000_000 },
    });
    const refund = await s.inject({
      who: 'ops',
      method: 'POST',
      url: `/leads/${old}/refunds`,
      payload: { refundId: 'rf-1', paymentId: 'pay-1', amountMinor: 500_000, currency: 'RUB' },
    });
    expect(refund.statusCode).toBe(200);
    expect(refund.json().clawbacks).toEqual([expect.objectContaining({ amountMinor: -50_000 })]);
  },
);

test(
  'when the read model still shows the ended lead as open, Temporal’s answer wins: ' + 'a new episode, the closed run not restarted',
  async () => {
    const { body, leadId: old } = await optedOut();
    // The read model lags the workflow (its last transition not written yet, as after a worker crash).
    await s.db.lead.update({ where: { id: old }, data: { stage: 'awaiting_first_contact' } });
    const before = await footprint(old);

    const again = await s.inject({ method: 'POST', url: '/leads', payload: { ...lead(), phone: body.phone } });
    expect(again.statusCode).toBe(201);
    expect(again.json()).toMatchObject({ status: 'created', previousLeadId: old, returnedAfterOptOut: true });
    expect(await footprint(old)).toEqual(before);
    const state = await s.temporal.workflow.getHandle(leadWorkflowId(old)).query(M.getState);
    expect(state).toMatchObject({ stage: 'closed', closedReason: 'opted_out', repeatInquiries: 0 });
  },
);

test('inquiries racing in after the lead ended, some matched by phone and some by e-mail, open one new episode between them; it is told of the rest once', async () => {
  const { body, leadId: old } = await optedOut();
  const answers = await Promise.all(
    [0, 1, 2, 3, 4, 5].map((i) =>
      s.inject({ method: 'POST', url: '/leads', payload: i % 2 ? { ...lead(), phone: body.phone } : { ...lead(), email: body.email } }),
    ),
  );
  expect(answers.map((a) => a.statusCode).sort()).toEqual([200, 200, 200, 200, 200, 201]);
  const next = await s.db.lead.findUniqueOrThrow({ where: { previousLeadId: old } });
  expect(new Set(answers.map((a) => a.json().leadId))).toEqual(new Set([next.id]));
  // All six came from the web form within a minute: one signal, the other four folded into it.
  await until(
    'the repeat inquiry on the new episode',
    async () => (await s.db.leadEvent.count({ where: { leadId: next.id, type: 'repeat_inquiry' } })) === 1,
  );
  expect(await s.db.inquiry.count({ where: { leadId: next.id } })).toBe(6);
  expect(await s.db.inquiry.count({ where: { leadId: next.id, duplicate: true, coalescedInto: { not: null } } })).toBe(4);
  expect(await s.db.inquiry.count({ where: { leadId: old } })).toBe(1);
});

test(
  'a burst of repeat inquiries from one source tells the open lead once: every one is attached and recorded, ' +
    'one signal, one call-back task; another source is told at once, the same source again after a minute',
  async () => {
    const first = lead();
    const created = await s.inject({ method: 'POST', url: '/leads', payload: first });
    expect(created.statusCode).toBe(201);
    const { leadId } = created.json();
    await until('a manager assigned', async () => (await s.db.task.count({ where: { leadId, kind: 'first_contact' } })) > 0);
    const handle = s.temporal.workflow.getHandle(leadWorkflowId(leadId));

    const burst = await Promise.all(
      Array.from({ length: 30 }, () => s.inject({ method: 'POST', url: '/leads', payload: { ...lead(), phone: first.phone } })),
    );
    expect(burst.map((a) => a.statusCode)).toEqual(Array(30).fill(200));
    expect(new Set(burst.map((a) => `${a.json().leadId} ${a.json().status} ${a.json().matchedOn}`))).toEqual(
      new Set([`${leadId} attached phone`]),
    );
    const rows = await s.db.inquiry.findMany({ where: { leadId, duplicate: true } });
    expect(rows).toHaveLength(30);
    const signalled = rows.filter((r) => r.coalescedInto === null);
    expect(signalled).toHaveLength(1);
    expect(new Set(rows.filter((r) => r.coalescedInto).map((r) => r.coalescedInto))).toEqual(new Set([signalled[0]!.intakeKey]));
    await until('the repeat inquiry in the history', async () =>
      (await s.db.leadEvent.count({ where: { leadId, type: 'repeat_inquiry' } })) === 1 ? true : undefined,
    );
    expect(await handle.query(M.getState)).toMatchObject({ repeatInquiries: 1 });
    expect(await s.db.task.count({ where: { leadId, kind: 'repeat_inquiry' } })).toBe(1);

    // The same contact through a partner within the minute: a source of its own, told at once.
    const [partnerId] = s.partnerIds;
    if (!(await s.db.partner.findUnique({ where: { id: partnerId } }))) await seedPartner(s.db, { id: partnerId, expertise: ['crm'] });
    const viaPartner = await s.inject({
      who: 'partner',
      method: 'POST',
      url: '/leads',
      payload: { ...lead(), phone: first.phone, source: { channel: 'partner', partnerId, externalId: `again-${randomUUID()}` } },
    });
    expect(viaPartner.json()).toMatchObject({ leadId, status: 'attached' });
    await until('the partner’s inquiry signalled', async () => ((await handle.query(M.getState)).repeatInquiries === 2 ? true : undefined));

    // A minute on (the signalled inquiry's time moved back), the web form again is news again.
    await s.db.inquiry.update({ where: { intakeKey: signalled[0]!.intakeKey }, data: { receivedAt: new Date(Date.now() - 61_000) } });
    await s.db.inquiry.updateMany({
      where: { coalescedInto: signalled[0]!.intakeKey },
      data: { receivedAt: new Date(Date.now() - 61_000) },
    });
    const later = await s.inject({ method: 'POST', url: '/leads', payload: { ...lead(), phone: first.phone } });
    expect(later.json()).toMatchObject({ leadId, status: 'attached' });
    expect(await s.db.inquiry.count({ where: { leadId, duplicate: true, coalescedInto: null } })).toBe(3);
    await until('the later inquiry signalled', async () => ((await handle.query(M.getState)).repeatInquiries === 3 ? true : undefined));
    await until('three repeat inquiries in the history', async () =>
      (await s.db.leadEvent.count({ where: { leadId, type: 'repeat_inquiry' } })) === 3 ? true : undefined,
    );
  },
);
