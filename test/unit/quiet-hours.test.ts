// Quiet hours and "only in working hours" as the delivery activity asks them, and what a person's
// preferences decide for one notification: send, hold until when, or suppress and why.
import { BusinessCalendar } from '../../domain/calendar';
import { canonicalTimeZone, hasDeliveryWindow, heldUntil, quietHoursProblem, type QuietRule } from '../../domain/quiet-hours';
import { decide, DEFAULT_PREFERENCES, MUTABLE_KINDS, personOf, type Preferences } from '../../notifications/preferences';

const cal = BusinessCalendar.parse({});
const at = (iso: string) => Date.parse(iso);
const iso = (ms: number | undefined) => (ms === undefined ? 'now' : new Date(ms).toISOString());
const night: QuietRule = { timeZone: 'Europe/Moscow', quietHours: { from: '20:00', to: '09:00' }, workingHoursOnly: false };

test('quiet hours 20:00–09:00 Moscow wrap midnight: held until 09:00 the next morning, free from 09:00 to 20:00', () => {
  expect(iso(heldUntil(night, cal, at('2026-12-01T16:59:00Z')))).toBe('now'); // 19:59 MSK
  expect(iso(heldUntil(night, cal, at('2026-12-01T17:00:00Z')))).toBe('2026-12-02T06:00:00.000Z'); // 20:00 → 09:00 MSK
  expect(iso(heldUntil(night, cal, at('2026-12-01T22:30:00Z')))).toBe('2026-12-02T06:00:00.000Z'); // 01:30 MSK
  expect(iso(heldUntil(night, cal, at('2026-12-02T05:59:59Z')))).toBe('2026-12-02T06:00:00.000Z');
  expect(iso(heldUntil(night, cal, at('2026-12-02T06:00:00Z')))).toBe('now');
  // Quiet hours within one day (a lunch break) end the same day.
  const lunch = { ...night, quietHours: { from: '13:00', to: '14:00' } };
  expect(iso(heldUntil(lunch, cal, at('2026-12-02T10:15:00Z')))).toBe('2026-12-02T11:00:00.000Z');
});

test("quiet hours are read on the person's own clock, across a daylight-saving change", () => {
  const ny: QuietRule = { timeZone: 'America/New_York', quietHours: { from: '22:00', to: '07:00' }, workingHoursOnly: false };
  // The night clocks spring forward (8 March 2026): 00:00 EST, the quiet hours end at 07:00 EDT.
  expect(iso(heldUntil(ny, cal, at('2026-03-08T05:00:00Z')))).toBe('2026-03-08T11:00:00.000Z');
  // The night they fall back (1 November 2026): 23:30 EDT, the quiet hours end at 07:00 EST.
  expect(iso(heldUntil(ny, cal, at('2026-11-01T03:30:00Z')))).toBe('2026-11-01T12:00:00.000Z');
});

test('"only in working hours": Friday evening waits for Monday 09:00, a holiday for the next working day (business calendar)', () => {
  const working: QuietRule = { timeZone: 'Europe/Moscow', quietHours: null, workingHoursOnly: true };
  expect(iso(heldUntil(working, cal, at('2026-12-04T16:00:00Z')))).toBe('2026-12-07T06:00:00.000Z'); // Fri 19:00 → Mon 09:00
  expect(iso(heldUntil(working, cal, at('2026-12-03T08:00:00Z')))).toBe('now'); // Thu 11:00
  expect(iso(heldUntil(working, cal, at('2027-01-01T08:00:00Z')))).toBe('2027-01-11T06:00:00.000Z'); // New Year holidays
  // Both: quiet until 10:00 on a working day, and working hours — the later of the two.
  const both: QuietRule = { ...working, quietHours: { from: '17:00', to: '10:00' } };
  expect(iso(heldUntil(both, cal, at('2026-12-04T14:30:00Z')))).toBe('2026-12-07T07:00:00.000Z'); // Fri 17:30 → Mon 10:00
});

