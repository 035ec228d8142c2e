// The state machine as a table: every stage × every staff action, allowed (and where it leads) or
// refused (and why). `refusal` is what the Update validators answer; `apply` what an accepted
// action does. Reading this table is reading the rules of domain/lifecycle.ts.
import { type Action, apply, initialState, type LeadState, refusal, type Stage, STAGES } from '../../domain/lifecycle';

const ACTIONS: Record<Action['type'], Action> = {
  verifyInterest: { type: 'verifyInterest', input: { personFound: true } },
  recordContact: { type: 'recordContact', input: { outcome: 'reached' } },
  qualify: { type: 'qualify', input: { target: true, route: 'ours', reason: 'fits our practice', compare: 1 } },
  recordConsent: { type: 'recordConsent', input: { given: true, askedBy: 'sales:anna', channel: 'phone', wording: 'May we pass your contacts?' } },
  withdrawConsent: { type: 'withdrawConsent', input: {} },
  partnerRespond: { type: 'partnerRespond', input: { partnerId: 'p1', accepted: true } },
  advanceDeal: { type: 'advanceDeal', input: { to: 'proposal' } },
  markLost: { type: 'markLost', input: { reason: 'went silent' } },
  recordPayment: { type: 'recordPayment', input: { paymentId: 'pay-1', amountMinor: 100, currency: 'RUB' } },
  reengagementOutcome: { type: 'reengagementOutcome', input: { outcome: 'returned' } },
  reassign: { type: 'reassign', input: { managerId: 'boris', reason: 'vacation' } },
  optOut: { type: 'optOut', input: { reason: 'stop calling' } },
};

/**
 * Where each action leads from each stage of a plain lead (no consent, offers or contract yet);
 * a stage not listed refuses it. Won and closed refuse everything.
 */
const ALLOWED: Record<Action['type'], Partial<Record<Stage, string>>> = {
  verifyInterest: { verification: 'awaiting_first_contact' },
  recordContact: { awaiting_first_contact: 'qualifying', qualifying: 'qualifying' },
  qualify: { qualifying: 'deal' },
  recordConsent: { awaiting_consent: 'partner_offer' },
  withdrawConsent: {}, // needs consent on record: see below
  partnerRespond: {}, // needs an offer to that partner: see below
  advanceDeal: { deal: 'deal' },
  markLost: { qualifying: 'reengagement', partner_offer: 'reengagement', deal: 'reengagement' },
  recordPayment: {}, // needs a signed contract: see below
  reengagementOutcome: { reengagement: 'qualifying' },
  reassign: {
    verification: 'verification', awaiting_first_contact: 'awaiting_first_contact', qualifying: 'qualifying',
    awaiting_consent: 'awaiting_consent', partner_offer: 'partner_offer', deal: 'deal', reengagement: 'reengagement',
  },
  optOut: {
    verification: 'closed/opted_out', awaiting_first_contact: 'closed/opted_out', qualifying: 'closed/opted_out',
    awaiting_consent: 'closed/opted_out', partner_offer: 'closed/opted_out', deal: 'closed/opted_out', reengagement: 'closed/opted_out',
  },
};

/** Why a plain lead refuses an action outside its stages (beyond "not possible while…"). */
const PRECONDITION: Partial<Record<Action['type'], string>> = {
  withdrawConsent: 'the client has no consent on record to withdraw',
  partnerRespond: 'the lead was not offered to partner p1',
};

const ctx = { actor: 'sales:anna', now: 1_000, maxNoAnswer: 5, creditWindowMs: 180 * 86_400_000 };
const lead = (stage: Stage, over: Partial<LeadState> = {}): LeadState =>
  ({ ...initialState({ leadId: 'lead-1', kind: 'lead', sourceChannel: 'web_form', topic: 'crm', now: 0 }), stage, managerId: 'anna', ...over });
const outcome = (s: LeadState) => `${s.stage}${s.closedReason ? `/${s.closedReason}` : ''}`;

const cases = (Object.keys(ACTIONS) as Action['type'][]).flatMap((type) => STAGES.map((stage) => [type, stage] as const));

