// Notifications that leave the building, on the real stack (Temporal dev server, PostgreSQL, a
// worker) with a real SMTP server (smtp-server, in-process) and a real HTTP receiver for
// webhooks: the outbox is written with the task, delivered by the delivery workflow, retried
// with backoff while a server is down, dead-lettered after 24 h and retried by hand; a partner
// receives a signed offer and answers it through the signed inbound route.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { registryActivities } from '../../activities/registry';
import { workflowIdOf } from '../../api/intake';
import { notificationActivities } from '../../notifications/deliver';
import { signatureHeaders, verifySignature } from '../../notifications/signature';
import { startMailCatcher, type MailCatcher } from '../../scripts/lib/mail-catcher';
import { freePort } from '../../scripts/lib/ports';
import * as M from '../../workflows/messages';
import { notificationsDeliverWorkflow } from '../../workflows/notifications';
import { apiStack, leadBody, type ApiStack } from '../helpers/api';
import { seedLead, seedManager, seedPartner, uid } from '../helpers/db';
import { until, waitFor } from '../helpers/lead';

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
const deliver = (leadId: string) => s.temporal.workflow.execute(notificationsDeliverWorkflow, {
  args: [{ leadId }], taskQueue: s.worker.taskQueue, workflowId: uid('deliver'),
});

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
    expect(row).toMatchObject({ key: `${task.key}:email:${desk}`, channel: 'email', recipient: desk, template: 'first_contact', status: 'pending' });
    expect(JSON.stringify(row!.payload)).not.toMatch(/Ivan|\+7916|@example\.com/); // no client contacts in the outbox

    expect(await deliver(leadId)).toMatchObject({ claimed: 1, sent: 1 });
    const got = mail.messages.filter((m) => m.raw.includes(leadId));
    expect(got).toHaveLength(1);
    expect(got[0]!.to).toEqual([desk]);
    expect(got[0]!.subject).toBe(`Call the lead — Lead ${leadId.slice(0, 8)}`);
    expect(got[0]!.raw).toContain('Due: ');
    expect(await s.db.notification.findUniqueOrThrow({ where: { id: row!.id } })).toMatchObject({ status: 'sent', attempts: 1, lastError: null });
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
  const handle = s.temporal.workflow.getHandle(workflowIdOf(leadId));
  await until(handle, (x) => x.stage === 'awaiting_first_contact' || x.stage === 'qualifying');
  const sales = { actor: 'sales:anna' };
  await handle.executeUpdate(M.recordContact, { args: [{ ...sales, input: { outcome: 'reached' } }] });
  await handle.executeUpdate(M.qualify, { args: [{ ...sales, input: { target: true, route: 'partner', reason: 'a mobile app', budgetMinor: 600_000_00, compare: 1 } }] });
  await handle.executeUpdate(M.recordConsent, {
    args: [{ ...sales, input: { given: true, askedBy: 'sales:anna', channel: 'phone', wording: 'May a colleague call you? The consultation is free.' } }],
  });
  await waitFor(async () => (await s.db.task.count({ where: { leadId, kind: 'offer' } })) === 1);

  received.length = 0;
  expect(await deliver(leadId)).toMatchObject({ sent: expect.any(Number), pending: 0, dead: 0 });
  const offer = received.find((r) => r.body.includes('"task.offer"'));
  expect(offer).toBeDefined();
  expect(verifySignature(secret, offer!.body, { timestamp: offer!.headers['x-lead-engine-timestamp'], signature: offer!.headers['x-lead-engine-signature'] }))
    .toEqual({ ok: true });
  expect(verifySignature('another secret', offer!.body, { timestamp: offer!.headers['x-lead-engine-timestamp'], signature: offer!.headers['x-lead-engine-signature'] }))
    .toEqual({ ok: false, why: 'bad-signature' });
  const body = JSON.parse(offer!.body) as { task: { leadId: string; kind: string; dueAt: string } };
  expect(body.task).toMatchObject({ leadId, kind: 'offer' });
  expect(new Date(body.task.dueAt).getTime()).toBeGreaterThan(Date.now() + 24 * 3_600_000); // two business days to answer

  const answer = (payload: unknown, headers: Record<string, string>, id = partnerId) =>
    s.app.inject({ method: 'POST', url: `/partners/${id}/webhook`, payload: JSON.stringify(payload), headers: { 'content-type': 'application/json', ...headers } });
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
  await registryActivities(s.db).createTask({ key: `${leadId}:1`, leadId, assignee: `manager:${managerId}`, kind: 'sla_reminder', title: 'Reminder' });
  await registryActivities(s.db).createTask({ key: `${leadId}:1`, leadId, assignee: `manager:${managerId}`, kind: 'sla_reminder', title: 'Reminder' });
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
  await registryActivities(s.db).createTask({ key: `${leadId}:1`, leadId, assignee: `manager:${managerId}`, kind: 'first_contact', title: 'Call the lead' });
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
  const post = (who: 'ops' | 'partner' | 'sales' | 'team_lead', payload: Record<string, unknown>) => s.inject({ who, method: 'POST', url: '/webhooks', payload });
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
