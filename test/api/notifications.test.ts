// Notifications that leave the building, on the real stack (Temporal dev server, PostgreSQL, a
// worker) with a real SMTP server (smtp-server, in-process) and a real HTTP receiver for
// webhooks: the outbox is written with the task, delivered by the delivery workflow, retried
// with backoff while a server is down, dead-lettered after 24 h and retried by hand; a partner
// receives a signed offer and answers it through the signed inbound route, and confirms a
// stop-contact order through every channel it has. The end-to-end chain (the e-mail, the reminder
// four working hours later, the call closing the task) and the overdue stop-contact alarm run on
// the time-skipping server with the production durations.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { registryActivities } from '../../activities/registry';
import { leadWorkflowId } from '../../workflows/lead';
import { addBusinessTime, businessDayMs } from '../../domain/calendar';
import { defaultPolicy } from '../../domain/policy';
import type { AlarmSweepOutcome } from '../../workflows/alarms';
import { alarmSweepWorkflow } from '../../workflows/alarms';
import { notificationActivities } from '../../notifications/deliver';
import { signatureHeaders, verifySignature } from '../../notifications/signature';
import { startMailCatcher, type MailCatcher } from '../../scripts/lib/mail-catcher';
import { freePort } from '../../scripts/lib/ports';
import * as M from '../../workflows/messages';
import { notificationsDeliverWorkflow } from '../../workflows/notifications';
import { apiStack, leadBody, timeSkippingApi, type ApiStack, type TimeSkippingApi } from '../helpers/api';
import { seedLead, seedManager, seedPartner, uid } from '../helpers/db';
import { act, skip, until, waitFor, type LeadHandle } from '../helpers/lead';
import { offeredLead } from '../helpers/offered-lead';

jest.setTimeout(60_000);

let s: ApiStack;
let mail: MailCatcher;
const received: Array<{ headers: IncomingHttpHeaders; body: string }> = [];
let receiver: Server;
let receiverUrl: string;
const desk = `${uid('desk')}@example.test`;

