// The roster over the API: teams, managers, absences; who may change what (a team lead only
// their own team), bad input answered clearly, and assignment honouring what the roster says.
import { apiStack, type ApiStack, type Caller, leadBody } from '../helpers/api';
import { seedManager, uid } from '../helpers/db';
import { waitFor } from '../helpers/lead';

let s: ApiStack;
/** The team lead caller (subject "tatiana") as a manager, and the team they lead. */
let tatiana: string;
let ownTeam: string;
let otherTeam: string;

beforeAll(async () => {
  s = await apiStack();
  // The credential subject links the team-lead caller to a manager row; earlier runs may have made it.
  const me = await s.db.manager.findUnique({ where: { apiSubject: 'tatiana' } });
  tatiana =
    me?.id ??
    (await s.inject({ who: 'admin', method: 'POST', url: '/managers', payload: { name: 'Tatiana', apiSubject: 'tatiana' } })).json().id;
  ownTeam = (
    await s.inject({ who: 'ops', method: 'POST', url: '/teams', payload: { id: uid('north'), name: 'North', leadId: tatiana } })
  ).json().id;
  otherTeam = (await s.inject({ who: 'ops', method: 'POST', url: '/teams', payload: { id: uid('south'), name: 'South' } })).json().id;
});
afterAll(async () => s?.close());

const expectStatus = async (
  label: string,
  call: (who: Caller) => Promise<{ statusCode: number; body: string }>,
  expected: Partial<Record<Caller, number>>,
) => {
  for (const [who, status] of Object.entries(expected) as [Caller, number][]) {
    const res = await call(who);
    expect(`${label} as ${who}: ${res.statusCode}`).toBe(`${label} as ${who}: ${status}`);
  }
};

test('role matrix: admin and ops run the roster, a team lead only their own team, sales and partners nothing', async () => {
  const manager = (teamId: string) => ({
    name: 'Pavel',
    teamId,
    expertise: ['crm'],
    territory: ['msk'],
    capacity: 5,
    email: 'pavel@example.com',
  });
  await expectStatus('POST /teams', (who) => s.inject({ who, method: 'POST', url: '/teams', payload: { name: 'East' } }), {
    admin: 201,
    ops: 201,
    team_lead: 403,
    sales: 403,
    partner: 403,
  });
  await expectStatus('GET /teams', (who) => s.inject({ who, method: 'GET', url: '/teams' }), {
    admin: 200,
    ops: 200,
    team_lead: 200,
    sales: 403,
    partner: 403,
  });
  await expectStatus('GET own team', (who) => s.inject({ who, method: 'GET', url: `/teams/${ownTeam}` }), { team_lead: 200, ops: 200 });
  await expectStatus('GET other team', (who) => s.inject({ who, method: 'GET', url: `/teams/${otherTeam}` }), { team_lead: 403, ops: 200 });
  await expectStatus(
    'PATCH own team',
    (who) => s.inject({ who, method: 'PATCH', url: `/teams/${ownTeam}`, payload: { name: 'North-West' } }),
    { team_lead: 200, ops: 200, sales: 403 },
  );
  await expectStatus('PATCH other team', (who) => s.inject({ who, method: 'PATCH', url: `/teams/${otherTeam}`, payload: { name: 'S' } }), {
    team_lead: 403,
    admin: 200,
  });
  await expectStatus(
    'a team lead appoints a lead',
    (who) => s.inject({ who, method: 'PATCH', url: `/teams/${ownTeam}`, payload: { leadId: null } }),
    { team_lead: 403 },
  );

  await expectStatus(
    'POST /managers to own team',
    (who) => s.inject({ who, method: 'POST', url: '/managers', payload: manager(ownTeam) }),
    { admin: 201, ops: 201, team_lead: 201, sales: 403, partner: 403 },
  );
  await expectStatus(
    'POST /managers to other team',
    (who) => s.inject({ who, method: 'POST', url: '/managers', payload: manager(otherTeam) }),
    { team_lead: 403, ops: 201 },
  );
  await expectStatus('POST /managers to no team', (who) => s.inject({ who, method: 'POST', url: '/managers', payload: { name: 'Solo' } }), {
    team_lead: 403,
  });

  const mine = (await s.inject({ who: 'ops', method: 'POST', url: '/managers', payload: manager(ownTeam) })).json().id as string;
  const theirs = (await s.inject({ who: 'ops', method: 'POST', url: '/managers', payload: manager(otherTeam) })).json().id as string;
  await expectStatus('GET /managers', (who) => s.inject({ who, method: 'GET', url: '/managers' }), {
    admin: 200,
    ops: 200,
    team_lead: 200,
    sales: 403,
    partner: 403,
  });
  const listed = (await s.inject({ who: 'team_lead', method: 'GET', url: '/managers' })).json().items.map((m: { id: string }) => m.id);
  expect(listed).toContain(mine);
  expect(listed).not.toContain(theirs);
  await expectStatus('GET own manager', (who) => s.inject({ who, method: 'GET', url: `/managers/${mine}` }), {
    team_lead: 200,
    sales: 403,
  });
  await expectStatus('GET other manager', (who) => s.inject({ who, method: 'GET', url: `/managers/${theirs}` }), {
    team_lead: 403,
    ops: 200,
  });
  await expectStatus('PATCH own manager', (who) => s.inject({ who, method: 'PATCH', url: `/managers/${mine}`, payload: { capacity: 7 } }), {
    team_lead: 200,
    ops: 200,
    sales: 403,
    partner: 403,
  });
  await expectStatus(
    'PATCH other manager',
    (who) => s.inject({ who, method: 'PATCH', url: `/managers/${theirs}`, payload: { capacity: 7 } }),
    { team_lead: 403 },
  );
  await expectStatus(
    'move own manager to another team',
    (who) => s.inject({ who, method: 'PATCH', url: `/managers/${mine}`, payload: { teamId: otherTeam } }),
    { team_lead: 403 },
  );
  const vacation = { kind: 'vacation', from: '2030-07-01T00:00:00Z', until: '2030-07-15T00:00:00Z' };
  await expectStatus(
    'absence of other manager',
    (who) => s.inject({ who, method: 'POST', url: `/managers/${theirs}/absences`, payload: vacation }),
    { team_lead: 403, sales: 403, partner: 403 },
  );
  await expectStatus(
    'absence of own manager',
    (who) => s.inject({ who, method: 'POST', url: `/managers/${mine}/absences`, payload: vacation }),
    { team_lead: 201, ops: 201 },
  );
  await expectStatus('deactivate other manager', (who) => s.inject({ who, method: 'POST', url: `/managers/${theirs}/deactivate` }), {
    team_lead: 403,
    sales: 403,
  });
  await expectStatus('deactivate own manager', (who) => s.inject({ who, method: 'POST', url: `/managers/${mine}/deactivate` }), {
    team_lead: 200,
  });
});

