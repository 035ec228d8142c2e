// The funnel report (domain/funnel.ts): each step counts a lead once, conversions, the target
// share, first-contact percentiles, re-engagement returns, periods, slices that add up to the
// total (property-based, against an independent count), and the CSV form.
import fc from 'fast-check';
import {
  csvCell,
  CSV_COLUMNS,
  type FunnelLead,
  funnelCsv,
  funnelReport,
  type FunnelRow,
  GROUP_BY,
  type GroupBy,
  leadFacts,
  nextPeriod,
  type Period,
  periodKey,
  periodStart,
  PERIODS,
  quantile,
} from '../../domain/funnel';

const MIN = 60_000;
const DAY = 86_400_000;
const T0 = Date.parse('2026-03-02T09:00:00Z');

type Ev = [type: string, stage: string, afterMinutes: number];
let n = 0;
function lead(events: Ev[], over: Partial<Omit<FunnelLead, 'events'>> = {}): FunnelLead {
  const createdAt = over.createdAt ?? new Date(T0);
  return {
    id: `L${++n}`,
    createdAt,
    sourceChannel: 'web_form',
    sourcePartnerId: null,
    managerId: 'anna',
    region: 'msk',
    ...over,
    events: [['received', 'awaiting_first_contact', 0] as Ev, ['assigned', 'awaiting_first_contact', 1] as Ev, ...events].map(
      ([type, stage, m], i) => ({ seq: i + 1, type, stage, at: new Date(createdAt.getTime() + m * MIN) }),
    ),
  };
}
const steps = (r: FunnelRow) => [r.leads, r.reached, r.target, r.deals, r.contracts];

test('each step counts a lead once, however often its event repeats', () => {
  const l = lead([
    ['no_answer', 'awaiting_first_contact', 10],
    ['contacted', 'qualifying', 20],
    ['qualified', 'deal', 30],
    ['lost', 'reengagement', 40],
    ['returned', 'qualifying', 50],
    ['contacted', 'qualifying', 60],
    ['qualified', 'awaiting_consent', 70],
    ['consent_given', 'partner_offer', 80],
    ['partner_accepted', 'deal', 90],
    ['partner_accepted', 'deal', 91],
    ['contract_signed', 'deal', 100],
    ['contract_signed', 'deal', 101],
    ['returned', 'qualifying', 200],
  ]);
  const r = funnelReport([l]).total;
  expect(steps(r)).toEqual([1, 1, 1, 1, 1]);
  expect(r.firstContact).toEqual({ touched: 1, untouched: 0, p50Minutes: 10, p90Minutes: 10 });
  expect(r.returns).toEqual({ reengaged: 1, returned: 1, share: 1, medianDaysToReturn: round2(10 / 1440) });
});

test('a deal is entering the stage deal: qualified as ours, or accepted by a partner', () => {
  const ours = leadFacts(
    lead([
      ['contacted', 'qualifying', 1],
      ['qualified', 'deal', 2],
    ]),
  );
  const partners = leadFacts(
    lead([
      ['contacted', 'qualifying', 1],
      ['qualified', 'awaiting_consent', 2],
      ['consent_given', 'partner_offer', 3],
      ['partner_accepted', 'deal', 4],
    ]),
  );
  const waiting = leadFacts(
    lead([
      ['contacted', 'qualifying', 1],
      ['qualified', 'awaiting_consent', 2],
      ['consent_given', 'partner_offer', 3],
      ['partner_declined', 'partner_offer', 4],
    ]),
  );
  const nonTarget = leadFacts(
    lead([
      ['contacted', 'qualifying', 1],
      ['closed', 'closed', 2],
    ]),
  );
  expect([ours.deal, partners.deal, waiting.deal, nonTarget.deal]).toEqual([true, true, false, false]);
  expect([ours.target, partners.target, waiting.target, nonTarget.target]).toEqual([true, true, true, false]);
});

