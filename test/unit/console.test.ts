// The console's pure parts: escaping, forms from the API's zod schemas, the language, and which
// actions a lead card offers in each stage (asked of the lifecycle).
import { z } from 'zod';
import * as A from '../../domain/actions';
import { initialState, type LeadState } from '../../domain/lifecycle';
import { unlinkedSubjects } from '../../api/console/entry-forms';
import { bodyOf, fieldErrors, formsOf } from '../../api/console/forms';
import { PartnerInput } from '../../api/plugins/partners';
import { ManagerInput } from '../../api/roster-schemas';
import { LeadIntake } from '../../domain/intake';
import { html, raw } from '../../api/console/html';
import { pickLang } from '../../api/console/i18n';
import { availableActions } from '../../api/console/lead-actions';

test('every interpolated value is escaped; only Html stays markup', () => {
  const name = '<script>alert("x")</script> & \'co\'';
  expect(html`<p title="${name}">${name}</p>`.value).toBe(
    '<p title="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;co&#39;">&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;co&#39;</p>',
  );
  expect(html`${[html`<b>${'<i>'}</b>`, raw('<hr>')]}`.value).toBe('<b>&lt;i&gt;</b><hr>');
});

test('an action’s form is its schema: fields, kinds, limits, and one form per option of a union', () => {
  const [contact] = formsOf(A.RecordContact);
  expect(contact!.fields).toEqual([
    { name: 'outcome', kind: 'enum', required: true, options: ['reached', 'no_answer', 'refused'], value: undefined },
    { name: 'note', kind: 'text', required: false, max: 2000, multiline: true, value: undefined },
  ]);
  const qualify = formsOf(A.Qualify);
  expect(qualify.map((f) => f.variant)).toEqual([
    { key: 'target', value: true },
    { key: 'target', value: false },
  ]);
  expect(qualify[0]!.fields.map((f) => `${f.name}:${f.kind}`)).toEqual([
    'target:fixed',
    'route:enum',
    'reason:text',
    'budgetMinor:number',
    'topic:text',
    'compare:number',
  ]);
  expect(qualify[0]!.fields.find((f) => f.name === 'compare')).toMatchObject({ min: 1, max: 3, int: true, value: 1, required: false });
  // Posted strings become the API's JSON: typed, the variant fixed, empty optional fields left out.
  expect(bodyOf(qualify[0]!, { route: 'ours', reason: 'fits', budgetMinor: '150000', topic: '', compare: '1' })).toEqual({
    target: true,
    route: 'ours',
    reason: 'fits',
    budgetMinor: 150000,
    compare: 1,
  });
  expect(bodyOf(formsOf(A.RecordConsent)[0]!, { given: 'false', askedBy: 'a', channel: 'phone', wording: 'w' })).toMatchObject({
    given: false,
  });
  // What does not parse goes on as typed, so the API's 400 names the field.
  expect(bodyOf(formsOf(A.RecordPayment)[0]!, { paymentId: 'p', amountMinor: '12,5', currency: 'RUB' })).toMatchObject({
    amountMinor: '12,5',
  });
  for (const schema of [
    A.VerifyInterest,
    A.RecordConsent,
    A.WithdrawConsent,
    A.PartnerRespond,
    A.AdvanceDeal,
    A.MarkLost,
    A.RecordPayment,
    A.ReengagementOutcome,
    A.Reassign,
    A.OptOut,
  ]) {
    expect(formsOf(schema)[0]!.fields.length).toBe(Object.keys((schema as unknown as { shape: object }).shape).length); // no field left out
  }
});

