// Work queues: who sees and completes which tasks, the filters and the cursor, completion with
// an outcome and the next task (idempotent), and tasks that the lead action itself completes.
import { seedLead, seedManager, seedPartner, uid } from '../helpers/db';
import { apiStack, leadBody, type ApiStack, type Caller } from '../helpers/api';
import { waitFor } from '../helpers/lead';

let s: ApiStack;
beforeAll(async () => {
  s = await apiStack();
  await seedManager(s.db);
});
afterAll(async () => s?.close());

const MINUTE = 60_000;
type TaskJson = {
  key: string;
  title: string;
  state: string;
  outcome: string | null;
  kind: string;
  assignee: string;
  dueAt: string | null;
  overdue: boolean;
};

/** Every task of the lead `who` sees, page by page (`limit` a page). */
async function listAll(who: Caller, query: string, limit = 200): Promise<TaskJson[]> {
  const out: TaskJson[] = [];
  let cursor: string | null = null;
  do {
    const res = await s.inject({ who, method: 'GET', url: `/tasks?${query}&limit=${limit}${cursor ? `&cursor=${cursor}` : ''}` });
    expect(res.statusCode).toBe(200);
    const body = res.json() as { items: TaskJson[]; nextCursor: string | null };
    out.push(...body.items);
    cursor = body.nextCursor;
  } while (cursor);
  return out;
}

async function seedTasks(rows: Array<{ key: string; assignee: string; kind?: string; dueAt?: Date | null; doneAt?: Date }>) {
  const leadId = await seedLead(s.db);
  await s.db.task.createMany({
    data: rows.map((r) => ({
      key: `${leadId}:${r.key}`,
      leadId,
      assignee: r.assignee,
      kind: r.kind ?? 'first_contact',
      title: r.key,
      dueAt: r.dueAt ?? null,
      doneAt: r.doneAt ?? null,
    })),
  });
  return leadId;
}

test('role matrix: each caller sees its own queue (a team lead the team’s, ops all) and completes only what it sees', async () => {
  const [pa, pb] = s.partnerIds;
  const member = await seedManager(s.db, { teamLeadId: 'tatiana' });
  const stranger = await seedManager(s.db, { teamLeadId: uid('tl') });
  const leadId = await seedTasks([
    { key: '1', assignee: 'manager:anna' },
    { key: '2', assignee: `manager:${member}` },
    { key: '3', assignee: 'team_lead:tatiana', kind: 'sla_escalation' },
    { key: '4', assignee: 'ops', kind: 'not_distributed' },
    { key: `5:${pa}`, assignee: `partner:${pa}`, kind: 'offer' },
    { key: `6:${pb}`, assignee: `partner:${pb}`, kind: 'offer' },
    { key: '7', assignee: `manager:${stranger}` },
  ]);
  const seen = async (who: Caller, extra = '') =>
    (await listAll(who, `leadId=${leadId}${extra}`)).map((t) => t.key.slice(leadId.length + 1)).sort();
  const all = ['1', '2', '3', '4', `5:${pa}`, `6:${pb}`, '7'].sort();
  expect(await seen('sales')).toEqual(['1']);
  expect(await seen('team_lead')).toEqual(['2', '3']);
  expect(await seen('ops')).toEqual(all);
  expect(await seen('admin')).toEqual(all);
  expect(await seen('partner')).toEqual([`5:${pa}`]);
  expect(await seen('partner2')).toEqual([`6:${pb}`]);
  expect(await seen('ops', '&assignee=ops')).toEqual(['4']);
  // A filter narrows what the caller sees; it never widens it.
  expect(await seen('sales', `&assignee=manager:${member}`)).toEqual([]);

  const complete = (who: Caller, key: string) =>
    s.inject({ who, method: 'POST', url: `/tasks/${encodeURIComponent(`${leadId}:${key}`)}/complete`, payload: { outcome: 'done' } });
  type Res = { statusCode: number; headers: Record<string, unknown> };
  const expectStatus = async (label: string, call: () => Promise<Res>, status: number) => {
    const res = await call();
    expect(`${label}: ${res.statusCode}`).toBe(`${label}: ${status}`);
    if (status >= 400) expect(res.headers['content-type']).toContain('application/problem+json');
  };
  await expectStatus('sales completes a team member’s task', () => complete('sales', '2'), 403);
  await expectStatus('team lead completes an outside manager’s task', () => complete('team_lead', '7'), 403);
  await expectStatus('partner completes another partner’s offer', () => complete('partner', `6:${pb}`), 404);
  await expectStatus('partner completes a manager’s task', () => complete('partner', '1'), 404);
  await expectStatus('anyone completes a task that does not exist', () => complete('ops', '999'), 404);
  await expectStatus('sales completes its own', () => complete('sales', '1'), 200);
  await expectStatus('team lead completes a team member’s', () => complete('team_lead', '2'), 200);
  await expectStatus('team lead completes its escalation', () => complete('team_lead', '3'), 200);
  await expectStatus('partner completes its own offer', () => complete('partner', `5:${pa}`), 200);
  await expectStatus('ops complete anyone’s', () => complete('ops', '7'), 200);
  await expectStatus('admin completes anyone’s', () => complete('admin', `6:${pb}`), 200);
  const done = await s.db.task.findUnique({ where: { key: `${leadId}:2` } });
  expect(done).toMatchObject({ outcome: 'done', completedBy: 'team_lead:tatiana' });
});