test('conversions: step / previous step and step / leads; the target share and its alarm', () => {
  const population = [
    lead([
      ['contacted', 'qualifying', 5],
      ['qualified', 'deal', 6],
      ['contract_signed', 'deal', 7],
    ]),
    lead([
      ['contacted', 'qualifying', 5],
      ['qualified', 'deal', 6],
    ]),
    lead([
      ['contacted', 'qualifying', 5],
      ['qualified', 'deal', 6],
    ]),
    lead([
      ['contacted', 'qualifying', 5],
      ['qualified', 'awaiting_consent', 6],
    ]),
    lead([
      ['contacted', 'qualifying', 5],
      ['qualified', 'awaiting_consent', 6],
    ]),
    lead([
      ['contacted', 'qualifying', 5],
      ['closed', 'closed', 6],
    ]),
    lead([
      ['contacted', 'qualifying', 5],
      ['closed', 'closed', 6],
    ]),
    lead([['contacted', 'qualifying', 5]]),
    lead([['no_answer', 'awaiting_first_contact', 5]]),
    lead([]),
  ];
  const r = funnelReport(population).total;
  expect(steps(r)).toEqual([10, 8, 5, 3, 1]);
  expect(r.conversion).toEqual({
    reached: { fromPrevious: 0.8, fromLeads: 0.8 },
    target: { fromPrevious: 0.625, fromLeads: 0.5 },
    deals: { fromPrevious: 0.6, fromLeads: 0.3 },
    contracts: { fromPrevious: 0.3333, fromLeads: 0.1 },
  });
  expect([r.targetShare, r.targetShareLow]).toEqual([0.625, false]);

  const low = funnelReport(population.slice(3)).total; // 7 leads, 5 reached, 2 target
  expect([low.targetShare, low.targetShareLow]).toEqual([0.4, true]);
  const nobody = funnelReport([lead([])]).total;
  expect([nobody.targetShare, nobody.targetShareLow, nobody.conversion.target, nobody.conversion.contracts]).toEqual([
    null,
    null,
    { fromPrevious: null, fromLeads: 0 },
    { fromPrevious: null, fromLeads: 0 },
  ]);
  expect(funnelReport([]).total.conversion.reached).toEqual({ fromPrevious: null, fromLeads: null });
});

test('time to first contact: p50 and p90 over the touched leads; the untouched are counted apart', () => {
  const population = [
    lead([
      ['no_answer', 'awaiting_first_contact', 10],
      ['contacted', 'qualifying', 500],
    ]),
    lead([
      ['contacted', 'qualifying', 20],
      ['no_answer', 'qualifying', 21],
    ]),
    lead([['refused', 'reengagement', 30]]), // refused on the first call: touched
    lead([
      ['sla_reminder', 'awaiting_first_contact', 5],
      ['contacted', 'qualifying', 40],
    ]),
    lead([
      ['stale', 'awaiting_first_contact', 2000],
      ['reassigned', 'awaiting_first_contact', 2001],
      ['contacted', 'qualifying', 100],
    ]),
    lead([['sla_reminder', 'awaiting_first_contact', 5]]),
    lead([]),
  ];
  const r = funnelReport(population).total;
  // sorted 10, 20, 30, 40, 100: p50 = 30; p90 at rank 3.6 = 40 + 0.6 × 60 = 76
  expect(r.firstContact).toEqual({ touched: 5, untouched: 2, p50Minutes: 30, p90Minutes: 76 });
  expect(funnelReport([lead([])]).total.firstContact).toEqual({ touched: 0, untouched: 1, p50Minutes: null, p90Minutes: null });
  expect(quantile([3, 1, 2, 4], 0.5)).toBe(2.5);
  expect(quantile([7], 0.9)).toBe(7);
});

test('re-engagement returns: refused or lost leads that came back, once each, with the median days', () => {
  const d = (days: number) => days * 1440;
  const population = [
    // refused, back after 90 days, lost again, back again: one return, 90 days
    lead([
      ['refused', 'reengagement', d(1)],
      ['reengagement_touch', 'reengagement', d(76)],
      ['returned', 'qualifying', d(91)],
      ['contacted', 'qualifying', d(92)],
      ['qualified', 'deal', d(93)],
      ['lost', 'reengagement', d(200)],
      ['returned', 'qualifying', d(300)],
    ]),
    // two touches before the return: counted from entering re-engagement
    lead([
      ['contacted', 'qualifying', 1],
      ['qualified', 'awaiting_consent', 2],
      ['consent_timeout', 'reengagement', d(3)],
      ['reengagement_touch', 'reengagement', d(78)],
      ['returned', 'qualifying', d(103)],
    ]),
    lead([
      ['contacted', 'qualifying', 1],
      ['qualified', 'deal', 2],
      ['lost', 'reengagement', d(10)],
    ]),
    lead([
      ['no_answer', 'awaiting_first_contact', 1],
      ['unreachable', 'reengagement', d(2)],
      ['closed', 'closed', d(900)],
    ]),
    lead([
      ['contacted', 'qualifying', 1],
      ['qualified', 'awaiting_consent', 2],
      ['consent_given', 'partner_offer', 3],
      ['no_partner', 'reengagement', d(5)],
      ['returned', 'qualifying', d(5 + 200)],
    ]),
    lead([
      ['contacted', 'qualifying', 1],
      ['qualified', 'awaiting_consent', 2],
      ['consent_refused', 'reengagement', 3],
    ]),
    lead([['contacted', 'qualifying', 1]]), // never refused
    lead([['returned', 'qualifying', 5]]), // a return without a refusal before it is not one
  ];
  const r = funnelReport(population).total;
  expect(r.returns).toEqual({ reengaged: 6, returned: 3, share: 0.5, medianDaysToReturn: 100 });
  expect(funnelReport([lead([['contacted', 'qualifying', 1]])]).total.returns).toEqual({
    reengaged: 0,
    returned: 0,
    share: null,
    medianDaysToReturn: null,
  });
});