beforeAll(async () => {
  // The worker runs in this process: the outbox and the mailer read these when they act.
  process.env.NOTIFY_EMAILS = `manager:*=${desk}`;
  process.env.ALLOW_PRIVATE_WEBHOOKS = 'true';
  mail = await startMailCatcher();
  process.env.SMTP_URL = mail.url;
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks/lead-engine`;
  s = await apiStack();
  await seedManager(s.db); // someone to take the leads
});
afterAll(async () => {
  await s?.close();
  await mail?.close();
  await new Promise((r) => receiver?.close(r));
});

/** One run of the delivery workflow (what the `notifications-deliver` Schedule starts every minute), for one lead. */
const deliver = (leadId: string, on: { temporal: Client; worker: { taskQueue: string } } = s) =>
  on.temporal.workflow.execute(notificationsDeliverWorkflow, {
    args: [{ leadId }],
    taskQueue: on.worker.taskQueue,
    workflowId: uid('deliver'),
  });

const CAL = defaultPolicy().calendar;

/** A partner in the registry with `topic` among its expertise (made, or given the topic). */
async function partnerFor(db: ApiStack['db'], id: string, topic: string, grade = 5) {
  const known = await db.partner.findUnique({ where: { id } });
  if (!known) await seedPartner(db, { id, expertise: [topic], grade });
  else await db.partner.update({ where: { id }, data: { expertise: [...known.expertise, topic], grade } });
}

test('a lead comes in → the "Call the lead" e-mail arrives at the SMTP server', async () => {
  process.env.NOTIFY_LANGUAGE = 'en';
  try {
    const res = await s.inject({ method: 'POST', url: '/leads', payload: leadBody() });
    expect(res.statusCode).toBe(201);
    const { leadId } = res.json() as { leadId: string };
    await waitFor(async () => (await s.db.task.count({ where: { leadId, kind: 'first_contact' } })) === 1);
    const task = await s.db.task.findFirstOrThrow({ where: { leadId, kind: 'first_contact' } });
    // Written with the task, in its transaction: there before anything is delivered.
    const [row] = await s.db.notification.findMany({ where: { leadId } });
    expect(row).toMatchObject({
      key: `${task.key}:email:${desk}`,
      channel: 'email',
      recipient: desk,
      template: 'first_contact',
      status: 'pending',
    });
    expect(JSON.stringify(row!.payload)).not.toMatch(/Ivan|\+7916|@example\.com/); // no client contacts in the outbox

    expect(await deliver(leadId)).toMatchObject({ claimed: 1, sent: 1 });
    const got = mail.messages.filter((m) => m.raw.includes(leadId));
    expect(got).toHaveLength(1);
    expect(got[0]!.to).toEqual([desk]);
    expect(got[0]!.subject).toBe(`Call the lead — Lead ${leadId.slice(0, 8)}`);
    expect(got[0]!.raw).toContain('Due: ');
    expect(await s.db.notification.findUniqueOrThrow({ where: { id: row!.id } })).toMatchObject({
      status: 'sent',
      attempts: 1,
      lastError: null,
    });
    expect(await deliver(leadId)).toMatchObject({ claimed: 0 }); // sent once, never again
  } finally {
    delete process.env.NOTIFY_LANGUAGE;
  }
});

test('a partner gets the offer with its deadline, signed, and answers it through the inbound webhook', async () => {
  const partnerId = s.partnerIds[0];
  const topic = uid('mobile');
  await seedPartner(s.db, { id: partnerId, expertise: [topic], grade: 5 });
  const sub = await s.inject({ who: 'partner', method: 'POST', url: '/webhooks', payload: { url: receiverUrl } });
  expect(sub.statusCode).toBe(201);
  const { secret, subscriber } = sub.json() as { secret: string; subscriber: string };
  expect(subscriber).toBe(`partner:${partnerId}`);

  const res = await s.inject({ method: 'POST', url: '/leads', payload: leadBody({ topic }) });
  const { leadId } = res.json() as { leadId: string };
  const handle = s.temporal.workflow.getHandle(leadWorkflowId(leadId));
  await until(handle, (x) => x.stage === 'awaiting_first_contact' || x.stage === 'qualifying');
  const sales = { actor: 'sales:anna' };
  await act(handle, 'recordContact', { outcome: 'reached' }, sales);
  await act(handle, 'qualify', { target: true, route: 'partner', reason: 'a mobile app', budgetMinor: 600_000_00, compare: 1 }, sales);
  await act(
    handle,
    'recordConsent',
    { given: true, askedBy: 'sales:anna', channel: 'phone', wording: 'May a colleague call you? The consultation is free.' },
    sales,
  );
  await waitFor(async () => (await s.db.task.count({ where: { leadId, kind: 'offer' } })) === 1);

  received.length = 0;
  expect(await deliver(leadId)).toMatchObject({ sent: expect.any(Number), pending: 0, dead: 0 });
  const offer = received.find((r) => r.body.includes('"task.offer"'));
  expect(offer).toBeDefined();
  expect(
    verifySignature(secret, offer!.body, {
      timestamp: offer!.headers['x-lead-engine-timestamp'],
      signature: offer!.headers['x-lead-engine-signature'],
    }),
  ).toEqual({ ok: true });
  expect(
    verifySignature('another secret', offer!.body, {
      timestamp: offer!.headers['x-lead-engine-timestamp'],
      signature: offer!.headers['x-lead-engine-signature'],
    }),
  ).toEqual({ ok: false, why: 'bad-signature' });
  const body = JSON.parse(offer!.body) as { task: { leadId: string; kind: string; dueAt: string } };
  expect(body.task).toMatchObject({ leadId, kind: 'offer' });
  expect(new Date(body.task.dueAt).getTime()).toBeGreaterThan(Date.now() + 24 * 3_600_000); // two business days to answer

  const answer = (payload: unknown, headers: Record<string, string>, id = partnerId) =>
    s.app.inject({
      method: 'POST',
      url: `/partners/${id}/webhook`,
      payload: JSON.stringify(payload),
      headers: { 'content-type': 'application/json', ...headers },
    });
  const accept = { leadId, accepted: true };
  const raw = JSON.stringify(accept);
  expect((await answer(accept, signatureHeaders('wrong secret', raw))).statusCode).toBe(401);
  expect((await answer(accept, signatureHeaders(secret, raw, Date.now() - 6 * 60_000))).statusCode).toBe(401); // stale
  expect((await answer(accept, {})).statusCode).toBe(401);
  const tampered = await answer({ leadId, accepted: false }, signatureHeaders(secret, raw));
  expect(tampered.statusCode).toBe(401);
  const unknown = { leadId: uid('no-such-lead'), accepted: true };
  expect((await answer(unknown, signatureHeaders(secret, JSON.stringify(unknown)))).statusCode).toBe(404);

  const ok = await answer(accept, signatureHeaders(secret, raw));
  expect(ok.statusCode).toBe(202);
  const after = await until(handle, (x) => x.stage === 'deal');
  expect(after.dealOwner).toMatchObject({ kind: 'partner', partnerId });
});

test('SMTP down: the e-mail stays pending with its attempts and error, and is delivered when the server is back', async () => {
  const leadId = await seedLead(s.db);
  const managerId = await seedManager(s.db);
  await registryActivities(s.db).createTask({
    key: `${leadId}:1`,
    leadId,
    assignee: `manager:${managerId}`,
    kind: 'sla_reminder',
    title: 'Reminder',
  });
  await registryActivities(s.db).createTask({
    key: `${leadId}:1`,
    leadId,
    assignee: `manager:${managerId}`,
    kind: 'sla_reminder',
    title: 'Reminder',
  });
  expect(await s.db.notification.count({ where: { leadId } })).toBe(1); // a retried createTask enqueues nothing twice

  const down = `smtp://127.0.0.1:${await freePort()}`;
  const acts = notificationActivities(s.db, () => ({ smtpUrl: down, from: 'engine@example.test' }));
  const [id] = await acts.claimDueNotifications({ leadId });
  expect(await acts.deliverNotification(id!)).toMatchObject({ status: 'pending' });
  let row = await s.db.notification.findUniqueOrThrow({ where: { id: id! } });
  expect(row).toMatchObject({ status: 'pending', attempts: 1 });
  expect(row.lastError).toMatch(/ECONNREFUSED|connect/i);
  expect(row.nextAttemptAt.getTime()).toBeGreaterThan(Date.now() + 20_000); // backoff: not before 30 s
  expect(await acts.claimDueNotifications({ leadId })).toEqual([]);

  // The next attempt, once due, fails again and waits twice as long.
  const later = new Date(row.nextAttemptAt.getTime() + 1000).toISOString();
  expect(await acts.claimDueNotifications({ leadId, now: later })).toEqual([id]);
  await acts.deliverNotification(id!, later);
  row = await s.db.notification.findUniqueOrThrow({ where: { id: id! } });
  expect(row.attempts).toBe(2);
  expect(row.nextAttemptAt.getTime() - new Date(later).getTime()).toBe(60_000);

  // The server is back: the next run delivers it.
  await s.db.notification.update({ where: { id: id! }, data: { nextAttemptAt: new Date() } });
  expect(await deliver(leadId)).toMatchObject({ claimed: 1, sent: 1 });
  expect(await s.db.notification.findUniqueOrThrow({ where: { id: id! } })).toMatchObject({ status: 'sent', attempts: 3, lastError: null });
  expect(mail.messages.filter((m) => m.raw.includes(leadId))).toHaveLength(1);
});