test('a manager carries team, team lead, expertise, territory, capacity, e-mail and credential subject', async () => {
  const subject = uid('pavel');
  const res = await s.inject({
    who: 'ops',
    method: 'POST',
    url: '/managers',
    payload: {
      name: 'Pavel',
      teamId: ownTeam,
      teamLeadId: tatiana,
      expertise: ['crm'],
      territory: ['msk'],
      capacity: 3,
      email: 'p@example.com',
      apiSubject: subject,
    },
  });
  expect(res.statusCode).toBe(201);
  const m = res.json();
  expect(m).toMatchObject({
    name: 'Pavel',
    teamId: ownTeam,
    teamLeadId: tatiana,
    expertise: ['crm'],
    territory: ['msk'],
    capacity: 3,
    email: 'p@example.com',
    apiSubject: subject,
    active: true,
    away: false,
    openLeads: 0,
    absences: [],
  });
  expect((await s.inject({ who: 'ops', method: 'GET', url: `/teams/${ownTeam}` })).json().managers).toContain(m.id);
  const patched = await s.inject({
    who: 'ops',
    method: 'PATCH',
    url: `/managers/${m.id}`,
    payload: { capacity: null, territory: ['spb'] },
  });
  expect(patched.json()).toMatchObject({ capacity: null, territory: ['spb'], leadsReassigned: 0 });
  // The same credential subject cannot identify two people.
  const twice = await s.inject({ who: 'ops', method: 'POST', url: '/managers', payload: { name: 'Other', apiSubject: subject } });
  expect(twice.statusCode).toBe(409);
  expect(twice.headers['content-type']).toContain('application/problem+json');
});