test('periods in UTC: ISO weeks from Monday (named by their week-year), months, quarters', () => {
  const key = (iso: string, p: Period) => periodKey(new Date(iso), p);
  expect(key('2026-01-01T00:00:00Z', 'week')).toBe('2026-W01'); // a Thursday
  expect(key('2027-01-01T12:00:00Z', 'week')).toBe('2026-W53'); // a Friday: 2026 has 53 weeks
  expect(key('2024-12-30T00:00:00Z', 'week')).toBe('2025-W01'); // a Monday
  expect(key('2021-01-03T23:59:59Z', 'week')).toBe('2020-W53'); // a Sunday
  expect(key('2026-11-22T23:59:59.999Z', 'week')).toBe('2026-W47');
  expect(key('2026-11-23T00:00:00Z', 'week')).toBe('2026-W48');
  expect(key('2026-11-30T23:30:00+03:00', 'month')).toBe('2026-11'); // 20:30 UTC
  expect(key('2026-12-01T01:30:00+03:00', 'month')).toBe('2026-11'); // still November in UTC
  expect(['2026-01-31', '2026-04-01', '2026-09-30', '2026-12-31'].map((d) => key(`${d}T12:00:00Z`, 'quarter'))).toEqual([
    '2026-Q1',
    '2026-Q2',
    '2026-Q3',
    '2026-Q4',
  ]);
  expect(periodStart(new Date('2026-11-26T15:00:00Z'), 'week').toISOString()).toBe('2026-11-23T00:00:00.000Z');
  expect(nextPeriod(new Date('2026-12-28T00:00:00Z'), 'week').toISOString()).toBe('2027-01-04T00:00:00.000Z');
  expect(nextPeriod(new Date('2026-10-01T00:00:00Z'), 'quarter').toISOString()).toBe('2027-01-01T00:00:00.000Z');
});

test('by period with a range: every period of the range has a row, empty ones too, in order', () => {
  const population = [
    lead([['contacted', 'qualifying', 1]], { createdAt: new Date('2026-01-15T10:00:00Z') }),
    lead([], { createdAt: new Date('2026-03-31T23:59:59Z') }),
    lead([], { createdAt: new Date('2026-03-01T00:00:00Z') }),
  ];
  const r = funnelReport(population, {
    groupBy: 'period',
    period: 'month',
    range: { from: new Date('2025-12-10T00:00:00Z'), to: new Date('2026-04-01T00:00:00Z') },
  });
  expect(r.groups.map((g) => [g.key, g.leads, g.reached])).toEqual([
    ['2025-12', 0, 0],
    ['2026-01', 1, 1],
    ['2026-02', 0, 0],
    ['2026-03', 2, 0],
  ]);
  expect(r.groups[0]!.conversion.reached).toEqual({ fromPrevious: null, fromLeads: null });
});

test('by a dimension: one row per value, the empty value as key null, last', () => {
  const population = [
    lead([], { managerId: 'boris' }),
    lead([], { managerId: null }),
    lead([['contacted', 'qualifying', 1]], { managerId: 'anna' }),
    lead([], { managerId: 'anna' }),
  ];
  const r = funnelReport(population, { groupBy: 'manager' });
  expect(r.groups.map((g) => [g.key, g.leads, g.reached])).toEqual([
    ['anna', 2, 1],
    ['boris', 1, 0],
    [null, 1, 0],
  ]);
  expect(funnelReport(population).groups).toEqual([]);
});