test('after 24 h of failures a notification is dead, listed for ops, and retried by hand', async () => {
  const leadId = await seedLead(s.db);
  const managerId = await seedManager(s.db);
  await registryActivities(s.db).createTask({
    key: `${leadId}:1`,
    leadId,
    assignee: `manager:${managerId}`,
    kind: 'first_contact',
    title: 'Call the lead',
  });
  const down = notificationActivities(s.db, () => ({ smtpUrl: `smtp://127.0.0.1:${1}`, from: 'engine@example.test' }));
  const [id] = await down.claimDueNotifications({ leadId });
  const row = await s.db.notification.findUniqueOrThrow({ where: { id: id! } });
  const dayLater = new Date(row.giveUpAt.getTime() + 1000).toISOString();
  expect(await down.deliverNotification(id!, dayLater)).toMatchObject({ status: 'dead' });

  const dead = await s.inject({ who: 'ops', method: 'GET', url: `/notifications?status=dead&leadId=${leadId}` });
  expect(dead.statusCode).toBe(200);
  expect(dead.json().items).toEqual([expect.objectContaining({ id, status: 'dead', attempts: 1, lastError: expect.any(String) })]);
  for (const who of ['sales', 'team_lead', 'partner'] as const) {
    expect((await s.inject({ who, method: 'GET', url: '/notifications?status=dead' })).statusCode).toBe(403);
    expect((await s.inject({ who, method: 'POST', url: `/notifications/${id}/retry` })).statusCode).toBe(403);
  }
  expect((await s.inject({ who: 'ops', method: 'POST', url: `/notifications/${uid('none')}/retry` })).statusCode).toBe(404);

  const retried = await s.inject({ who: 'ops', method: 'POST', url: `/notifications/${id}/retry` });
  expect(retried.statusCode).toBe(200);
  expect(retried.json()).toMatchObject({ status: 'pending' });
  expect(new Date(retried.json().giveUpAt as string).getTime()).toBeGreaterThan(Date.now() + 23 * 3_600_000);
  expect(await deliver(leadId)).toMatchObject({ sent: 1 });
  expect((await s.inject({ who: 'ops', method: 'POST', url: `/notifications/${id}/retry` })).statusCode).toBe(409); // already sent
});

