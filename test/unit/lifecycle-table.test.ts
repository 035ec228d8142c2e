// The state machine as a table: every stage × every staff action, allowed (and where it leads) or
// refused (and why). `refusal` is what the Update validators answer; `apply` what an accepted
// action does. Reading this table is reading the rules of domain/lifecycle.ts.
import { type Action, apply, initialState, type LeadState, refusal, type Stage, STAGES } from '../../domain/lifecycle';
import * as M from '../../workflows/messages';

/** One example of each action, on a plain lead: topic crm, owned by anna, no consent, offers or contract yet. */
const EXAMPLE: Record<Action['type'], Action> = {
  verifyInterest: { type: 'verifyInterest', input: { personFound: true } },
  recordContact: { type: 'recordContact', input: { outcome: 'reached' } },
  qualify: { type: 'qualify', input: { target: true, route: 'ours', reason: 'fits our practice', compare: 1 } },
  recordConsent: {
    type: 'recordConsent',
    input: { given: true, askedBy: 'sales:anna', channel: 'phone', wording: 'May we pass your contacts?' },
  },
  withdrawConsent: { type: 'withdrawConsent', input: {} },
  partnerRespond: { type: 'partnerRespond', input: { partnerId: 'p1', accepted: true } },
  advanceDeal: { type: 'advanceDeal', input: { to: 'proposal' } },
  markLost: { type: 'markLost', input: { reason: 'went silent' } },
  recordPayment: { type: 'recordPayment', input: { paymentId: 'pay-1', amountMinor: 100, currency: 'RUB' } },
  reengagementOutcome: { type: 'reengagementOutcome', input: { outcome: 'returned' } },
  reassign: { type: 'reassign', input: { managerId: 'boris', reason: 'vacation' } },
  optOut: { type: 'optOut', input: { reason: 'stop calling' } },
};

/** The table's column for each stage. */
const COLUMN: Record<Stage, string> = {
  verification: 'verif',
  awaiting_first_contact: 'first',
  qualifying: 'qual',
  awaiting_consent: 'consent',
  partner_offer: 'offer',
  deal: 'deal',
  won: 'won',
  reengagement: 'reeng',
  closed: 'closed',
};

/**
 * What each action does to a plain lead in each stage.
 *   →qual         allowed; the lead is then in that stage (→closed:opted_out: closed, with its reason)
 *   ✗stage        refused: "<action> is not possible while the lead is <stage>; it needs <the stages that allow it>"
 *   ✗ended        refused: "the lead is <won|closed>; no further actions"
 *   ✗consent      refused: "the client has no consent on record to withdraw"
 *   ✗offer        refused: "the lead was not offered to partner p1"
 *   ✗signed       refused: "a payment is recorded only after the contract is signed"
 */
const TABLE = `
  action              | verif    first    qual     consent  offer    deal     won      reeng    closed
  verifyInterest      | →first   ✗stage   ✗stage   ✗stage   ✗stage   ✗stage   ✗ended   ✗stage   ✗ended
  recordContact       | ✗stage   →qual    →qual    ✗stage   ✗stage   ✗stage   ✗ended   ✗stage   ✗ended
  qualify             | ✗stage   ✗stage   →deal    ✗stage   ✗stage   ✗stage   ✗ended   ✗stage   ✗ended
  recordConsent       | ✗stage   ✗stage   ✗stage   →offer   ✗stage   ✗stage   ✗ended   ✗stage   ✗ended
  withdrawConsent     | ✗consent ✗consent ✗consent ✗consent ✗consent ✗consent ✗ended   ✗consent ✗ended
  partnerRespond      | ✗offer   ✗offer   ✗offer   ✗offer   ✗offer   ✗offer   ✗ended   ✗offer   ✗ended
  advanceDeal         | ✗stage   ✗stage   ✗stage   ✗stage   ✗stage   →deal    ✗ended   ✗stage   ✗ended
  markLost            | ✗stage   ✗stage   →reeng   ✗stage   →reeng   →reeng   ✗ended   ✗stage   ✗ended
  recordPayment       | ✗stage   ✗stage   ✗stage   ✗stage   ✗stage   ✗signed  ✗ended   ✗stage   ✗ended
  reengagementOutcome | ✗stage   ✗stage   ✗stage   ✗stage   ✗stage   ✗stage   ✗ended   →qual    ✗ended
  reassign            | →verif   →first   →qual    →consent →offer   →deal    ✗ended   →reeng   ✗ended
  optOut              | →closed:opted_out (every stage but won and closed, which refuse it: ✗ended)
`;