test.each(cases)('%s while %s', (type, stage) => {
  const s = lead(stage);
  const why = refusal(s, ACTIONS[type], 'sales:anna');
  const to = ALLOWED[type][stage];
  if (stage === 'won' || stage === 'closed') {
    expect(why).toBe(`the lead is ${stage}; no further actions`);
  } else if (to) {
    expect(why).toBeUndefined();
    apply(s, ACTIONS[type], ctx);
    expect(outcome(s)).toBe(to);
    expect(s.history.at(-1)).toMatchObject({ actor: 'sales:anna', from: stage }); // who, and from where
  } else if (PRECONDITION[type]) {
    expect(why).toBe(PRECONDITION[type]);
  } else if (type === 'recordPayment' && stage === 'deal') {
    expect(why).toBe('a payment is recorded only after the contract is signed');
  } else {
    expect(why).toMatch(new RegExp(`^${type} is not possible while the lead is ${stage}; it needs `));
  }
});

describe('actions that depend on what is on record, not only on the stage', () => {
  test('consent is withdrawn only when given and not yet withdrawn; withdrawing closes the lead', () => {
    const consent = { given: true, askedBy: 'sales:anna', channel: 'phone', wording: 'May we?', at: 'x' };
    expect(refusal(lead('partner_offer', { consent: { ...consent, withdrawnAt: 'y' } }), ACTIONS.withdrawConsent)).toBe('the client has no consent on record to withdraw');
    const s = lead('partner_offer', { consent });
    expect(refusal(s, ACTIONS.withdrawConsent)).toBeUndefined();
    apply(s, ACTIONS.withdrawConsent, ctx);
    expect(outcome(s)).toBe('closed/consent_withdrawn');
  });

  test('a partner answers only its own pending offer; accepting makes the deal its own', () => {
    const offered = (status: 'pending' | 'declined') => lead('partner_offer', { offers: [{ partnerId: 'p1', offeredAt: 'x', status }] });
    expect(refusal(offered('declined'), ACTIONS.partnerRespond)).toBe('the offer to partner p1 is already declined');
    const s = offered('pending');
    expect(refusal(s, ACTIONS.partnerRespond, 'partner:p1')).toBeUndefined();
    apply(s, ACTIONS.partnerRespond, ctx);
    expect(s).toMatchObject({ stage: 'deal', dealOwner: { kind: 'partner', partnerId: 'p1' } });
  });

  test('a partner whose offer is only pending cannot mark the lead lost', () => {
    const s = lead('partner_offer', { offers: [{ partnerId: 'p1', offeredAt: 'x', status: 'pending' }] });
    expect(refusal(s, ACTIONS.markLost, 'partner:p1')).toBe('partner p1 does not own this deal (its offer is pending); only the deal\'s owner marks it lost');
    expect(refusal(s, ACTIONS.markLost, 'sales:anna')).toBeUndefined();
  });

  test('payments: after signing, in the contract currency, never above what is owed, once per payment id', () => {
    const signed = () => lead('deal', { dealStage: 'contract', deal: { valueMinor: 1_000, currency: 'RUB', signedAt: 'x', paidMinor: 0, payments: [] } });
    expect(refusal(signed(), { type: 'recordPayment', input: { paymentId: 'a', amountMinor: 100, currency: 'EUR' } }))
      .toBe('the contract is in RUB, the payment in EUR');
    expect(refusal(signed(), { type: 'recordPayment', input: { paymentId: 'a', amountMinor: 1_001, currency: 'RUB' } }))
      .toBe('the payment exceeds the outstanding amount (1000 minor units)');
    const s = signed();
    const pay = { type: 'recordPayment', input: { paymentId: 'a', amountMinor: 1_000, currency: 'RUB' } } as const;
    apply(s, pay, ctx);
    expect(s).toMatchObject({ stage: 'won', deal: { paidMinor: 1_000 } });
  });

  test('a deal only moves forward, and signing needs the contract value', () => {
    const s = lead('deal', { dealStage: 'negotiation' });
    expect(refusal(s, { type: 'advanceDeal', input: { to: 'proposal' } })).toBe('the deal is already at negotiation; it only moves forward (contract → payment)');
    expect(refusal(s, { type: 'advanceDeal', input: { to: 'contract' } })).toBe('signing the contract needs its value (valueMinor)');
    expect(refusal(s, { type: 'advanceDeal', input: { to: 'payment' } })).toBe('the deal moves to payment when a payment is recorded');
  });

  test('a lead handed to a partner needs a topic; reassigning to the current owner changes nothing', () => {
    const noTopic = { ...lead('qualifying'), topic: undefined };
    expect(refusal(noTopic, { type: 'qualify', input: { target: true, route: 'partner', reason: 'theirs', compare: 1 } }))
      .toBe('a lead handed to a partner needs a topic to match partner expertise');
    expect(refusal(lead('deal'), { type: 'reassign', input: { managerId: 'anna', reason: 'x' } })).toBe('the lead is already owned by anna');
  });
});