test('webhook subscriptions: http(s) only, a partner subscribes only itself, a team lead no partner, sales nobody', async () => {
  const post = (who: 'ops' | 'partner' | 'sales' | 'team_lead', payload: Record<string, unknown>) =>
    s.inject({ who, method: 'POST', url: '/webhooks', payload });
  expect((await post('partner', { url: 'ftp://example.test/hook' })).statusCode).toBe(400);
  expect((await post('partner', { url: 'not a url' })).statusCode).toBe(400);
  expect((await post('partner', { url: receiverUrl, subscriber: `partner:${s.partnerIds[1]}` })).statusCode).toBe(403);
  expect((await post('sales', { url: receiverUrl })).statusCode).toBe(403);
  expect((await post('team_lead', { url: receiverUrl, subscriber: `partner:${s.partnerIds[0]}` })).statusCode).toBe(403);
  expect((await post('ops', { url: receiverUrl })).statusCode).toBe(400); // whose? ops must say
  // A team is addressed by its roster id, and must exist (test/api/team-webhooks.test.ts).
  const teamId = uid('team');
  await s.db.team.create({ data: { id: teamId, name: 'Team' } });
  const team = await post('ops', { url: receiverUrl, subscriber: `team:${teamId}` });
  expect(team.statusCode).toBe(201);
  const mine = await s.inject({ who: 'partner2', method: 'GET', url: '/webhooks' });
  expect(mine.json().items.every((x: { subscriber: string }) => x.subscriber === `partner:${s.partnerIds[1]}`)).toBe(true);
  const all = await s.inject({ who: 'ops', method: 'GET', url: '/webhooks' });
  expect(all.json().items.map((x: { id: string }) => x.id)).toContain(team.json().id);
  expect(all.json().items.every((x: { secret?: string }) => x.secret === undefined)).toBe(true); // the secret is shown once
});

// --- stop-contact orders: the partner confirms -----------------------------------------------------

/** A signed POST to a partner's inbound webhook. */
const inbound = (partnerId: string, secret: string, payload: unknown) => {
  const raw = JSON.stringify(payload);
  return s.app.inject({
    method: 'POST',
    url: `/partners/${partnerId}/webhook`,
    payload: raw,
    headers: { 'content-type': 'application/json', ...signatureHeaders(secret, raw) },
  });
};