test('filters and paging: most urgent first (open-ended last), every task once across pages, bad input a 400', async () => {
  const now = Date.now();
  const leadId = await seedTasks([
    { key: '1', assignee: 'ops', dueAt: new Date(now + 60 * MINUTE) },
    { key: '2', assignee: 'ops', dueAt: new Date(now - 60 * MINUTE), kind: 'sla_reminder' },
    { key: '3', assignee: 'ops', dueAt: null },
    { key: '4', assignee: 'ops', dueAt: new Date(now - 120 * MINUTE), doneAt: new Date() },
    { key: '5', assignee: 'ops', dueAt: new Date(now + 60 * MINUTE) }, // same due date as 1: key decides
    { key: '6', assignee: 'ops', dueAt: new Date(now - 30 * MINUTE) },
    { key: '7', assignee: 'ops', dueAt: null },
  ]);
  const keys = (ts: TaskJson[]) => ts.map((t) => t.key.slice(leadId.length + 1));
  const order = ['4', '2', '6', '1', '5', '3', '7'];
  expect(keys(await listAll('ops', `leadId=${leadId}`))).toEqual(order);
  expect(keys(await listAll('ops', `leadId=${leadId}`, 2))).toEqual(order);
  expect(keys(await listAll('ops', `leadId=${leadId}`, 1))).toEqual(order);
  expect(keys(await listAll('ops', `leadId=${leadId}&state=open`))).toEqual(['2', '6', '1', '5', '3', '7']);
  expect(keys(await listAll('ops', `leadId=${leadId}&state=done`))).toEqual(['4']);
  const overdue = await listAll('ops', `leadId=${leadId}&overdue=true`);
  expect(keys(overdue)).toEqual(['2', '6']);
  expect(overdue.every((t) => t.overdue && t.state === 'open')).toBe(true);
  expect(keys(await listAll('ops', `leadId=${leadId}&overdue=false`))).toEqual(['4', '1', '5', '3', '7']);
  expect(keys(await listAll('ops', `leadId=${leadId}&kind=sla_reminder`))).toEqual(['2']);
  expect(keys(await listAll('ops', `leadId=${leadId}&dueBefore=${new Date(now).toISOString()}`))).toEqual(['4', '2', '6']);

  const forged = Buffer.from(JSON.stringify({ d: "x'; DROP TABLE tasks", c: '2026-01-01 00:00:00', k: 'k' })).toString('base64url');
  for (const bad of ['limit=201', 'limit=0', 'cursor=nonsense', `cursor=${forged}`, 'state=closed', 'overdue=yes', 'dueBefore=tomorrow']) {
    const res = await s.inject({ who: 'ops', method: 'GET', url: `/tasks?${bad}` });
    expect(`${bad}: ${res.statusCode}`).toBe(`${bad}: 400`);
    expect(res.headers['content-type']).toContain('application/problem+json');
  }
});

