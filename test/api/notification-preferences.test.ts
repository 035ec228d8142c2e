// Each person's notification preferences over the API (who may read and set whose; bad input
// answered with the field named) and at delivery, with a real SMTP server (smtp-server, in
// process) and a real HTTP receiver: a mail held by quiet hours goes out when they end, a channel
// turned off or a muted kind is suppressed and visible to ops, a change applies to what waits,
// a stop-contact order always goes, and people without preferences get what they got before.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { registryActivities } from '../../activities/registry';
import { notificationActivities } from '../../notifications/deliver';
import { startMailCatcher, type MailCatcher } from '../../scripts/lib/mail-catcher';
import { apiStack, type ApiStack, type Caller } from '../helpers/api';
import { seedLead, seedManager, seedPartner, uid } from '../helpers/db';

jest.setTimeout(60_000);

let s: ApiStack;
let mail: MailCatcher;
let receiver: Server;
let receiverUrl: string;
const hooks: string[] = [];
/** The roster entries of the sales ("anna") and team-lead ("tatiana") callers. */
let anna: string;
let tatiana: string;
let ownManager: string;
let otherManager: string;

/** The manager a caller's credential subject identifies; made (inactive: it takes no leads) if no test file made it before. */
async function rosterEntryOf(subject: string): Promise<string> {
  const find = () => s.db.manager.findFirst({ where: { OR: [{ apiSubject: subject }, { id: subject }] }, orderBy: { apiSubject: 'asc' } });
  const found = await find();
  if (found) return found.id;
  await s.db.manager
    .create({ data: { id: uid(subject), name: subject, apiSubject: subject, active: false, expertise: [], territory: [] } })
    .catch(() => undefined); // a test file running alongside made it first
  return (await find())!.id;
}

beforeAll(async () => {
  process.env.ALLOW_PRIVATE_WEBHOOKS = 'true';
  delete process.env.NOTIFY_LANGUAGE;
  mail = await startMailCatcher();
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      hooks.push(Buffer.concat(chunks).toString('utf8'));
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;
  s = await apiStack();
  anna = await rosterEntryOf('anna');
  tatiana = await rosterEntryOf('tatiana');
  // Earlier runs may have left preferences of the two callers: each test starts from the defaults.
  await s.db.notificationPreference.deleteMany({ where: { person: { in: [`manager:${anna}`, `manager:${tatiana}`] } } });
  const team = uid('north');
  await s.db.team.create({ data: { id: team, name: 'North', leadId: tatiana } });
  ownManager = await seedManager(s.db, { active: false });
  otherManager = await seedManager(s.db, { active: false });
  await s.db.manager.update({ where: { id: ownManager }, data: { teamId: team } });
  await seedPartner(s.db, { id: s.partnerIds[0], expertise: [] });
});
afterAll(async () => {
  await s?.close();
  await mail?.close();
  await new Promise((r) => receiver?.close(r));
});

type Call = (who: Caller) => Promise<{ statusCode: number }>;
const expectStatus = async (label: string, call: Call, expected: Partial<Record<Caller, number>>) => {
  for (const [who, status] of Object.entries(expected) as [Caller, number][]) {
    const res = await call(who);
    expect(`${label} as ${who}: ${res.statusCode}`).toBe(`${label} as ${who}: ${status}`);
  }
};

const QUIET = { quietHours: { from: '20:00', to: '09:00' } };