test('CSV: a header, a row per group, the total last; cells quoted and formula-safe', () => {
  const population = [
    lead([['contacted', 'qualifying', 1]], { sourceChannel: 'web,form' }),
    lead([], { sourceChannel: '=HYPERLINK("x")' }),
    lead([], { sourceChannel: 'call' }),
  ];
  const report = funnelReport(population, { groupBy: 'source' });
  const lines = funnelCsv(report).split('\r\n');
  expect(lines.pop()).toBe('');
  expect(lines[0]).toBe(CSV_COLUMNS.join(','));
  expect(lines.slice(1)).toEqual([
    'group,"\'=HYPERLINK(""x"")",1,0,0,0,0,0,,,,0,0,0,,,0,1,,,0,0,,',
    'group,call,1,0,0,0,0,0,,,,0,0,0,,,0,1,,,0,0,,',
    'group,"web,form",1,1,0,0,0,1,0,,,0,0,0,0,true,1,0,1,1,0,0,,',
    'total,,3,1,0,0,0,0.3333,0,,,0,0,0,0,true,1,2,1,1,0,0,,',
  ]);
  expect(lines[0]!.split(',')).toHaveLength(CSV_COLUMNS.length);
  expect([csvCell(null), csvCell(0.5), csvCell(true), csvCell('-1'), csvCell('a\nb'), csvCell('@x')]).toEqual([
    '',
    '0.5',
    'true',
    "'-1",
    '"a\nb"',
    "'@x",
  ]);
});

// --- property: slices add up to the total, and the total is the simple count ------------------

const TYPES = [
  'contacted',
  'no_answer',
  'refused',
  'unreachable',
  'qualified',
  'partner_accepted',
  'partner_declined',
  'contract_signed',
  'payment_recorded',
  'lost',
  'consent_refused',
  'consent_timeout',
  'no_partner',
  'returned',
  'reengagement_touch',
  'closed',
  'assigned',
  'sla_reminder',
];
const STAGES = ['awaiting_first_contact', 'qualifying', 'awaiting_consent', 'partner_offer', 'deal', 'reengagement', 'closed', 'won'];
const ENTRY = ['refused', 'lost', 'unreachable', 'consent_refused', 'consent_timeout', 'no_partner'];
const FIRST_TOUCH = ['contacted', 'no_answer', 'refused', 'unreachable'];

const arbLead = fc.record({
  createdAt: fc.date({ min: new Date('2024-12-20T00:00:00Z'), max: new Date('2027-01-10T00:00:00Z'), noInvalidDate: true }),
  sourceChannel: fc.constantFrom('web_form', 'partner', 'call', 'email'),
  sourcePartnerId: fc.option(fc.constantFrom('p1', 'p2', 'p3')),
  managerId: fc.option(fc.constantFrom('anna', 'boris', 'vera')),
  region: fc.option(fc.constantFrom('msk', 'spb', 'kzn')),
  events: fc.array(
    fc.record({ type: fc.constantFrom(...TYPES), stage: fc.constantFrom(...STAGES), minutes: fc.integer({ min: 0, max: 400 * 1440 }) }),
    { maxLength: 12 },
  ),
  shuffle: fc.integer(),
});

type RawLead = typeof arbLead extends fc.Arbitrary<infer T> ? T : never;
const asLeads = (raw: RawLead[]): FunnelLead[] =>
  raw.map((r, i) => {
    const events = r.events.map((e, k) => ({
      seq: k + 1,
      type: e.type,
      stage: e.stage,
      at: new Date(r.createdAt.getTime() + e.minutes * MIN),
    }));
    const rot = events.length ? Math.abs(r.shuffle) % events.length : 0; // the loader's order must not matter
    return {
      id: `P${i}`,
      createdAt: r.createdAt,
      sourceChannel: r.sourceChannel,
      sourcePartnerId: r.sourcePartnerId,
      managerId: r.managerId,
      region: r.region,
      events: [...events.slice(rot), ...events.slice(0, rot)],
    };
  });