test('roster forms: a list of topics is one comma-separated field, typed back into the list the API takes', () => {
  const [partner] = formsOf(PartnerInput);
  expect(partner!.fields.map((f) => `${f.name}:${f.kind}${'required' in f && f.required ? '*' : ''}`)).toEqual([
    'id:text*',
    'name:text*',
    'expertise:list*',
    'regions:list',
    'priceNicheMinor:number',
    'capacity:number',
    'reserveFor:list',
    'handoffEmail:text',
    'handoffPhone:text',
  ]);
  expect(partner!.fields.find((f) => f.name === 'expertise')).toMatchObject({ kind: 'list', maxItems: 50, itemMax: 64 });
  expect(bodyOf(partner!, { id: 'p1', name: 'P', expertise: ' crm,erp , ,1c ', regions: '', capacity: '5' })).toEqual({
    id: 'p1',
    name: 'P',
    expertise: ['crm', 'erp', '1c'],
    capacity: 5,
  });
  // Only commas: an empty list, which the API refuses for a list it needs (min 1) — naming the field.
  expect(bodyOf(partner!, { id: 'p1', name: 'P', expertise: ' , ' })).toMatchObject({ expertise: [] });

  const [manager] = formsOf(ManagerInput);
  expect(manager!.fields.map((f) => f.name)).toEqual(Object.keys(ManagerInput.shape)); // no field left out
  expect(manager!.fields.find((f) => f.name === 'email')).toMatchObject({ kind: 'text', email: true, required: false });
  expect(manager!.fields.find((f) => f.name === 'capacity')).toMatchObject({ kind: 'number', int: true, min: 0, max: 10_000 });
  expect(manager!.fields.find((f) => f.name === 'expertise')).toMatchObject({ kind: 'list', required: false, value: undefined });
  expect(manager!.fields.find((f) => f.name === 'active')).toMatchObject({ kind: 'boolean', value: true });
  expect(bodyOf(manager!, { id: 'demo-sales', name: 'Demo Sales', capacity: '30', active: 'true', expertise: '' })).toEqual({
    id: 'demo-sales',
    name: 'Demo Sales',
    capacity: 30,
    active: true,
  });
});

test('the intake form: nested objects flattened into dotted fields, a transform asked by its input, an object left out when empty', () => {
  const [lead] = formsOf(LeadIntake);
  expect(lead!.fields.map((f) => f.name)).toEqual([
    'source.channel',
    'source.partnerId',
    'source.campaign',
    'source.externalId',
    'person.name',
    'company.name',
    'company.switchboardPhone',
    'phone',
    'email',
    'region',
    'topic',
    'budgetMinor',
    'currency',
  ]);
  // Required where the object holding it is: the source always, a person's name only within an optional person.
  expect(lead!.fields.find((f) => f.name === 'source.channel')).toMatchObject({ kind: 'enum', required: true });
  expect(lead!.fields.find((f) => f.name === 'person.name')).toMatchObject({ kind: 'text', required: false, max: 200 });
  expect(lead!.fields.find((f) => f.name === 'phone')).toMatchObject({ kind: 'text', max: 40 }); // PhoneNumber: a string piped into E.164
  expect(lead!.fields.find((f) => f.name === 'currency')).toMatchObject({ value: 'RUB' });
  const form = { 'source.channel': 'phone', 'person.name': 'Ivan', 'company.name': '', phone: '8 916 123-45-67', topic: 'crm' };
  const body = bodyOf(lead!, form);
  expect(body).toEqual({ source: { channel: 'phone' }, person: { name: 'Ivan' }, phone: '8 916 123-45-67', topic: 'crm' });
  expect(LeadIntake.safeParse(body).success).toBe(true);
  // A preprocess's input side is the function itself: the form asks for what the schema after it takes.
  expect(formsOf(z.object({ n: z.preprocess((v) => v, z.number().int().min(1)) }))[0]!.fields).toEqual([
    expect.objectContaining({ name: 'n', kind: 'number', min: 1, int: true }),
  ]);
});

test('the API’s field errors land at their fields: nested paths, list items, and a rule on a whole object', () => {
  const [lead] = formsOf(LeadIntake);
  expect(
    fieldErrors(lead!, [
      { path: 'body.person.name', message: 'too long' },
      { path: 'body.company', message: 'name a person or at least a company' },
      { path: 'body.phone', message: 'a lead needs a phone' },
      { path: 'body', message: 'not an object' },
    ]),
  ).toEqual({ 'person.name': 'too long', 'company.name': 'name a person or at least a company', phone: 'a lead needs a phone' });
  const [partner] = formsOf(PartnerInput);
  expect(
    fieldErrors(partner!, [
      { path: 'body.expertise.1', message: 'too long' },
      { path: 'body.expertise', message: 'too small' },
    ]),
  ).toEqual({ expertise: 'too long' }); // the first reason per field
});