test('role matrix: each person their own; ops and admin anyone; a team lead their team’s managers; a partner only itself', async () => {
  const put = (url: string) => (who: Caller) => s.inject({ who, method: 'PUT', url, payload: QUIET });
  const get = (url: string) => (who: Caller) => s.inject({ who, method: 'GET', url });
  await expectStatus('GET /me', get('/me/notification-preferences'), { sales: 200, team_lead: 200, partner: 200, partner2: 404 });
  await expectStatus('PUT /me', put('/me/notification-preferences'), { sales: 200, team_lead: 200, partner: 200 });
  await expectStatus('GET own team’s manager', get(`/managers/${ownManager}/notification-preferences`), {
    admin: 200,
    ops: 200,
    team_lead: 200,
    sales: 403,
    partner: 403,
  });
  await expectStatus('PUT own team’s manager', put(`/managers/${ownManager}/notification-preferences`), {
    admin: 200,
    ops: 200,
    team_lead: 200,
    sales: 403,
    partner: 403,
  });
  const other = `/managers/${otherManager}/notification-preferences`;
  await expectStatus('GET another team’s manager', get(other), { team_lead: 403, ops: 200 });
  await expectStatus('PUT another team’s manager', put(other), { team_lead: 403, admin: 200 });
  await expectStatus('GET a partner’s', get(`/partners/${s.partnerIds[0]}/notification-preferences`), {
    admin: 200,
    ops: 200,
    team_lead: 403,
    sales: 403,
    partner: 403,
    partner2: 403,
  });
  await expectStatus('PUT a partner’s', put(`/partners/${s.partnerIds[0]}/notification-preferences`), {
    admin: 200,
    ops: 200,
    team_lead: 403,
    sales: 403,
    partner: 403,
  });
  await expectStatus('unknown manager', get('/managers/nobody-here/notification-preferences'), { ops: 404 });
  await expectStatus('unknown partner', put('/partners/nobody-here/notification-preferences'), { ops: 404 });
  // A staff credential that identifies nobody on the roster has no preferences to set.
  const none = await s.inject({ who: 'admin', method: 'GET', url: '/me/notification-preferences' });
  expect(none.statusCode).toBe(404);
  expect(none.json()).toMatchObject({ type: expect.stringContaining('not-on-roster') });
  expect(none.headers['content-type']).toContain('application/problem+json');
});

test('the caller’s own preferences: defaults until set, then what was set — the same seen by ops on the roster', async () => {
  await s.db.notificationPreference.deleteMany({ where: { person: `manager:${anna}` } });
  const before = await s.inject({ method: 'GET', url: '/me/notification-preferences' });
  expect(before.json()).toEqual({
    person: `manager:${anna}`,
    stored: false,
    email: true,
    webhooks: true,
    language: null,
    mutedKinds: [],
    timeZone: 'Europe/Moscow',
    quietHours: null,
    workingHoursOnly: false,
    updatedAt: null,
    updatedBy: null,
    neverHeld: ['stop_contact'],
  });
  const set = await s.inject({
    method: 'PUT',
    url: '/me/notification-preferences',
    payload: {
      webhooks: false,
      language: 'en',
      mutedKinds: ['task_due', 'task_due'],
      timeZone: 'asia/yekaterinburg',
      quietHours: { from: '21:30', to: '08:00' },
    },
  });
  expect(set.statusCode).toBe(200);
  const expected = {
    person: `manager:${anna}`,
    stored: true,
    email: true,
    webhooks: false,
    language: 'en',
    mutedKinds: ['task_due'],
    timeZone: 'Asia/Yekaterinburg',
    quietHours: { from: '21:30', to: '08:00' },
    workingHoursOnly: false,
    updatedBy: 'sales:anna',
  };
  expect(set.json()).toMatchObject({ ...expected, released: 0 });
  expect((await s.inject({ method: 'GET', url: '/me/notification-preferences' })).json()).toMatchObject(expected);
  expect((await s.inject({ who: 'ops', method: 'GET', url: `/managers/${anna}/notification-preferences` })).json()).toMatchObject(expected);
  // PUT is the whole set: what is left out goes back to its default.
  const reset = await s.inject({ method: 'PUT', url: '/me/notification-preferences', payload: {} });
  expect(reset.json()).toMatchObject({ stored: true, webhooks: true, language: null, mutedKinds: [], quietHours: null });
});