/** Why a plain lead refuses an action, for the codes that are not about its stage. */
const REFUSED: Record<string, (stage: Stage) => string> = {
  '✗ended': (stage) => `the lead is ${stage}; no further actions`,
  '✗consent': () => 'the client has no consent on record to withdraw',
  '✗offer': () => 'the lead was not offered to partner p1',
  '✗signed': () => 'a payment is recorded only after the contract is signed',
};

/** The stage a column (or a cell's →target) names. */
const stageOf = (col: string) => STAGES.find((st) => COLUMN[st] === col) ?? col;

/** The table as rows: action → stage → cell (a row that is one sentence spells its cells out). */
function parse(table: string): { columns: string[]; rows: Map<string, Map<Stage | string, string>> } {
  const [header, ...lines] = table
    .trim()
    .split('\n')
    .map((l) => l.split('|').map((x) => x.trim()));
  const columns = header![1]!.split(/\s+/);
  const rows = new Map<string, Map<Stage | string, string>>();
  for (const [action, cells] of lines) {
    const sentence = /^(→\S+) \(every stage but won and closed/.exec(cells!);
    const row = sentence ? columns.map((c) => (c === COLUMN.won || c === COLUMN.closed ? '✗ended' : sentence[1]!)) : cells!.split(/\s+/);
    rows.set(action!, new Map(row.map((cell, i) => [stageOf(columns[i] ?? `column ${i + 1}`), cell])));
  }
  return { columns, rows };
}

const { columns: COLUMNS, rows: ROWS } = parse(TABLE);
/** Every staff action the workflow takes as an Update (workflows/messages.ts). */
const isUpdate = (d: unknown): d is { type: 'update'; name: string } =>
  typeof d === 'object' && d !== null && 'type' in d && d.type === 'update';
const UPDATES = [...new Set((Object.values(M) as unknown[]).filter(isUpdate).map((d) => d.name))];

test("the table has a row for every staff action and a column for every stage, in the lifecycle's order, and nothing else", () => {
  expect(COLUMNS).toEqual(STAGES.map((st) => COLUMN[st]));
  expect([...ROWS.keys()].sort()).toEqual([...UPDATES].sort());
  for (const row of ROWS.values()) expect([...row.keys()]).toEqual([...STAGES]);
  expect(Object.keys(EXAMPLE).sort()).toEqual([...UPDATES].sort());
});

const ctx = { actor: 'sales:anna', now: 1_000, maxNoAnswer: 5, creditWindowMs: 180 * 86_400_000 };
const lead = (stage: Stage, over: Partial<LeadState> = {}): LeadState => ({
  ...initialState({ leadId: 'lead-1', kind: 'lead', sourceChannel: 'web_form', topic: 'crm', now: 0 }),
  stage,
  managerId: 'anna',
  ...over,
});
const outcome = (s: LeadState) => `${s.stage}${s.closedReason ? `:${s.closedReason}` : ''}`;
/** `→closed:opted_out` → `closed:opted_out`, `→qual` → `qualifying`: what `outcome` says after the action. */
const full = (cell: string) => {
  const [col, reason] = cell.slice(1).split(':');
  return reason ? `${stageOf(col!)}:${reason}` : stageOf(col!);
};

// Every Update × every stage: an action or a stage the table lacks is a failing case.
const cases = UPDATES.flatMap((action) =>
  STAGES.map((stage) => [action as Action['type'], stage, ROWS.get(action)?.get(stage) ?? '(no cell)'] as const),
);

test.each(cases)('%s while %s: %s', (type, stage, cell) => {
  expect(EXAMPLE[type]).toBeDefined();
  const s = lead(stage);
  const why = refusal(s, EXAMPLE[type], 'sales:anna');
  if (cell.startsWith('→')) {
    expect(why).toBeUndefined();
    apply(s, EXAMPLE[type], ctx);
    expect(outcome(s)).toBe(full(cell));
    expect(s.history.at(-1)).toMatchObject({ actor: 'sales:anna', from: stage }); // who, and from where
  } else if (cell === '✗stage') {
    // The reason names exactly the stages of the row where the stage is not what stops the action.
    const needs = [...ROWS.get(type)!].filter(([, c]) => c !== '✗stage' && c !== '✗ended').map(([st]) => st);
    const m = new RegExp(`^${type} is not possible while the lead is ${stage}; it needs (.+)$`).exec(why ?? '');
    expect(m?.[1]?.split(' or ').sort()).toEqual(needs.sort());
  } else {
    expect(`${cell}: ${REFUSED[cell] ? 'a refusal' : 'not a code of the table'}`).toBe(`${cell}: a refusal`);
    expect(why).toBe(REFUSED[cell]!(stage));
  }
});

describe('actions that depend on what is on record, not only on the stage', () => {
  test('consent is withdrawn only when given and not yet withdrawn; withdrawing closes the lead', () => {
    const consent = { given: true, askedBy: 'sales:anna', channel: 'phone', wording: 'May we?', at: 'x' };
    expect(refusal(lead('partner_offer', { consent: { ...consent, withdrawnAt: 'y' } }), EXAMPLE.withdrawConsent)).toBe(
      'the client has no consent on record to withdraw',
    );
    const s = lead('partner_offer', { consent });
    expect(refusal(s, EXAMPLE.withdrawConsent)).toBeUndefined();
    apply(s, EXAMPLE.withdrawConsent, ctx);
    expect(outcome(s)).toBe('closed:consent_withdrawn');
  });

  test('a partner answers only its own pending offer; accepting makes the deal its own', () => {
    const offered = (status: 'pending' | 'declined') => lead('partner_offer', { offers: [{ partnerId: 'p1', offeredAt: 'x', status }] });
    expect(refusal(offered('declined'), EXAMPLE.partnerRespond)).toBe('the offer to partner p1 is already declined');
    const s = offered('pending');
    expect(refusal(s, EXAMPLE.partnerRespond, 'partner:p1')).toBeUndefined();
    apply(s, EXAMPLE.partnerRespond, ctx);
    expect(s).toMatchObject({ stage: 'deal', dealOwner: { kind: 'partner', partnerId: 'p1' } });
  });

  test('a partner whose offer is only pending cannot mark the lead lost', () => {
    const s = lead('partner_offer', { offers: [{ partnerId: 'p1', offeredAt: 'x', status: 'pending' }] });
    expect(refusal(s, EXAMPLE.markLost, 'partner:p1')).toBe(
      "partner p1 does not own this deal (its offer is pending); only the deal's owner marks it lost",
    );
    expect(refusal(s, EXAMPLE.markLost, 'sales:anna')).toBeUndefined();
  });

  test('payments: after signing, in the contract currency, never above what is owed, once per payment id', () => {
    const signed = () =>
      lead('deal', { dealStage: 'contract', deal: { valueMinor: 1_000, currency: 'RUB', signedAt: 'x', paidMinor: 0, payments: [] } });
    expect(refusal(signed(), { type: 'recordPayment', input: { paymentId: 'a', amountMinor: 100, currency: 'EUR' } })).toBe(
      'the contract is in RUB, the payment in EUR',
    );
    expect(refusal(signed(), { type: 'recordPayment', input: { paymentId: 'a', amountMinor: 1_001, currency: 'RUB' } })).toBe(
      'the payment exceeds the outstanding amount (1000 minor units)',
    );
    const s = signed();
    const pay = { type: 'recordPayment', input: { paymentId: 'a', amountMinor: 1_000, currency: 'RUB' } } as const;
    apply(s, pay, ctx);
    expect(s).toMatchObject({ stage: 'won', deal: { paidMinor: 1_000 } });
  });

  test('a deal only moves forward, and signing needs the contract value', () => {
    const s = lead('deal', { dealStage: 'negotiation' });
    expect(refusal(s, { type: 'advanceDeal', input: { to: 'proposal' } })).toBe(
      'the deal is already at negotiation; it only moves forward (contract → payment)',
    );
    expect(refusal(s, { type: 'advanceDeal', input: { to: 'contract' } })).toBe('signing the contract needs its value (valueMinor)');
    expect(refusal(s, { type: 'advanceDeal', input: { to: 'payment' } })).toBe('the deal moves to payment when a payment is recorded');
  });

  test('a lead handed to a partner needs a topic; reassigning to the current owner changes nothing', () => {
    const noTopic = { ...lead('qualifying'), topic: undefined };
    expect(refusal(noTopic, { type: 'qualify', input: { target: true, route: 'partner', reason: 'theirs', compare: 1 } })).toBe(
      'a lead handed to a partner needs a topic to match partner expertise',
    );
    expect(refusal(lead('deal'), { type: 'reassign', input: { managerId: 'anna', reason: 'x' } })).toBe(
      'the lead is already owned by anna',
    );
  });
});