test('bad input: unknown team or manager is a 422 naming the field, a bad body a 400, an unknown id a 404', async () => {
  const unknownTeam = await s.inject({ who: 'ops', method: 'POST', url: '/managers', payload: { name: 'X', teamId: 'no-such-team' } });
  expect(unknownTeam.statusCode).toBe(422);
  expect(unknownTeam.json()).toMatchObject({ type: expect.stringContaining('unknown-team'), errors: [{ path: 'body.teamId' }] });
  const unknownLead = await s.inject({ who: 'ops', method: 'POST', url: '/teams', payload: { name: 'X', leadId: 'no-such-manager' } });
  expect(unknownLead.statusCode).toBe(422);
  expect(unknownLead.json()).toMatchObject({ type: expect.stringContaining('unknown-manager'), errors: [{ path: 'body.leadId' }] });
  const badCapacity = await s.inject({ who: 'ops', method: 'POST', url: '/managers', payload: { name: 'X', capacity: -1 } });
  expect(badCapacity.statusCode).toBe(400);
  expect(badCapacity.json().errors[0].path).toContain('capacity');
  const badMail = await s.inject({ who: 'ops', method: 'POST', url: '/managers', payload: { name: 'X', email: 'not-an-address' } });
  expect(badMail.statusCode).toBe(400);
  expect((await s.inject({ who: 'ops', method: 'GET', url: '/managers/nobody-here' })).statusCode).toBe(404);
  expect((await s.inject({ who: 'ops', method: 'PATCH', url: '/teams/nothing-here', payload: { name: 'Y' } })).statusCode).toBe(404);
  const m = (await s.inject({ who: 'ops', method: 'POST', url: '/managers', payload: { name: 'Vera' } })).json().id;
  const noEnd = await s.inject({
    who: 'ops',
    method: 'POST',
    url: `/managers/${m}/absences`,
    payload: { kind: 'vacation', from: '2030-01-01T00:00:00Z' },
  });
  expect(noEnd.statusCode).toBe(400);
  const backwards = await s.inject({
    who: 'ops',
    method: 'POST',
    url: `/managers/${m}/absences`,
    payload: { kind: 'vacation', from: '2030-01-10T00:00:00Z', until: '2030-01-01T00:00:00Z' },
  });
  expect(backwards.statusCode).toBe(422);
});

test('a sick leave is open-ended and away now; "back" ends it once; a coming vacation is listed but not away yet', async () => {
  const m = (await s.inject({ who: 'ops', method: 'POST', url: '/managers', payload: { name: 'Igor', teamId: ownTeam } })).json().id;
  const sick = await s.inject({ who: 'team_lead', method: 'POST', url: `/managers/${m}/absences`, payload: { kind: 'sick_leave' } });
  expect(sick.statusCode).toBe(201);
  expect(sick.json()).toMatchObject({
    away: true,
    leadsReassigned: 0,
    absences: [{ kind: 'sick_leave', until: null, current: true, createdBy: 'team_lead:tatiana' }],
  });
  const absenceId = sick.json().absences[0].id;
  const back = await s.inject({ who: 'team_lead', method: 'POST', url: `/managers/${m}/absences/${absenceId}/end` });
  expect(back.statusCode).toBe(200);
  expect(back.json()).toMatchObject({ away: false, absences: [] });
  const again = await s.inject({ who: 'team_lead', method: 'POST', url: `/managers/${m}/absences/${absenceId}/end` });
  expect(again.statusCode).toBe(409);
  const coming = await s.inject({
    who: 'ops',
    method: 'POST',
    url: `/managers/${m}/absences`,
    payload: { kind: 'vacation', from: '2031-08-01T00:00:00+03:00', until: '2031-08-20T00:00:00+03:00' },
  });
  expect(coming.json()).toMatchObject({ away: false, absences: [{ kind: 'vacation', current: false, from: '2031-07-31T21:00:00.000Z' }] });
});

test("a sick leave that starts now, or a deactivation, sends the manager's open leads to others, with the reason in the history", async () => {
  await seedManager(s.db); // someone else is free
  const away = (await s.inject({ who: 'ops', method: 'POST', url: '/managers', payload: { name: 'Olga', teamId: ownTeam } })).json()
    .id as string;
  const { leadId } = (await s.inject({ method: 'POST', url: '/leads', payload: leadBody() })).json();
  let owner: string | undefined;
  await waitFor(async () => !!(owner = (await s.inject({ method: 'GET', url: `/leads/${leadId}` })).json().managerId));
  // Olga has no load, so the assignment may already have picked her; a reassignment to the owner is refused (409).
  if (owner !== away) {
    expect(
      (await s.inject({ who: 'ops', method: 'POST', url: `/leads/${leadId}/reassign`, payload: { managerId: away, reason: 'her client' } }))
        .statusCode,
    ).toBe(200);
  }
  await waitFor(async () => (await s.db.lead.findUnique({ where: { id: leadId } }))?.managerId === away);

  const sick = await s.inject({ who: 'team_lead', method: 'POST', url: `/managers/${away}/absences`, payload: { kind: 'sick_leave' } });
  expect(sick.json()).toMatchObject({ away: true, leadsReassigned: 1 });
  await waitFor(async () => {
    const lead = await s.db.lead.findUnique({ where: { id: leadId } });
    return !!lead?.managerId && lead.managerId !== away;
  });
  const history = (await s.inject({ method: 'GET', url: `/leads/${leadId}/history` })).json();
  const reasons = history.items.map((h: { reason?: string }) => h.reason);
  expect(reasons).toContainEqual(expect.stringContaining(`manager away (sick leave) (was ${away})`));
  // Deactivating a manager with no open leads left reassigns nothing.
  expect((await s.inject({ who: 'ops', method: 'POST', url: `/managers/${away}/deactivate` })).json()).toMatchObject({
    active: false,
    leadsReassigned: 0,
  });
});