test('completing records the outcome and sets the next task; completing twice answers the same and changes nothing', async () => {
  const leadId = await seedTasks([{ key: '1', assignee: 'manager:anna', dueAt: new Date(Date.now() - MINUTE) }]);
  const url = `/tasks/${leadId}:1/complete`;
  const dueAt = new Date(Date.now() + 24 * 60 * MINUTE).toISOString();
  const payload = { outcome: 'no answer', note: 'voicemail', next: { title: 'Call again', dueAt } };
  const first = await s.inject({ method: 'POST', url, payload });
  expect(first.statusCode).toBe(200);
  expect(first.json()).toMatchObject({
    task: { key: `${leadId}:1`, state: 'done', outcome: 'no answer', note: 'voicemail', completedBy: 'sales:anna', overdue: false },
    next: { key: `${leadId}:1:next1`, leadId, assignee: 'manager:anna', kind: 'follow_up', title: 'Call again', dueAt, state: 'open' },
  });
  const again = await s.inject({ method: 'POST', url, payload: { outcome: 'reached', next: { title: 'Something else', dueAt } } });
  expect(again.statusCode).toBe(200);
  expect(again.json()).toEqual(first.json());
  expect(await s.db.task.count({ where: { leadId } })).toBe(2);

  // The follow-up completed with its own next: the chain goes on, one open task at a time.
  const second = await s.inject({
    method: 'POST',
    url: `/tasks/${leadId}:1:next1/complete`,
    payload: { outcome: 'reached', next: { title: 'Send the proposal', dueAt } },
  });
  expect(second.json().next).toMatchObject({ key: `${leadId}:1:next2`, kind: 'follow_up', state: 'open' });
  expect((await listAll('sales', `leadId=${leadId}&state=open`)).map((t) => t.title)).toEqual(['Send the proposal']);

  const invalid = await s.inject({
    method: 'POST',
    url: `/tasks/${leadId}:1:next2/complete`,
    payload: { outcome: '', next: { title: 'x', dueAt: 'soon' } },
  });
  expect(invalid.statusCode).toBe(400);
  expect([...new Set(invalid.json().errors.map((e: { path: string }) => e.path))].sort()).toEqual(['body.next.dueAt', 'body.outcome']);
});

test('the lead action a task stands for completes it: the call, the consent, the partner’s answer', async () => {
  const topic = uid('crm');
  const [pa] = s.partnerIds;
  await seedPartner(s.db, { id: pa, expertise: [topic], grade: 5 }).catch(() =>
    s.db.partner.update({ where: { id: pa }, data: { expertise: { push: topic } } }),
  );
  const { leadId } = (await s.inject({ method: 'POST', url: '/leads', payload: leadBody({ topic }) })).json();
  const tasks = async () => listAll('ops', `leadId=${leadId}`);
  const task = async (kind: string) => (await tasks()).find((t) => t.kind === kind);
  await waitFor(async () => (await task('first_contact'))?.state === 'open');
  expect((await task('first_contact'))?.dueAt).not.toBeNull();

  expect((await s.inject({ method: 'POST', url: `/leads/${leadId}/contact`, payload: { outcome: 'reached' } })).statusCode).toBe(200);
  await waitFor(async () => (await task('first_contact'))?.state === 'done');
  expect(await task('first_contact')).toMatchObject({ outcome: 'contacted' });

  const qualify = { target: true, route: 'partner', reason: 'not ours', compare: 1 };
  expect((await s.inject({ method: 'POST', url: `/leads/${leadId}/qualify`, payload: qualify })).statusCode).toBe(200);
  await waitFor(async () => (await task('request_consent'))?.state === 'open');
  const consent = await s.inject({
    method: 'POST',
    url: `/leads/${leadId}/consent`,
    payload: { given: true, askedBy: 'sales:anna', channel: 'phone', wording: 'May I pass your contacts to a colleague?' },
  });
  expect(consent.statusCode).toBe(200);
  await waitFor(async () => (await task('request_consent'))?.state === 'done');

  await waitFor(async () => (await listAll('partner', `leadId=${leadId}&kind=offer&state=open`)).length === 1);
  const answer = await s.inject({
    who: 'partner',
    method: 'POST',
    url: `/leads/${leadId}/partner-response`,
    payload: { partnerId: pa, accepted: true },
  });
  expect(answer.statusCode).toBe(200);
  await waitFor(async () => (await listAll('partner', `leadId=${leadId}&kind=offer`))[0]?.state === 'done');
  expect((await listAll('partner', `leadId=${leadId}&kind=offer`))[0]).toMatchObject({
    outcome: 'partner_accepted',
    assignee: `partner:${pa}`,
  });
});