test('bad input: unknown time zone or kind, quiet hours of zero length or all day → 422 naming the field; a bad shape → 400', async () => {
  const put = (payload: Record<string, unknown>) => s.inject({ method: 'PUT', url: '/me/notification-preferences', payload });
  const unprocessable = async (payload: Record<string, unknown>, type: string, path: string) => {
    const res = await put(payload);
    expect(res.statusCode).toBe(422);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json()).toMatchObject({ type: expect.stringContaining(type), errors: [expect.objectContaining({ path })] });
  };
  await unprocessable({ timeZone: 'Mars/Olympus_Mons' }, 'unknown-time-zone', 'body.timeZone');
  await unprocessable({ quietHours: { from: '09:00', to: '09:00' } }, 'invalid-quiet-hours', 'body.quietHours');
  await unprocessable({ quietHours: { from: '00:00', to: '24:00' } }, 'invalid-quiet-hours', 'body.quietHours');
  await unprocessable({ quietHours: { from: '08:00', to: '19:00' }, workingHoursOnly: true }, 'invalid-quiet-hours', 'body.quietHours');
  await unprocessable({ mutedKinds: ['offer', 'carrier_pigeon'] }, 'unknown-task-kind', 'body.mutedKinds.1');
  await unprocessable({ mutedKinds: ['stop_contact'] }, 'task-kind-not-mutable', 'body.mutedKinds.0');
  const malformed = [
    { quietHours: { from: '25:00', to: '09:00' } },
    { quietHours: { from: '20:00' } },
    { language: 'de' },
    { email: 'yes' },
    { colour: 'red' },
  ];
  for (const bad of malformed) {
    const res = await put(bad);
    expect(`${JSON.stringify(bad)}: ${res.statusCode}`).toBe(`${JSON.stringify(bad)}: 400`);
  }
  // Nothing of the refused requests was stored.
  const kept = await s.inject({ method: 'GET', url: '/me/notification-preferences' });
  expect(kept.json()).toMatchObject({ timeZone: 'Europe/Moscow', mutedKinds: [] });
});

// --- delivery --------------------------------------------------------------------------------------

/**
 * The tests' instants, written for the week of 2026-12-01 and moved on by whole 52-week years until
 * they are after the machine's "now" (rows written now must be due at them): the same weekdays and
 * Moscow hours, and early December, far from any public holiday of the calendar. (Fixed, they ran
 * out at 20:00 UTC on 2026-12-01.)
 */
const YEAR_OF_WEEKS_MS = 364 * 86_400_000;
const shift =
  Math.max(0, Math.ceil((Date.now() + 3_600_000 - Date.parse('2026-12-01T20:00:00.000Z')) / YEAR_OF_WEEKS_MS)) * YEAR_OF_WEEKS_MS;
const at = (iso: string) => new Date(Date.parse(iso) + shift).toISOString();
/** 23:00 in Moscow on a Tuesday. */
const NIGHT = at('2026-12-01T20:00:00.000Z');
const MORNING = at('2026-12-02T06:00:00.000Z'); // 09:00 Moscow
const acts = () => notificationActivities(s.db, () => ({ smtpUrl: mail.url, from: 'engine@example.test' }));

/** A manager with an e-mail address and a task for them; returns the lead and the manager. */
async function managerWithTask(kind = 'first_contact', title = 'Call the lead') {
  const managerId = await seedManager(s.db, { active: false });
  const email = `${managerId}@example.test`;
  await s.db.manager.update({ where: { id: managerId }, data: { email } });
  const leadId = await seedLead(s.db);
  await registryActivities(s.db).createTask({ key: `${leadId}:1`, leadId, assignee: `manager:${managerId}`, kind, title });
  return { leadId, managerId, email };
}
// By subject (every template names the lead there): a mostly Cyrillic body is base64 in the raw message.
const mailsAbout = (leadId: string) => mail.messages.filter((m) => m.subject.endsWith(leadId.slice(0, 8)));
/** PUT a manager's preferences, as ops. */
const setFor = (managerId: string, payload: Record<string, unknown>) =>
  s.inject({ who: 'ops', method: 'PUT', url: `/managers/${managerId}/notification-preferences`, payload });
const row = async (leadId: string, channel = 'email') => s.db.notification.findFirstOrThrow({ where: { leadId, channel } });

