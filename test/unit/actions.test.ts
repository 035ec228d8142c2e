// The one table of lead actions (domain/actions.ts): the workflow's Updates, the API's routes and
// the console's forms are all derived from it, and the Update names are the ones stored histories carry.
import { LEAD_ACTIONS_OFFERED } from '../../api/console/lead-actions';
import { ACTION_NAMES, LEAD_ACTIONS, parseAction } from '../../domain/actions';
import * as M from '../../workflows/messages';

test('the Update names are exactly those of the stored histories, each Update named after its row', () => {
  expect(ACTION_NAMES).toEqual([
    'verifyInterest',
    'recordContact',
    'qualify',
    'recordConsent',
    'withdrawConsent',
    'partnerRespond',
    'advanceDeal',
    'markLost',
    'recordPayment',
    'reengagementOutcome',
    'reassign',
    'optOut',
  ]);
  for (const name of ACTION_NAMES) expect(M.actionUpdates[name].name).toBe(name);
  // The named exports tests and benches use are the table's Updates.
  expect([M.qualify, M.recordContact, M.optOut, M.reassign]).toEqual([
    M.actionUpdates.qualify,
    M.actionUpdates.recordContact,
    M.actionUpdates.optOut,
    M.actionUpdates.reassign,
  ]);
});

test("the console offers a form per row, with the row's path, input and roles (admin always; partners where the row lets them)", () => {
  expect(LEAD_ACTIONS_OFFERED.map((a) => a.path)).toEqual(ACTION_NAMES.map((n) => LEAD_ACTIONS[n].path));
  for (const [i, name] of ACTION_NAMES.entries()) {
    const row = LEAD_ACTIONS[name];
    const form = LEAD_ACTIONS_OFFERED[i]!;
    expect(form.schema).toBe(row.input);
    expect(form.roles.includes('partner')).toBe('partner' in row);
    expect(form.roles).toEqual(expect.arrayContaining([...row.roles, 'admin']));
  }
  expect(LEAD_ACTIONS.reassign.roles).toEqual(['team_lead', 'ops']);
});

test('an input is parsed by its own row: the action, or every complaint in one line', () => {
  expect(parseAction('qualify', { target: true, route: 'ours', reason: 'fits' })).toEqual({
    action: { type: 'qualify', input: { target: true, route: 'ours', reason: 'fits', compare: 1 } },
  });
  expect(parseAction('recordPayment', { paymentId: 'p1' })).toEqual({ problem: expect.stringMatching(/^amountMinor: .+; currency: .+/) });
});
