// Which lead transitions complete which tasks, and the keys of follow-ups.
import { CONTACT_TASKS, followUpKey, tasksDoneBy } from '../../domain/tasks';

test('each lead action completes the tasks it stands for, and nothing else does', () => {
  for (const type of ['contacted', 'no_answer', 'refused', 'unreachable', 'verified', 'returned', 'reengagement_declined']) {
    expect([type, tasksDoneBy({ type })]).toEqual([type, { kinds: CONTACT_TASKS }]);
  }
  expect(tasksDoneBy({ type: 'consent_given' })).toEqual({ kinds: ['request_consent'] });
  expect(tasksDoneBy({ type: 'consent_refused' })).toEqual({ kinds: ['request_consent'] });
  expect(tasksDoneBy({ type: 'partner_accepted', reason: 'ptn-1' })).toEqual({ kinds: ['offer'], assignee: 'partner:ptn-1' });
  expect(tasksDoneBy({ type: 'partner_declined', reason: 'ptn-2: no capacity: sorry' })).toEqual({
    kinds: ['offer'],
    assignee: 'partner:ptn-2',
  });
  // Timers and system events do no one's work: the SLA ladder, check-ins, touches, assignment.
  const system = [
    'sla_reminder',
    'sla_escalated',
    'stale',
    'deal_checkin',
    'reengagement_touch',
    'assigned',
    'reassigned',
    'lost',
    'consent_timeout',
  ];
  for (const type of system) {
    expect([type, tasksDoneBy({ type })]).toEqual([type, undefined]);
  }
});

test('a follow-up key keeps the lead and sequence of the task it follows, and counts on', () => {
  expect(followUpKey('lead-1:7')).toBe('lead-1:7:next1');
  expect(followUpKey('lead-1:7:next1')).toBe('lead-1:7:next2');
  expect(followUpKey('lead-1:7:ptn-a:next9')).toBe('lead-1:7:ptn-a:next10');
});