test('a mail in the quiet hours is held, not dropped, and goes out when they end — in the language of the preferences', async () => {
  const { leadId, managerId, email } = await managerWithTask();
  const prefs = await setFor(managerId, { ...QUIET, language: 'en' });
  expect(prefs.statusCode).toBe(200);
  const a = acts();
  const [id] = await a.claimDueNotifications({ leadId, now: NIGHT });
  expect(await a.deliverNotification(id!, NIGHT)).toMatchObject({ status: 'held' });
  expect(mailsAbout(leadId)).toHaveLength(0);
  const held = await row(leadId);
  expect(held).toMatchObject({ status: 'pending', attempts: 0, lastError: null });
  expect(held).toMatchObject({ heldUntil: new Date(MORNING), nextAttemptAt: new Date(MORNING) });
  expect(held.giveUpAt.getTime()).toBeGreaterThanOrEqual(Date.parse(MORNING) + 24 * 3_600_000); // 24 h of retries from when it may go
  // Visible to ops: held until when, and why.
  const listed = (await s.inject({ who: 'ops', method: 'GET', url: `/notifications?leadId=${leadId}` })).json().items;
  expect(listed).toEqual([
    expect.objectContaining({
      status: 'pending',
      heldUntil: MORNING,
      reason: `held for manager:${managerId} until ${MORNING} (quiet hours 20:00–09:00 Europe/Moscow)`,
    }),
  ]);

  expect(await a.claimDueNotifications({ leadId, now: at('2026-12-02T05:59:00.000Z') })).toEqual([]); // 08:59: still quiet
  expect(await a.claimDueNotifications({ leadId, now: MORNING })).toEqual([id]);
  expect(await a.deliverNotification(id!, MORNING)).toMatchObject({ status: 'sent' });
  const got = mailsAbout(leadId);
  expect(got).toHaveLength(1);
  expect(got[0]!.to).toEqual([email]);
  expect(got[0]!.subject).toBe(`Call the lead — Lead ${leadId.slice(0, 8)}`); // English, though NOTIFY_LANGUAGE is unset (ru)
  expect(await row(leadId)).toMatchObject({ status: 'sent', attempts: 1, heldUntil: null });
});

test('"only in working hours": a task on a Friday evening waits for Monday 09:00 Moscow', async () => {
  const { leadId, managerId } = await managerWithTask();
  await setFor(managerId, { workingHoursOnly: true });
  const friday = at('2026-12-04T16:00:00.000Z'); // 19:00
  const [id] = await acts().claimDueNotifications({ leadId, now: friday });
  expect(await acts().deliverNotification(id!, friday)).toMatchObject({ status: 'held' });
  expect(await row(leadId)).toMatchObject({ heldUntil: new Date(at('2026-12-07T06:00:00.000Z')) });
});

test('a channel turned off or a muted task kind is not sent: suppressed, with the reason, listed for ops', async () => {
  const off = await managerWithTask();
  await setFor(off.managerId, { email: false });
  const muted = await managerWithTask('sla_reminder', 'Reminder');
  await registryActivities(s.db).createTask({
    key: `${muted.leadId}:2`,
    leadId: muted.leadId,
    assignee: `manager:${muted.managerId}`,
    kind: 'first_contact',
    title: 'Call',
  });
  await setFor(muted.managerId, { mutedKinds: ['sla_reminder'] });

  const a = acts();
  const [offId] = await a.claimDueNotifications({ leadId: off.leadId });
  expect(await a.deliverNotification(offId!)).toEqual({
    id: offId,
    status: 'suppressed',
    reason: `e-mail is off in the preferences of manager:${off.managerId}`,
  });
  const results = await Promise.all((await a.claimDueNotifications({ leadId: muted.leadId })).map((id) => a.deliverNotification(id)));
  expect(results.map((r) => r.status).sort()).toEqual(['sent', 'suppressed']);
  expect(mailsAbout(off.leadId)).toHaveLength(0);
  // Only the first_contact one:
  expect(mailsAbout(muted.leadId).map((m) => m.subject)).toEqual([`Позвоните клиенту — Лид ${muted.leadId.slice(0, 8)}`]);

  for (const { leadId, reason } of [
    { leadId: off.leadId, reason: `e-mail is off in the preferences of manager:${off.managerId}` },
    { leadId: muted.leadId, reason: `task kind sla_reminder is muted in the preferences of manager:${muted.managerId}` },
  ]) {
    const res = await s.inject({ who: 'ops', method: 'GET', url: `/notifications?status=suppressed&leadId=${leadId}` });
    expect(res.json().items).toEqual([expect.objectContaining({ status: 'suppressed', reason, attempts: 0, sentAt: null })]);
  }
  expect(await a.claimDueNotifications({ leadId: off.leadId })).toEqual([]); // decided: never claimed again
});

