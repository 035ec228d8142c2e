// Which wait an open lead is on, and where it began, from the read model's events
// (platform/lead-waits.ts): the cases the preview's API test does not seed.
import { type EventRow, type LeadRow, waitOf } from '../../platform/lead-waits';

/** Events numbered from 1; `entered` where the stage differs from the event before, as loadEvents computes it. */
function events(...es: Array<[string, string, string]>): EventRow[] {
  return es.map(([type, stage, at], i) => ({ seq: i + 1, type, stage, at: new Date(at), entered: i === 0 || es[i - 1]![1] !== stage }));
}
const lead = (stage: string, over: Partial<Pick<LeadRow, 'slaFrom' | 'managerId'>> = {}): LeadRow => ({
  id: 'l1',
  stage,
  slaFrom: new Date('2027-03-15T07:00:00Z'),
  managerId: 'anna',
  ...over,
});
const t = (iso: string) => Date.parse(iso);

test("the SLA ladder's step is the ladder's events since the anchor; parked, or without a manager, nothing falls due", () => {
  const ladder = events(
    ['sla_escalated', 'qualifying', '2027-03-10T07:00:00Z'], // before the last touch: another round of the ladder
    ['contacted', 'qualifying', '2027-03-15T07:00:00Z'],
    ['sla_reminder', 'qualifying', '2027-03-15T11:00:00Z'],
  );
  expect(waitOf(lead('qualifying'), ladder)).toEqual({ kind: 'sla_escalation', anchor: t('2027-03-15T07:00:00Z') });
  expect(waitOf(lead('qualifying'), [])).toEqual({ kind: 'sla_reminder', anchor: t('2027-03-15T07:00:00Z') });
  const escalated = [...ladder, ...events(['sla_escalated', 'qualifying', '2027-03-16T07:00:00Z'])];
  expect(waitOf(lead('qualifying'), escalated)?.kind).toBe('stale');
  expect(waitOf(lead('qualifying'), [...ladder, ...events(['stale_parked', 'qualifying', '2027-03-30T07:00:00Z'])])).toBeUndefined();
  expect(waitOf(lead('awaiting_first_contact', { managerId: null }), [])).toBeUndefined();
  expect(waitOf(lead('awaiting_first_contact', { slaFrom: null }), [])).toBeUndefined();
});

test('a deal check-in counts from the last move in the stage the move named; a payment leaves the deal at payment', () => {
  const deal = events(
    ['qualified', 'deal', '2027-03-01T07:00:00Z'],
    ['deal_proposal', 'deal', '2027-03-05T07:00:00Z'],
    ['contract_signed', 'deal', '2027-03-10T07:00:00Z'],
    ['deal_checkin', 'deal', '2027-04-09T07:00:00Z'],
  );
  expect(waitOf(lead('deal'), deal)).toEqual({ kind: 'deal_checkin', anchor: t('2027-04-09T07:00:00Z'), dealStage: 'contract' });
  const paid = [...deal, { seq: 5, type: 'payment_recorded', stage: 'deal', at: new Date('2027-04-12T07:00:00Z'), entered: false }];
  expect(waitOf(lead('deal'), paid)).toEqual({ kind: 'deal_checkin', anchor: t('2027-04-12T07:00:00Z'), dealStage: 'payment' });
  // Only the deal in progress: an earlier deal's moves (lost, refused, back) count for nothing.
  const again = events(
    ['qualified', 'deal', '2027-01-01T07:00:00Z'],
    ['deal_negotiation', 'deal', '2027-01-05T07:00:00Z'],
    ['lost', 'reengagement', '2027-01-20T07:00:00Z'],
    ['returned', 'qualifying', '2027-02-20T07:00:00Z'],
    ['qualified', 'deal', '2027-03-01T07:00:00Z'],
    ['partner_declined', 'deal', '2027-03-02T07:00:00Z'],
  );
  expect(waitOf(lead('deal'), again)).toEqual({ kind: 'deal_checkin', anchor: t('2027-03-01T07:00:00Z'), dealStage: 'meeting' });
});

test('a partner offer with none offered yet, or a lead whose events do not say where its wait began, has no deadline', () => {
  expect(waitOf(lead('partner_offer'), events(['consent_given', 'partner_offer', '2027-03-01T07:00:00Z']))).toBeUndefined();
  expect(waitOf(lead('awaiting_consent'), [])).toBeUndefined();
  expect(waitOf(lead('deal'), events(['received', 'awaiting_first_contact', '2027-03-01T07:00:00Z']))).toBeUndefined();
});