/** An independent count: filters over the raw events, no shared code. */
function simpleCount(leads: FunnelLead[]) {
  const has = (l: FunnelLead, pred: (e: FunnelLead['events'][number]) => boolean) => l.events.some(pred);
  const returned = (l: FunnelLead) => {
    const inOrder = [...l.events].sort((a, b) => a.seq - b.seq);
    const firstEntry = inOrder.findIndex((e) => ENTRY.includes(e.type));
    return firstEntry >= 0 && inOrder.slice(firstEntry + 1).some((e) => e.type === 'returned');
  };
  return {
    leads: leads.length,
    reached: leads.filter((l) => has(l, (e) => e.type === 'contacted')).length,
    target: leads.filter((l) => has(l, (e) => e.type === 'qualified')).length,
    deals: leads.filter((l) => has(l, (e) => ['qualified', 'partner_accepted'].includes(e.type) && e.stage === 'deal')).length,
    contracts: leads.filter((l) => has(l, (e) => e.type === 'contract_signed')).length,
    touched: leads.filter((l) => has(l, (e) => FIRST_TOUCH.includes(e.type))).length,
    reengaged: leads.filter((l) => has(l, (e) => ENTRY.includes(e.type))).length,
    returned: leads.filter(returned).length,
  };
}
const countsOf = (r: FunnelRow) => ({
  leads: r.leads,
  reached: r.reached,
  target: r.target,
  deals: r.deals,
  contracts: r.contracts,
  touched: r.firstContact.touched,
  reengaged: r.returns.reengaged,
  returned: r.returns.returned,
});

/** ISO week by another route: the week's Thursday, counted in weeks from its year's first Thursday. */
function isoWeek(d: Date): string {
  const thursday = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()) + (3 - ((d.getUTCDay() + 6) % 7)) * DAY);
  const y = thursday.getUTCFullYear();
  let firstThursday = Date.UTC(y, 0, 1);
  while (new Date(firstThursday).getUTCDay() !== 4) firstThursday += DAY;
  return `${y}-W${String((thursday.getTime() - firstThursday) / (7 * DAY) + 1).padStart(2, '0')}`;
}
function keyOf(l: FunnelLead, groupBy: GroupBy, period: Period): string | null {
  const d = l.createdAt;
  if (groupBy === 'period') {
    if (period === 'week') return isoWeek(d);
    if (period === 'month') return d.toISOString().slice(0, 7);
    return `${d.getUTCFullYear()}-Q${Math.ceil((d.getUTCMonth() + 1) / 3)}`;
  }
  return { source: l.sourceChannel, partner: l.sourcePartnerId, manager: l.managerId, region: l.region }[groupBy];
}

test('property: every slice adds up to the total, and every group matches an independent count', () => {
  fc.assert(
    fc.property(fc.array(arbLead, { maxLength: 60 }), fc.constantFrom(...GROUP_BY), fc.constantFrom(...PERIODS), (raw, groupBy, period) => {
      const leads = asLeads(raw);
      const report = funnelReport(leads, { groupBy, period });
      expect(countsOf(report.total)).toEqual(simpleCount(leads));

      const sum = Object.fromEntries(Object.keys(countsOf(report.total)).map((k) => [k, 0])) as ReturnType<typeof countsOf>;
      for (const g of report.groups) for (const [k, v] of Object.entries(countsOf(g))) sum[k as keyof typeof sum] += v;
      expect(sum).toEqual(countsOf(report.total));

      const expected = new Map<string | null, FunnelLead[]>();
      for (const l of leads) expected.set(keyOf(l, groupBy, period), [...(expected.get(keyOf(l, groupBy, period)) ?? []), l]);
      expect(report.groups.map((g) => g.key).sort()).toEqual([...expected.keys()].sort());
      for (const g of report.groups) {
        expect(countsOf(g)).toEqual(simpleCount(expected.get(g.key)!));
        expect(g.firstContact.touched + g.firstContact.untouched).toBe(g.leads);
        expect(g.returns.returned).toBeLessThanOrEqual(g.returns.reengaged);
      }
    }),
    { numRuns: 300 },
  );
});

test('property: the percentiles lie between the extremes and p50 ≤ p90', () => {
  fc.assert(
    fc.property(fc.array(arbLead, { minLength: 1, maxLength: 40 }), (raw) => {
      const leads = asLeads(raw);
      const r = funnelReport(leads).total;
      const minutes = leads.flatMap((l) => {
        const first = [...l.events].sort((a, b) => a.seq - b.seq).find((e) => FIRST_TOUCH.includes(e.type));
        return first ? [(first.at.getTime() - l.createdAt.getTime()) / MIN] : [];
      });
      if (minutes.length === 0) return expect(r.firstContact.p50Minutes).toBeNull();
      expect(r.firstContact.p50Minutes!).toBeGreaterThanOrEqual(round2(Math.min(...minutes)));
      expect(r.firstContact.p90Minutes!).toBeLessThanOrEqual(round2(Math.max(...minutes)));
      expect(r.firstContact.p50Minutes!).toBeLessThanOrEqual(r.firstContact.p90Minutes!);
    }),
    { numRuns: 200 },
  );
});

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}