test('people without preferences get what they got before: sent at once, at any hour, in the language of the settings', async () => {
  const plain = await managerWithTask();
  const managerId = await seedManager(s.db, { active: false });
  await s.db.manager.update({ where: { id: managerId }, data: { email: `${managerId}@example.test` } });
  const leadId = await seedLead(s.db);
  process.env.NOTIFY_LANGUAGES = `manager:${managerId}=en`; // the settings stay the fallback
  try {
    const task = { key: `${leadId}:1`, leadId, assignee: `manager:${managerId}`, kind: 'first_contact', title: 'Call' };
    await registryActivities(s.db).createTask(task);
  } finally {
    delete process.env.NOTIFY_LANGUAGES;
  }
  const a = acts();
  for (const l of [plain.leadId, leadId]) {
    const [id] = await a.claimDueNotifications({ leadId: l, now: NIGHT });
    expect(await a.deliverNotification(id!, NIGHT)).toEqual({ id, status: 'sent' });
  }
  expect(mailsAbout(plain.leadId)[0]!.subject).toBe(`Позвоните клиенту — Лид ${plain.leadId.slice(0, 8)}`);
  expect(mailsAbout(leadId)[0]!.subject).toBe(`Call the lead — Lead ${leadId.slice(0, 8)}`);
  expect(await row(plain.leadId)).toMatchObject({ status: 'sent', heldUntil: null, reason: null });
});

test('a change applies to what waits: quiet hours lifted release the held mail, e-mail turned off stops a queued one', async () => {
  const held = await managerWithTask();
  await setFor(held.managerId, QUIET);
  const a = acts();
  const [id] = await a.claimDueNotifications({ leadId: held.leadId, now: NIGHT });
  expect(await a.deliverNotification(id!, NIGHT)).toMatchObject({ status: 'held' });
  const lifted = await setFor(held.managerId, {});
  expect(lifted.json()).toMatchObject({ released: 1, quietHours: null });
  expect(await a.claimDueNotifications({ leadId: held.leadId, now: NIGHT })).toEqual([id]); // due again, before the morning
  expect(await a.deliverNotification(id!, NIGHT)).toMatchObject({ status: 'sent' });
  expect(mailsAbout(held.leadId)).toHaveLength(1);

  // Written while e-mail was on, decided when it is delivered.
  const queued = await managerWithTask();
  await setFor(queued.managerId, { email: false });
  const [qid] = await a.claimDueNotifications({ leadId: queued.leadId });
  expect(await a.deliverNotification(qid!)).toMatchObject({ status: 'suppressed' });
  expect(mailsAbout(queued.leadId)).toHaveLength(0);
});

test('a stop-contact order reaches a partner at once on every channel, whatever its preferences; its offer follows them', async () => {
  const partnerId = s.partnerIds[0];
  await s.db.partner.update({ where: { id: partnerId }, data: { handoffEmail: `${partnerId}@example.test` } });
  expect((await s.inject({ who: 'partner', method: 'POST', url: '/webhooks', payload: { url: receiverUrl } })).statusCode).toBe(201);
  const payload = { email: false, webhooks: false, ...QUIET };
  const own = await s.inject({ who: 'partner', method: 'PUT', url: '/me/notification-preferences', payload });
  expect(own.statusCode).toBe(200);
  const leadId = await seedLead(s.db);
  const reg = registryActivities(s.db);
  await reg.createTask({ key: `${leadId}:1`, leadId, assignee: `partner:${partnerId}`, kind: 'offer', title: 'An offer', dueAt: MORNING });
  await reg.createTask({ key: `${leadId}:2`, leadId, assignee: `partner:${partnerId}`, kind: 'stop_contact', title: 'Stop all contact' });

  const a = acts();
  const ids = await a.claimDueNotifications({ leadId, now: NIGHT });
  expect(ids).toHaveLength(4); // e-mail and webhook, for each task
  await Promise.all(ids.map((id) => a.deliverNotification(id, NIGHT)));
  const rows = await s.db.notification.findMany({ where: { leadId }, orderBy: [{ template: 'asc' }, { channel: 'asc' }] });
  expect(rows.map((r) => `${r.template} ${r.channel} ${r.status}`)).toEqual([
    'offer email suppressed',
    'offer webhook suppressed',
    'stop_contact email sent',
    'stop_contact webhook sent',
  ]);
  expect(mailsAbout(leadId).map((m) => m.to)).toEqual([[`${partnerId}@example.test`]]);
  expect(hooks.filter((h) => h.includes(leadId)).map((h) => (JSON.parse(h) as { type: string }).type)).toEqual(['task.stop_contact']);
});
