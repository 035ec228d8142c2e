// The reconciliation matcher (domain/reconcile.ts): missing, extra and mismatched leads between a
// partner's sent-leads list and what we received, judged once per lead.
import {
  DATE_TOLERANCE_MS,
  disputeIdOf,
  reconcile,
  type ReceivedLead,
  reportIdOf,
  type SentLead,
  sweepPeriod,
} from '../../domain/reconcile';

const DAY = 86_400_000;
const period = { from: new Date('2026-11-16T00:00:00Z'), to: new Date('2026-11-23T00:00:00Z') };
const at = (iso: string) => new Date(iso);

test('a week with every kind of discrepancy', () => {
  const sent: SentLead[] = [
    { externalId: 'ok', sentAt: at('2026-11-17T10:00:00Z'), phone: '8 916 123-45-67', email: ' Ivan@Example.com' },
    { externalId: 'lost', sentAt: at('2026-11-18T10:00:00Z') },
    { externalId: 'phone', sentAt: at('2026-11-18T10:00:00Z'), phone: '+7 916 000-00-01' },
    { externalId: 'late', sentAt: at('2026-11-16T09:00:00Z') },
    { externalId: 'last-week', sentAt: at('2026-11-12T10:00:00Z') }, // judged in its own week
  ];
  const received: ReceivedLead[] = [
    { externalId: 'ok', leadId: 'L1', receivedAt: at('2026-11-17T10:05:00Z'), phone: '+79161234567', email: 'ivan@example.com' },
    { externalId: 'phone', leadId: 'L2', receivedAt: at('2026-11-18T10:01:00Z'), phone: '+79160000002' },
    { externalId: 'late', leadId: 'L3', receivedAt: at('2026-11-20T10:00:00Z') },
    { externalId: 'surprise', leadId: 'L4', receivedAt: at('2026-11-19T12:00:00Z') },
    { externalId: null, leadId: 'L5', receivedAt: at('2026-11-19T13:00:00Z') },
    { externalId: 'old', leadId: 'L6', receivedAt: at('2026-11-01T13:00:00Z') }, // before the period
  ];
  const r = reconcile({ period, sent, received });
  expect(r.submitted).toBe(4);
  expect(r.matched).toBe(1);
  expect(r.missing).toEqual([{ externalId: 'lost', sentAt: '2026-11-18T10:00:00.000Z' }]);
  expect(r.extra).toEqual([
    { externalId: 'surprise', leadId: 'L4', receivedAt: '2026-11-19T12:00:00.000Z' },
    { externalId: null, leadId: 'L5', receivedAt: '2026-11-19T13:00:00.000Z' },
  ]);
  expect(r.mismatched.map((m) => [m.externalId, m.leadId, m.differs])).toEqual([
    ['late', 'L3', ['date']],
    ['phone', 'L2', ['phone']],
  ]);
});

test('contacts compare after normalisation, and only when both sides have them', () => {
  const sentAt = at('2026-11-17T10:00:00Z');
  const r = reconcile({
    period,
    sent: [
      { externalId: 'a', sentAt, phone: '+7 (916) 123-45-67', email: 'A@B.RU' },
      { externalId: 'b', sentAt, phone: null, email: 'x@y.ru' },
      { externalId: 'c', sentAt, email: 'other@y.ru' },
    ],
    received: [
      { externalId: 'a', leadId: 'A', receivedAt: sentAt, phone: '+79161234567', email: 'a@b.ru' },
      { externalId: 'b', leadId: 'B', receivedAt: sentAt, phone: '+79160000000', email: null },
      { externalId: 'c', leadId: 'C', receivedAt: sentAt, email: 'c@y.ru' },
    ],
  });
  expect(r.matched).toBe(2);
  expect(r.mismatched).toEqual([expect.objectContaining({ externalId: 'c', differs: ['email'] })]);
});

test('dates may be up to 2 days apart', () => {
  const sentAt = at('2026-11-17T10:00:00Z');
  const run = (gap: number) =>
    reconcile({
      period,
      sent: [{ externalId: 'x', sentAt }],
      received: [{ externalId: 'x', leadId: 'X', receivedAt: new Date(sentAt.getTime() + gap) }],
    });
  expect(run(DATE_TOLERANCE_MS).matched).toBe(1);
  expect(run(-DATE_TOLERANCE_MS).matched).toBe(1);
  expect(run(DATE_TOLERANCE_MS + 1).mismatched[0]?.differs).toEqual(['date']);
});

test('a lead listed under another week is not extra; its first arrival is the one compared', () => {
  const r = reconcile({
    period,
    sent: [
      { externalId: 'prev', sentAt: at('2026-11-15T23:00:00Z') },
      { externalId: 'twice', sentAt: at('2026-11-20T10:00:00Z') },
    ],
    received: [
      { externalId: 'prev', leadId: 'P', receivedAt: at('2026-11-16T01:00:00Z') },
      { externalId: 'twice', leadId: 'REPEAT', receivedAt: at('2026-11-25T10:00:00Z') },
      { externalId: 'twice', leadId: 'FIRST', receivedAt: at('2026-11-20T10:30:00Z') },
    ],
  });
  expect(r).toMatchObject({ submitted: 1, matched: 1, missing: [], extra: [], mismatched: [] });
});

test('the weekly period is whole UTC days, the same for every run on a day', () => {
  const morning = sweepPeriod(Date.parse('2026-11-23T03:00:00Z'), 7);
  const evening = sweepPeriod(Date.parse('2026-11-23T22:59:59Z'), 7);
  expect(morning).toEqual({ from: new Date('2026-11-16T00:00:00Z'), to: new Date('2026-11-23T00:00:00Z') });
  expect(evening).toEqual(morning);
  expect(sweepPeriod(Date.parse('2026-11-24T00:00:00Z'), 7).from.getTime() - morning.from.getTime()).toBe(DAY);
});

test('report and dispute ids depend only on partner, period and lead', () => {
  const id = reportIdOf('ptn-7', period);
  expect(id).toBe(reportIdOf('ptn-7', { from: new Date(period.from), to: new Date(period.to) }));
  expect(id).not.toBe(reportIdOf('ptn-8', period));
  expect(disputeIdOf(id, { externalId: 'e1' })).toBe(`${id}:e1`);
  expect(disputeIdOf(id, { externalId: null, leadId: 'L5' })).toBe(`${id}:lead:L5`);
});