test(
  'withdrawn consent: the partner gets the stop-contact order, signed, and confirms it through its webhook; ' +
    'the order stays open until then',
  async () => {
    const partnerId = s.partnerIds[1];
    const topic = uid('erp');
    await partnerFor(s.db, partnerId, topic);
    const sub = await s.inject({ who: 'partner2', method: 'POST', url: '/webhooks', payload: { url: receiverUrl } });
    const { secret } = sub.json() as { secret: string };
    const { leadId, handle } = await offeredLead(s, topic);
    await act(handle, 'partnerRespond', { partnerId, accepted: true }, `partner:${partnerId}`);

    const withdrawn = await s.inject({
      method: 'POST',
      url: `/leads/${leadId}/consent/withdraw`,
      payload: { reason: 'the client called: do not contact me' },
    });
    expect(withdrawn.statusCode).toBe(200);
    expect(await handle.result()).toMatchObject({ stage: 'closed', closedReason: 'consent_withdrawn' });
    // The lead has ended; its partner's order has not: it waits for the confirmation, due in one business day.
    const order = await s.db.task.findFirstOrThrow({ where: { leadId, kind: 'stop_contact' } });
    expect(order).toMatchObject({ assignee: `partner:${partnerId}`, doneAt: null });
    expect(order.dueAt!.getTime()).toBeGreaterThan(Date.now());
    expect(order.dueAt!.getTime()).toBeLessThanOrEqual(addBusinessTime(CAL, Date.now(), businessDayMs(CAL)) + 60_000);
    expect((await s.db.task.findMany({ where: { leadId, doneAt: null } })).map((t) => t.kind)).toEqual(['stop_contact']);

    received.length = 0;
    await deliver(leadId);
    const told = received.find((r) => r.body.includes('"task.stop_contact"'));
    expect(told).toBeDefined();
    const signed = { timestamp: told!.headers['x-lead-engine-timestamp'], signature: told!.headers['x-lead-engine-signature'] };
    expect(verifySignature(secret, told!.body, signed)).toEqual({ ok: true });
    expect(JSON.parse(told!.body).task).toMatchObject({
      taskKey: order.key,
      leadId,
      kind: 'stop_contact',
      dueAt: order.dueAt!.toISOString(),
    });

    const confirmed = { type: 'stop_contact.confirmed', leadId, note: 'CRM record and call recordings deleted' };
    const raw = JSON.stringify(confirmed);
    const unsigned = await s.app.inject({
      method: 'POST',
      url: `/partners/${partnerId}/webhook`,
      payload: raw,
      headers: { 'content-type': 'application/json' },
    });
    expect(unsigned.statusCode).toBe(401);
    const ok = await inbound(partnerId, secret, confirmed);
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toMatchObject({
      taskKey: order.key,
      leadId,
      partnerId,
      state: 'confirmed',
      overdue: false,
      replayed: false,
      dueAt: order.dueAt!.toISOString(),
      confirmation: { confirmedBy: `partner:${partnerId}`, channel: 'webhook', note: confirmed.note },
    });
    const first = ok.json() as { confirmation: { confirmedAt: string } };
    expect(await s.db.task.findUniqueOrThrow({ where: { key: order.key } })).toMatchObject({
      outcome: 'confirmed',
      completedBy: `partner:${partnerId}`,
      doneAt: new Date(first.confirmation.confirmedAt),
    });
    // Audited as the partner's request, with the lead it concerns.
    // Its status is completed just after the response (api/auth.ts onResponse), so wait for it.
    const webhookAudit = () => s.db.auditLog.findMany({ where: { leadId, path: `/partners/${partnerId}/webhook` } });
    await waitFor(async () => {
      const rows = await webhookAudit();
      return rows.length > 0 && rows.every((r) => r.status !== null);
    });
    const audit = await webhookAudit();
    expect(audit).toEqual([expect.objectContaining({ actor: `partner:${partnerId}`, role: 'partner', method: 'POST', status: 200 })]);

    // Twice is fine: the first confirmation stands, through any channel.
    const again = await inbound(partnerId, secret, confirmed);
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({
      replayed: true,
      confirmation: { confirmedAt: first.confirmation.confirmedAt, channel: 'webhook' },
    });
    const queue = await s.inject({
      who: 'partner2',
      method: 'POST',
      url: `/tasks/${order.key}/complete`,
      payload: { outcome: 'confirmed' },
    });
    expect(queue.statusCode).toBe(200);
    expect(queue.json().task).toMatchObject({ state: 'done', outcome: 'confirmed', doneAt: first.confirmation.confirmedAt });

    // The lead shows it, to staff and to the partner.
    for (const who of ['ops', 'partner2'] as const) {
      const lead = await s.inject({ who, method: 'GET', url: `/leads/${leadId}` });
      expect(lead.statusCode).toBe(200);
      expect(lead.json().stopContact).toEqual([
        expect.objectContaining({ partnerId, state: 'confirmed', confirmation: expect.objectContaining({ channel: 'webhook' }) }),
      ]);
    }
    const history = await s.inject({ who: 'ops', method: 'GET', url: `/leads/${leadId}/history` });
    expect(history.json().stopContact).toEqual([expect.objectContaining({ taskKey: order.key, state: 'confirmed' })]);
  },
);