test('the roster forms offer the credentials no roster entry answers to yet', () => {
  const people = [
    ['admin', 'admin'],
    ['sales', 'demo-sales'],
    ['team_lead', 'tl'],
    ['sales', 'linked'],
    ['partner', 'demo-partner'],
    ['partner', 'p2'],
  ] as const;
  const keys = people.map(([role, subject]) => ({ key: `key-of-${subject}-000000`, role, subject }));
  expect(unlinkedSubjects(keys, [{ id: 'tl' }, { id: 'm1', apiSubject: 'linked' }], [{ id: 'p2' }])).toEqual({
    managers: ['demo-sales'],
    partners: ['demo-partner'],
  });
});

test('the language: the person’s choice, else the browser’s, else English', () => {
  expect(pickLang(undefined, 'ru-RU,ru;q=0.9,en;q=0.8')).toBe('ru');
  expect(pickLang(undefined, 'de-DE,en;q=0.7,ru;q=0.5')).toBe('en');
  expect(pickLang(undefined, 'de-DE, ru;q=0.3')).toBe('ru');
  expect(pickLang('en', 'ru')).toBe('en');
  expect(pickLang(undefined, undefined)).toBe('en');
});

describe('the actions a lead card offers', () => {
  const base = (over: Partial<LeadState> = {}): LeadState => ({
    ...initialState({ leadId: 'l1', kind: 'lead', sourceChannel: 'web_form', topic: 'crm', now: 0 }),
    managerId: 'anna',
    ...over,
  });
  const paths = (s: LeadState, who: { role: 'sales' | 'team_lead' | 'ops' | 'partner' | 'admin'; subject: string }) =>
    availableActions(s, who).map((a) => a.path);
  const anna = { role: 'sales' as const, subject: 'anna' };

  test('per stage, as the lifecycle allows', () => {
    expect(paths(base(), anna)).toEqual(['contact', 'opt-out']);
    expect(paths(base({ stage: 'qualifying' }), anna)).toEqual(['contact', 'qualify', 'lost', 'opt-out']);
    expect(paths(base({ stage: 'awaiting_consent' }), anna)).toEqual(['consent', 'opt-out']);
    expect(paths(base({ stage: 'deal', dealStage: 'meeting', dealOwner: { kind: 'us' } }), anna)).toEqual(['deal', 'lost', 'opt-out']);
    const signed = base({
      stage: 'deal',
      dealStage: 'contract',
      dealOwner: { kind: 'us' },
      deal: { valueMinor: 100, currency: 'RUB', signedAt: 'x', paidMinor: 0, payments: [] },
    });
    expect(paths(signed, anna)).toEqual(['lost', 'payments', 'opt-out']);
    expect(paths(base({ stage: 'closed' }), anna)).toEqual([]);
  });

  test('per role: reassignment for team leads and ops; a partner only answers its offer and works its own deal', () => {
    expect(paths(base(), { role: 'team_lead', subject: 't' })).toContain('reassign');
    const offered = base({ stage: 'partner_offer', offers: [{ partnerId: 'pa', offeredAt: 'x', status: 'pending' }] });
    expect(paths(offered, { role: 'partner', subject: 'pa' })).toEqual(['partner-response']);
    expect(paths(offered, { role: 'partner', subject: 'pb' })).toEqual([]);
    const theirs = base({
      stage: 'deal',
      dealStage: 'meeting',
      dealOwner: { kind: 'partner', partnerId: 'pa' },
      offers: [{ partnerId: 'pa', offeredAt: 'x', status: 'accepted' }],
    });
    expect(paths(theirs, { role: 'partner', subject: 'pa' })).toEqual(['deal', 'lost']);
    expect(paths(theirs, { role: 'partner', subject: 'pb' })).toEqual([]);
  });
});