test('quiet hours that cannot be kept: zero length, the whole day, or none of the working day left', () => {
  expect(quietHoursProblem({ from: '09:00', to: '09:00' })).toMatch(/zero length/);
  expect(quietHoursProblem({ from: '00:00', to: '24:00' })).toMatch(/whole day/);
  expect(quietHoursProblem({ from: '20:00', to: '09:00' })).toBeUndefined();
  const allDay: QuietRule = { timeZone: 'Europe/Moscow', quietHours: { from: '08:00', to: '19:00' }, workingHoursOnly: true };
  expect(hasDeliveryWindow(allDay, cal, at('2026-12-01T10:00:00Z'))).toBe(false);
  expect(hasDeliveryWindow({ ...night, workingHoursOnly: true }, cal, at('2026-12-01T10:00:00Z'))).toBe(true);
  expect(canonicalTimeZone('europe/moscow')).toBe('Europe/Moscow');
  expect(canonicalTimeZone('Mars/Olympus_Mons')).toBeUndefined();
});

test('what preferences decide: defaults send; a channel off or a muted kind suppress; quiet hours hold; stop-contact always goes', () => {
  const now = new Date('2026-12-01T20:00:00Z'); // 23:00 Moscow
  const email = { channel: 'email', kind: 'first_contact' };
  expect(decide(undefined, 'manager:m1', email, now)).toEqual({ action: 'send', language: undefined });
  const p = (over: Partial<Preferences>): Preferences => ({ ...DEFAULT_PREFERENCES, ...over });
  expect(decide(p({}), 'manager:m1', email, now)).toEqual({ action: 'send', language: undefined }); // stored defaults: as before
  expect(decide(p({ email: false }), 'manager:m1', email, now)).toEqual({
    action: 'suppress',
    reason: 'e-mail is off in the preferences of manager:m1',
  });
  expect(decide(p({ email: false }), 'manager:m1', { ...email, channel: 'webhook' }, now)).toMatchObject({ action: 'send' });
  expect(decide(p({ webhooks: false }), 'partner:p1', { channel: 'webhook', kind: 'offer' }, now)).toMatchObject({ action: 'suppress' });
  expect(decide(p({ mutedKinds: ['first_contact'] }), 'manager:m1', email, now)).toEqual({
    action: 'suppress',
    reason: 'task kind first_contact is muted in the preferences of manager:m1',
  });
  expect(decide(p({ quietHours: { from: '20:00', to: '09:00' }, language: 'en' }), 'manager:m1', email, now)).toEqual({
    action: 'hold',
    until: new Date('2026-12-02T06:00:00Z'),
    reason: 'held for manager:m1 until 2026-12-02T06:00:00.000Z (quiet hours 20:00–09:00 Europe/Moscow)',
  });
  expect(decide(p({ language: 'en' }), 'manager:m1', email, now)).toEqual({ action: 'send', language: 'en' });
  const everythingOff = p({ email: false, webhooks: false, quietHours: { from: '20:00', to: '09:00' } });
  expect(decide(everythingOff, 'partner:p1', { channel: 'email', kind: 'stop_contact' }, now)).toMatchObject({ action: 'send' });
  expect(decide(everythingOff, 'partner:p1', { channel: 'webhook', kind: 'stop_contact' }, now)).toMatchObject({ action: 'send' });
  expect(MUTABLE_KINDS).toContain('first_contact');
  expect(MUTABLE_KINDS).toContain('follow_up');
  expect(MUTABLE_KINDS).not.toContain('stop_contact');
});

test('whose preferences: a team lead is the manager of the roster; ops has none', () => {
  expect(personOf('manager:m1')).toBe('manager:m1');
  expect(personOf('team_lead:m1')).toBe('manager:m1');
  expect(personOf('partner:p1')).toBe('partner:p1');
  expect(personOf('ops')).toBeUndefined();
});