test('stop-contact confirmation: the work queue takes only `confirmed`, another partner is refused, no order is a 409', async () => {
  const [a, b] = s.partnerIds;
  const topic = uid('bi');
  await partnerFor(s.db, a, topic, 5);
  await partnerFor(s.db, b, topic, 4);
  // The client compares both partners and picks A: B's offer is withdrawn, so only A is ordered to stop.
  const { leadId, handle } = await offeredLead(s, topic, 2);
  const confirm = (who: 'partner' | 'partner2' | 'ops' | 'sales', partnerId: string, lead = leadId) =>
    s.inject({ who, method: 'POST', url: `/partners/${partnerId}/stop-contact/${lead}/confirm`, payload: {} });

  const early = await confirm('partner', a);
  expect(early.statusCode).toBe(409);
  expect(early.json()).toMatchObject({
    type: 'https://lead-engine.dev/problems/no-stop-contact-order',
    reason: `partner ${a} has no stop-contact order on lead ${leadId}`,
  });

  await act(handle, 'partnerRespond', { partnerId: a, accepted: true }, `partner:${a}`);
  await s.inject({ method: 'POST', url: `/leads/${leadId}/opt-out`, payload: {} });
  await handle.result();
  const order = await s.db.task.findFirstOrThrow({ where: { leadId, kind: 'stop_contact' } });
  expect(order.assignee).toBe(`partner:${a}`);

  // B had the lead, the order is A's: for B there is no order (it learns nothing of A's).
  const notB = await confirm('partner2', b);
  expect([notB.statusCode, notB.json().type]).toEqual([409, 'https://lead-engine.dev/problems/no-stop-contact-order']);
  expect((await confirm('partner2', a)).statusCode).toBe(404); // B confirming as A: not its partner, as everywhere
  expect((await confirm('sales', a)).statusCode).toBe(403);
  expect((await confirm('partner', a, randomUUID())).statusCode).toBe(404);
  const complete = (who: 'partner' | 'partner2', payload: Record<string, unknown>) =>
    s.inject({ who, method: 'POST', url: `/tasks/${order.key}/complete`, payload });
  expect((await complete('partner2', { outcome: 'confirmed' })).statusCode).toBe(404); // another partner's task, as for any task
  const wrong = await complete('partner', { outcome: 'done', next: { title: 'x', dueAt: new Date().toISOString() } });
  expect(wrong.statusCode).toBe(422);
  expect(wrong.json()).toMatchObject({ type: 'https://lead-engine.dev/problems/stop-contact-needs-confirmation' });
  expect(wrong.json().errors.map((e: { path: string }) => e.path)).toEqual(['body.outcome', 'body.next']);
  expect((await s.db.task.findUniqueOrThrow({ where: { key: order.key } })).doneAt).toBeNull();

  const ok = await confirm('partner', a);
  expect(ok.statusCode).toBe(200);
  expect(ok.json()).toMatchObject({ state: 'confirmed', replayed: false, confirmation: { confirmedBy: `partner:${a}`, channel: 'api' } });
  // The audit row is written before the handler and its status completed just after the response.
  const audited = () => s.db.auditLog.count({ where: { leadId, path: `/partners/${a}/stop-contact/${leadId}/confirm`, status: 200 } });
  await waitFor(async () => (await audited()) > 0);
  expect(await audited()).toBe(1);
  const byOps = await confirm('ops', a);
  expect(byOps.json()).toMatchObject({ replayed: true, confirmation: { confirmedBy: `partner:${a}` } });
  expect(await s.db.stopContactConfirmation.count({ where: { leadId } })).toBe(1);
});

