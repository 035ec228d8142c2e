// Intake normalisation: the keys de-duplication compares, and what counts as a lead.
import { companyKey, normalizeEmail, normalizePhone } from '../../domain/contact';
import { dedupeKeys, LeadIntake, leadKind } from '../../domain/intake';

test.each([
  ['+7 (495) 123-45-67', '+74951234567'],
  ['8 916 123 45 67', '+79161234567'],
  ['9161234567', '+79161234567'],
  ['0044 20 7946 0958', '+442079460958'],
  ['+1 415 555 2671', '+14155552671'],
])('phone %s → %s', (raw, e164) => expect(normalizePhone(raw)).toBe(e164));

test.each(['call me', '12345', '+0 123 456 789', '+7 916 123 45 67 89 01 23'])('not a phone: %s', (raw) =>
  expect(normalizePhone(raw)).toBeUndefined(),
);

test('e-mails are trimmed and lower-cased; junk is refused', () => {
  expect(normalizeEmail('  Ivan.Petrov@Example.COM ')).toBe('ivan.petrov@example.com');
  expect(normalizeEmail('ivan@localhost')).toBeUndefined();
  expect(normalizeEmail('a b@example.com')).toBeUndefined();
});

test('company keys ignore case, quotes and legal form', () => {
  expect(companyKey('ООО «Ромашка»')).toBe(companyKey('ромашка'));
  expect(companyKey('Acme, Inc.')).toBe(companyKey('ACME'));
  expect(companyKey('ООО')).toBeUndefined();
});

test('a company with only a switchboard is an interest, a person with a phone is a lead', () => {
  const interest = LeadIntake.parse({ source: { channel: 'phone' }, company: { name: 'Acme', switchboardPhone: '+7 495 000-00-00' } });
  expect(leadKind(interest)).toBe('interest');
  expect(dedupeKeys(interest)).toEqual({ phone: '+74950000000', email: undefined, companyKey: 'acme' });
  const lead = LeadIntake.parse({ source: { channel: 'web_form' }, person: { name: 'Ivan' }, email: 'IVAN@acme.com' });
  expect(leadKind(lead)).toBe('lead');
});

test('intake names every problem with its path', () => {
  const r = LeadIntake.safeParse({ source: { channel: 'partner' }, phone: 'x' });
  expect(r.success).toBe(false);
  const paths = r.error!.issues.map((i) => i.path.join('.'));
  expect(paths).toEqual(expect.arrayContaining(['phone', 'person', 'source.partnerId']));
});
