// Lengths of time and policy durations are written once (domain/time.ts), and every policy default
// once, in its field (domain/policy.ts): a section left out is its fields' defaults.
import { msToNumber } from '@temporalio/common/lib/time';
import { PartnerPolicy } from '../../domain/partner-policy';
import { LeadPolicy } from '../../domain/policy';
import { DAY, Duration, HOUR, MINUTE } from '../../domain/time';
import { inListChunks, IN_LIST_MAX } from '../../platform/db';

test('MINUTE, HOUR and DAY are what Temporal makes of the same words', () => {
  expect([MINUTE, HOUR, DAY]).toEqual([msToNumber('1 minute'), msToNumber('1 hour'), msToNumber('1 day')]);
});

test('one duration grammar for the lead policy and the partner programme', () => {
  for (const ok of ['3 days', '12 hours', '90 minutes', '1.5 h', '40d', '2 weeks', '500 ms'])
    expect(Duration.safeParse(ok).success).toBe(true);
  for (const bad of ['3 fortnights', '-1 day', 'days', '', '3 days ago']) expect(Duration.safeParse(bad).success).toBe(false);
  // Both policies take what the grammar takes, and refuse what it refuses.
  expect(PartnerPolicy.safeParse({ noticePeriod: '1.5 h' }).success).toBe(true);
  expect(PartnerPolicy.safeParse({ noticePeriod: '3 fortnights' }).success).toBe(false);
  expect(LeadPolicy.safeParse({ consentWindow: '3 fortnights' }).success).toBe(false);
});

test('a policy section left out is the same as the section given empty, field by field', () => {
  const none = LeadPolicy.parse({});
  const empty = LeadPolicy.parse({ calendar: {}, firstContact: {}, dealStageTimeouts: {}, reengagement: {} });
  expect(none).toEqual(empty);
  // A partial section keeps its other fields' defaults.
  const partial = LeadPolicy.parse({ firstContact: { maxNoAnswerAttempts: 2 }, reengagement: { interval: '30 days' } });
  expect(partial.firstContact).toEqual({ ...none.firstContact, maxNoAnswerAttempts: 2 });
  expect(partial.reengagement).toEqual({ ...none.reengagement, interval: '30 days' });
  // The figures of the trade.
  expect(none.firstContact).toEqual({
    reminderAfterBusinessHours: 4,
    escalateAfterBusinessHours: 9,
    staleAfterBusinessDays: 2,
    maxNoAnswerAttempts: 5,
    maxStaleReassignments: 3,
  });
  expect(none.dealStageTimeouts).toEqual({
    meeting: '14 days',
    proposal: '21 days',
    negotiation: '30 days',
    contract: '30 days',
    payment: '30 days',
  });
  expect(none.reengagement).toEqual({ interval: '75 days', replyWindow: '14 days', maxAttempts: 12, partnerCreditWindow: '180 days' });
});

test('IN lists are cut at IN_LIST_MAX ids, in order, nothing lost', () => {
  const ids = Array.from({ length: 2 * IN_LIST_MAX + 1 }, (_, i) => `id-${i}`);
  const chunks = inListChunks(ids);
  expect(chunks.map((c) => c.length)).toEqual([IN_LIST_MAX, IN_LIST_MAX, 1]);
  expect(chunks.flat()).toEqual(ids);
  expect(inListChunks([])).toEqual([]);
});