// --- on the time-skipping server, production durations -------------------------------------------

describe('on the time-skipping server', () => {
  let t: TimeSkippingApi;
  beforeAll(async () => {
    t = await timeSkippingApi();
    await seedManager(t.db);
    // One workflow end to end first: a cold Java server on a loaded machine can take longer than
    // intake's 3 s bound for its first start, which intake would answer 202 (registered).
    await deliver(randomUUID(), t);
  });
  afterAll(async () => {
    await t?.close();
  });

  /** Mail about `leadId` whose subject starts with `subject`, once it has arrived. */
  const mailAbout = async (leadId: string, subject: string) => {
    await waitFor(async () => mail.messages.some((m) => m.raw.includes(leadId) && m.subject.startsWith(subject)));
    return mail.messages.filter((m) => m.raw.includes(leadId) && m.subject.startsWith(subject));
  };

  test(
    'a lead comes in → "Call the lead" arrives → four working hours later the reminder → the call recorded → ' + 'the task is done',
    async () => {
      process.env.NOTIFY_LANGUAGE = 'en';
      try {
        const res = await t.inject({ method: 'POST', url: '/leads', payload: leadBody() });
        expect(res.statusCode).toBe(201);
        const { leadId } = res.json() as { leadId: string };
        const handle: LeadHandle = t.temporal.workflow.getHandle(leadWorkflowId(leadId));
        const state = await until(handle, (x) => !!x.managerId);
        await waitFor(async () => (await t.db.task.count({ where: { leadId, kind: 'first_contact' } })) === 1);
        expect(await deliver(leadId, t)).toMatchObject({ sent: 1 });
        expect(await mailAbout(leadId, 'Call the lead')).toEqual([expect.objectContaining({ to: [desk] })]);

        // Four working hours of the business calendar after assignment, not a minute before.
        const remindAt = addBusinessTime(CAL, Date.parse(state.slaFrom), 4 * 3_600_000);
        await skip(t.env, handle, remindAt - (await t.env.currentTimeMs()) - 60_000);
        expect(await t.db.task.count({ where: { leadId, kind: 'sla_reminder' } })).toBe(0);
        await skip(t.env, handle, 2 * 60_000);
        await waitFor(async () => (await t.db.task.count({ where: { leadId, kind: 'sla_reminder' } })) === 1);
        expect(await deliver(leadId, t)).toMatchObject({ sent: 1 });
        expect(await mailAbout(leadId, 'Reminder: the lead is waiting for you')).toEqual([expect.objectContaining({ to: [desk] })]);
        const history = (await t.inject({ method: 'GET', url: `/leads/${leadId}/history` })).json() as {
          items: Array<{ type: string; at: string }>;
        };
        const reminded = history.items.find((e) => e.type === 'sla_reminder')!;
        expect(Date.parse(reminded.at)).toBeGreaterThanOrEqual(remindAt);
        expect(Date.parse(reminded.at)).toBeLessThan(remindAt + 5 * 60_000);

        const call = await t.inject({ method: 'POST', url: `/leads/${leadId}/contact`, payload: { outcome: 'reached' } });
        expect(call.statusCode).toBe(200);
        expect(call.json()).toMatchObject({ stage: 'qualifying' });
        let done: Array<{ kind: string; outcome: string; completedBy: string }> = [];
        await waitFor(async () => {
          done = (await t.inject({ who: 'ops', method: 'GET', url: `/tasks?leadId=${leadId}&state=done` })).json().items;
          return done.length === 2;
        });
        expect(done.map((x) => [x.kind, x.outcome, x.completedBy]).sort()).toEqual([
          ['first_contact', 'contacted', 'sales:anna'],
          ['sla_reminder', 'contacted', 'sales:anna'],
        ]);
        expect((await t.inject({ who: 'ops', method: 'GET', url: `/tasks?leadId=${leadId}&state=open` })).json().items).toEqual([]);
      } finally {
        delete process.env.NOTIFY_LANGUAGE;
      }
    },
  );

  test('a stop-contact order not confirmed by its deadline raises one alarm for the lead; the confirmation resolves it', async () => {
    const partnerId = t.partnerIds[0];
    const topic = uid('crm');
    await partnerFor(t.db, partnerId, topic);
    const { leadId, handle } = await offeredLead(t, topic);
    await act(handle, 'partnerRespond', { partnerId, accepted: true }, `partner:${partnerId}`);
    expect((await t.inject({ method: 'POST', url: `/leads/${leadId}/consent/withdraw`, payload: {} })).statusCode).toBe(200);
    await until(handle, (x) => x.stage === 'closed');
    await waitFor(async () => (await t.db.task.count({ where: { leadId, kind: 'stop_contact' } })) === 1);
    const order = await t.db.task.findFirstOrThrow({ where: { leadId, kind: 'stop_contact' } });
    const closedAt = Date.parse((await handle.query(M.getHistory)).find((e) => e.type === 'closed')!.at);
    const due = addBusinessTime(CAL, closedAt, businessDayMs(CAL)); // the policy's one business day
    expect(order.dueAt!.getTime()).toBeGreaterThanOrEqual(due);
    expect(order.dueAt!.getTime()).toBeLessThan(due + 60_000);

    /** One run of the sweep the `alarms-hourly` Schedule starts, at the server's (skipped) time. */
    const sweep = () =>
      t.temporal.workflow.execute(alarmSweepWorkflow, {
        args: [{ kinds: ['stop_contact_overdue'] }],
        taskQueue: t.worker.taskQueue,
        workflowId: uid('alarms'),
      }) as Promise<AlarmSweepOutcome>;
    expect((await sweep()).results).toEqual([expect.objectContaining({ firing: [] })]); // not due yet
    await skip(t.env, handle, order.dueAt!.getTime() - (await t.env.currentTimeMs()) + 3_600_000);
    const late = await sweep();
    expect(late.results).toEqual([
      expect.objectContaining({ kind: 'stop_contact_overdue', firing: [leadId], opened: [expect.objectContaining({ subject: leadId })] }),
    ]);
    expect((await sweep()).results).toEqual([expect.objectContaining({ firing: [leadId], opened: [] })]); // one alarm per lead
    const alarms = (await t.inject({ who: 'ops', method: 'GET', url: `/alarms?kind=stop_contact_overdue&subject=${leadId}` })).json().items;
    const evidence = expect.objectContaining({ partners: [partnerId], taskKeys: [order.key] });
    expect(alarms).toEqual([expect.objectContaining({ state: 'open', evidence })]);

    // The partner confirms from its work queue: the order is done and the alarm resolved by it.
    const done = await t.inject({
      who: 'partner',
      method: 'POST',
      url: `/tasks/${order.key}/complete`,
      payload: { outcome: 'confirmed', note: 'deleted' },
    });
    expect(done.statusCode).toBe(200);
    expect(done.json().task).toMatchObject({ state: 'done', outcome: 'confirmed', completedBy: `partner:${partnerId}` });
    const after = (await t.inject({ who: 'ops', method: 'GET', url: `/alarms?kind=stop_contact_overdue&subject=${leadId}` })).json().items;
    expect(after).toEqual([expect.objectContaining({ state: 'resolved', resolvedBy: `partner:${partnerId}` })]);
    expect(await t.db.stopContactConfirmation.findUniqueOrThrow({ where: { taskKey: order.key } })).toMatchObject({
      channel: 'task',
      confirmedBy: `partner:${partnerId}`,
      note: 'deleted',
      dueAt: order.dueAt,
    });
    expect((await sweep()).results).toEqual([expect.objectContaining({ firing: [], opened: [] })]);
  });
});
