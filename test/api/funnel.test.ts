// GET /reports/funnel and /reports/funnel.csv on the real stack: a population of leads with
// their audit trails written straight into PostgreSQL (tagged by a campaign of this run, so other
// test files' leads never count), checked against a count made here from what was written.
import { randomUUID } from 'node:crypto';
import type { OpenAPIV3 } from 'openapi-types';
import type { Db } from '../../platform/db';
import { loadFunnelData } from '../../api/reports/funnel-data';
import { apiStack, type ApiStack, type Caller } from '../helpers/api';
import { prng } from '../../bench/year/rates'; // the simulated year's seeded PRNG

const MIN = 60_000;
const DAY = 86_400_000;
const FROM = '2026-01-01';
const TO = '2026-04-10';

let s: ApiStack;
const tag = `funnel-${randomUUID().slice(0, 8)}`;
const partners = [`p1-${tag}`, `p2-${tag}`];

interface Seeded {
  id: string;
  createdAt: Date;
  sourceChannel: string;
  sourcePartnerId: string | null;
  managerId: string | null;
  region: string | null;
  events: Array<{ seq: number; type: string; stage: string; at: Date }>;
}
const population: Seeded[] = [];

// --- a deterministic population of realistic paths -----------------------------------------------

const rand = prng(20261123);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
const chance = (p: number) => rand() < p;

/** The events of one lead, as the workflow would write them: [type, stage (after), minutes later]. */
function path(): Array<[string, string, number]> {
  const out: Array<[string, string, number]> = [];
  const step = (type: string, stage: string, gapMinutes = 1 + Math.floor(rand() * 3000)) => out.push([type, stage, gapMinutes]);
  step('received', 'awaiting_first_contact', 0);
  if (chance(0.1)) return out; // not even assigned
  step('assigned', 'awaiting_first_contact', 1);
  if (chance(0.3)) step('sla_reminder', 'awaiting_first_contact', 240);
  const comeBack = () => {
    if (!chance(0.5)) return false;
    step('reengagement_touch', 'reengagement', 75 * 1440);
    step('returned', 'qualifying', Math.floor(rand() * 14 * 1440));
    return true;
  };
  const afterQualifying = (): void => {
    const r = rand();
    if (r < 0.25) {
      step('closed', 'closed');
      return;
    } // non-target
    if (r < 0.55) {
      step('qualified', 'deal');
      if (chance(0.3)) {
        step('lost', 'reengagement');
        if (comeBack()) afterQualifying();
        return;
      }
      step('deal_proposal', 'deal');
      if (chance(0.5)) {
        step('contract_signed', 'deal');
        step('payment_recorded', 'deal');
        if (chance(0.5)) step('paid_in_full', 'won');
      }
      return;
    }
    step('qualified', 'awaiting_consent');
    const c = rand();
    if (c < 0.15) {
      step('consent_refused', 'reengagement');
      comeBack();
      return;
    }
    if (c < 0.3) {
      step('consent_timeout', 'reengagement', 3 * 1440);
      comeBack();
      return;
    }
    step('consent_given', 'partner_offer');
    step('offered', 'partner_offer');
    if (chance(0.2)) {
      step('no_partner', 'reengagement');
      if (comeBack()) afterQualifying();
      return;
    }
    if (chance(0.3)) {
      step('partner_declined', 'partner_offer');
      step('offered', 'partner_offer');
    }
    step('partner_accepted', 'deal');
    if (chance(0.3)) step('partner_accepted', 'deal'); // the client compares: a second partner accepts too
    if (chance(0.4)) {
      step('contract_signed', 'deal');
      if (chance(0.2)) step('contract_signed', 'deal');
    }
  };
  const attempts = Math.floor(rand() * 6);
  for (let i = 1; i <= attempts; i++) {
    if (i === 5) {
      step('unreachable', 'reengagement');
      if (comeBack()) afterQualifying();
      return out;
    }
    step('no_answer', 'awaiting_first_contact', 30 + Math.floor(rand() * 600));
  }
  if (attempts === 0 && chance(0.15)) return out; // never touched
  if (chance(0.1)) {
    step('refused', 'reengagement');
    if (comeBack()) {
      step('contacted', 'qualifying');
      afterQualifying();
    }
    return out;
  }
  step('contacted', 'qualifying');
  if (chance(0.1)) step('contacted', 'qualifying'); // a second conversation
  afterQualifying();
  return out;
}

async function seed(db: Db, n: number): Promise<void> {
  const rows: Seeded[] = [];
  const span = Date.parse('2026-04-09T23:00:00Z') - Date.parse(FROM);
  for (let i = 0; i < n; i++) {
    const createdAt = new Date(Date.parse(FROM) + Math.floor(rand() * span));
    let at = createdAt.getTime();
    const events = path().map(([type, stage, gap], k) => ({ seq: k + 1, type, stage, at: new Date((at += gap * MIN)) }));
    rows.push({
      id: randomUUID(),
      createdAt,
      sourceChannel: pick(['web_form', 'partner', 'call']),
      sourcePartnerId: pick([null, ...partners]),
      managerId: pick([null, `anna-${tag}`, `boris-${tag}`]),
      region: pick([null, 'msk', 'spb']),
      events,
    });
  }
  // The range's edges: just before `from` and exactly at `to` are outside the cohort.
  rows.push({
    id: randomUUID(),
    createdAt: new Date('2025-12-31T23:59:59.999Z'),
    sourceChannel: 'call',
    sourcePartnerId: null,
    managerId: null,
    region: 'msk',
    events: [],
  });
  rows.push({
    id: randomUUID(),
    createdAt: new Date(`${TO}T00:00:00Z`),
    sourceChannel: 'call',
    sourcePartnerId: null,
    managerId: null,
    region: 'msk',
    events: [],
  });
  for (const r of rows) {
    await db.lead.create({
      data: {
        id: r.id,
        intakeKey: `${tag}:${r.id}`,
        campaign: tag,
        sourceChannel: r.sourceChannel,
        sourcePartnerId: r.sourcePartnerId,
        managerId: r.managerId,
        region: r.region,
        stage: r.events.at(-1)?.stage ?? 'awaiting_first_contact',
        createdAt: r.createdAt,
        lastSeq: r.events.length,
      },
    });
  }
  await db.leadEvent.createMany({
    data: rows.flatMap((r) => r.events.map((e) => ({ leadId: r.id, seq: e.seq, type: e.type, stage: e.stage, actor: 'test', at: e.at }))),
  });
  population.push(...rows.filter((r) => r.createdAt >= new Date(FROM) && r.createdAt < new Date(`${TO}T00:00:00Z`)));
}

beforeAll(async () => {
  s = await apiStack();
  await seed(s.db, 150);
});
afterAll(async () => s?.close());

// --- the expected report, counted here ----------------------------------------------------------

const ENTRY = ['refused', 'lost', 'unreachable', 'consent_refused', 'consent_timeout', 'no_partner'];
const TOUCH = ['contacted', 'no_answer', 'refused', 'unreachable'];
const r4 = (x: number) => Math.round(x * 1e4) / 1e4;
const r2 = (x: number) => Math.round(x * 100) / 100;
const share = (a: number, b: number) => (b === 0 ? null : r4(a / b));
function percentile(xs: number[], p: number): number | null {
  if (xs.length === 0) return null;
  const v = [...xs].sort((a, b) => a - b);
  const h = (v.length - 1) * p;
  return v[Math.floor(h)]! + (v[Math.ceil(h)]! - v[Math.floor(h)]!) * (h - Math.floor(h));
}

function expectedRow(leads: Seeded[]) {
  const having = (pred: (e: Seeded['events'][number]) => boolean) => leads.filter((l) => l.events.some(pred)).length;
  const leadsN = leads.length;
  const reached = having((e) => e.type === 'contacted');
  const target = having((e) => e.type === 'qualified');
  const deals = having((e) => (e.type === 'qualified' || e.type === 'partner_accepted') && e.stage === 'deal');
  const contracts = having((e) => e.type === 'contract_signed');
  const firstTouch = leads.flatMap((l) => {
    const e = l.events.find((x) => TOUCH.includes(x.type));
    return e ? [(e.at.getTime() - l.createdAt.getTime()) / MIN] : [];
  });
  const returnDays = leads.flatMap((l) => {
    const back = l.events.findIndex((e, i) => e.type === 'returned' && l.events.slice(0, i).some((x) => ENTRY.includes(x.type)));
    if (back < 0) return [];
    const entered = l.events
      .slice(0, back)
      .filter((x) => ENTRY.includes(x.type))
      .at(-1)!;
    return [(l.events[back]!.at.getTime() - entered.at.getTime()) / DAY];
  });
  const reengaged = having((e) => ENTRY.includes(e.type));
  const p = (xs: number[], q: number) => {
    const v = percentile(xs, q);
    return v === null ? null : r2(v);
  };
  return {
    leads: leadsN,
    reached,
    target,
    deals,
    contracts,
    conversion: {
      reached: { fromPrevious: share(reached, leadsN), fromLeads: share(reached, leadsN) },
      target: { fromPrevious: share(target, reached), fromLeads: share(target, leadsN) },
      deals: { fromPrevious: share(deals, target), fromLeads: share(deals, leadsN) },
      contracts: { fromPrevious: share(contracts, deals), fromLeads: share(contracts, leadsN) },
    },
    targetShare: share(target, reached),
    targetShareLow: reached === 0 ? null : target / reached < 0.6,
    firstContact: {
      touched: firstTouch.length,
      untouched: leadsN - firstTouch.length,
      p50Minutes: p(firstTouch, 0.5),
      p90Minutes: p(firstTouch, 0.9),
    },
    returns: { reengaged, returned: returnDays.length, share: share(returnDays.length, reengaged), medianDaysToReturn: p(returnDays, 0.5) },
  };
}

function isoWeek(d: Date): string {
  const thursday = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()) + (3 - ((d.getUTCDay() + 6) % 7)) * DAY);
  const y = thursday.getUTCFullYear();
  let first = Date.UTC(y, 0, 1);
  while (new Date(first).getUTCDay() !== 4) first += DAY;
  return `${y}-W${String((thursday.getTime() - first) / (7 * DAY) + 1).padStart(2, '0')}`;
}
type Dim = 'period' | 'source' | 'partner' | 'manager' | 'region';
function keyOf(l: Seeded, by: Dim, period: string): string | null {
  const d = l.createdAt;
  if (by === 'period')
    return period === 'week'
      ? isoWeek(d)
      : period === 'month'
        ? d.toISOString().slice(0, 7)
        : `${d.getUTCFullYear()}-Q${Math.floor(d.getUTCMonth() / 3) + 1}`;
  return { source: l.sourceChannel, partner: l.sourcePartnerId, manager: l.managerId, region: l.region }[by];
}

const url = (path: string, q: Record<string, string>) => `${path}?${new URLSearchParams({ from: FROM, to: TO, campaign: tag, ...q })}`;
const STEP_COUNTS = ['leads', 'reached', 'target', 'deals', 'contracts'] as const;

// --- the tests ----------------------------------------------------------------------------------

const slices: Array<[Dim, string]> = [
  ['period', 'week'],
  ['period', 'month'],
  ['period', 'quarter'],
  ['source', 'month'],
  ['partner', 'month'],
  ['manager', 'month'],
  ['region', 'month'],
];

test.each(slices)('by %s (%s): the total and every group match a count made here, and the groups add up', async (groupBy, period) => {
  const res = await s.inject({ who: 'ops', method: 'GET', url: url('/reports/funnel', { groupBy, period }) });
  expect(res.statusCode).toBe(200);
  const body = res.json();
  expect(population.length).toBeGreaterThan(100);
  expect(body.total).toEqual(expectedRow(population));
  expect(body.total.targetShare).not.toBeNull();

  const expected = new Map<string | null, Seeded[]>();
  for (const l of population) expected.set(keyOf(l, groupBy, period), [...(expected.get(keyOf(l, groupBy, period)) ?? []), l]);
  for (const g of body.groups) {
    const { key, ...row } = g;
    expect([key, row]).toEqual([key, expectedRow(expected.get(key) ?? [])]);
  }
  const keys = body.groups.map((g: { key: string | null }) => g.key);
  expect(new Set(keys).size).toBe(keys.length);
  for (const k of expected.keys()) expect(keys).toContain(k);
  for (const step of STEP_COUNTS)
    expect(body.groups.reduce((n: number, g: Record<string, number>) => n + g[step]!, 0)).toBe(body.total[step]);
  if (groupBy === 'period' && period === 'month') expect(keys).toEqual(['2026-01', '2026-02', '2026-03', '2026-04']);
  if (groupBy === 'period' && period === 'week') expect(keys[0]).toBe('2026-W01'); // Thursday 1 January: ISO week 1
});

test('filters narrow the cohort: region and manager', async () => {
  const res = await s.inject({
    who: 'team_lead',
    method: 'GET',
    url: url('/reports/funnel', { groupBy: 'source', region: 'spb', managerId: `anna-${tag}` }),
  });
  expect(res.statusCode).toBe(200);
  expect(res.json().total).toEqual(expectedRow(population.filter((l) => l.region === 'spb' && l.managerId === `anna-${tag}`)));
  const none = await s.inject({
    who: 'ops',
    method: 'GET',
    url: url('/reports/funnel', { groupBy: 'manager', campaign: `${tag}-nobody` }),
  });
  expect(none.json().total).toMatchObject({ leads: 0, reached: 0, targetShare: null, firstContact: { touched: 0, p50Minutes: null } });
  expect(none.json().groups).toEqual([]);
});

test('the CSV is the JSON: a header, one row per group, the total last', async () => {
  for (const [groupBy, period] of [
    ['partner', 'month'],
    ['period', 'week'],
  ] as const) {
    const q = { groupBy, period };
    const json = (await s.inject({ who: 'ops', method: 'GET', url: url('/reports/funnel', q) })).json();
    const res = await s.inject({ who: 'ops', method: 'GET', url: url('/reports/funnel.csv', q) });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(res.headers['content-disposition']).toMatch(new RegExp(`^attachment; filename="funnel-${groupBy}.*\\.csv"$`));
    const [header, ...rows] = parseCsv(res.body);
    expect(header).toEqual([
      'scope',
      'key',
      'leads',
      'reached',
      'target',
      'deals',
      'contracts',
      'reached_from_leads',
      'target_from_reached',
      'deals_from_target',
      'contracts_from_deals',
      'target_from_leads',
      'deals_from_leads',
      'contracts_from_leads',
      'target_share',
      'target_share_low',
      'first_contact_touched',
      'first_contact_untouched',
      'first_contact_p50_minutes',
      'first_contact_p90_minutes',
      'reengaged',
      'returned',
      'return_share',
      'median_days_to_return',
    ]);
    const asCells = (scope: string, key: string | null, r: ReturnType<typeof expectedRow>) =>
      [
        scope,
        key ?? '',
        r.leads,
        r.reached,
        r.target,
        r.deals,
        r.contracts,
        r.conversion.reached.fromPrevious,
        r.conversion.target.fromPrevious,
        r.conversion.deals.fromPrevious,
        r.conversion.contracts.fromPrevious,
        r.conversion.target.fromLeads,
        r.conversion.deals.fromLeads,
        r.conversion.contracts.fromLeads,
        r.targetShare,
        r.targetShareLow,
        r.firstContact.touched,
        r.firstContact.untouched,
        r.firstContact.p50Minutes,
        r.firstContact.p90Minutes,
        r.returns.reengaged,
        r.returns.returned,
        r.returns.share,
        r.returns.medianDaysToReturn,
      ].map((v) => (v === null ? '' : String(v)));
    expect(rows).toEqual([
      ...json.groups.map((g: ReturnType<typeof expectedRow> & { key: string | null }) => asCells('group', g.key, g)),
      asCells('total', null, json.total),
    ]);
  }
});

test('who may read it: ops, team leads and admins; not sales, not partners', async () => {
  for (const path of ['/reports/funnel', '/reports/funnel.csv']) {
    const expected: Record<Caller, number> = { ops: 200, team_lead: 200, admin: 200, sales: 403, partner: 403, partner2: 403 };
    for (const [who, status] of Object.entries(expected) as [Caller, number][]) {
      const res = await s.inject({ who, method: 'GET', url: url(path, { groupBy: 'region' }) });
      expect(`${path} as ${who}: ${res.statusCode}`).toBe(`${path} as ${who}: ${status}`);
      if (status === 403) expect(res.headers['content-type']).toContain('application/problem+json');
    }
    expect((await s.inject({ who: 'nobody', method: 'GET', url: url(path, {}) })).statusCode).toBe(401);
  }
});

test('a bad query is a 400 that names the field', async () => {
  const bad = async (q: Record<string, string>) => {
    const res = await s.inject({ who: 'ops', method: 'GET', url: url('/reports/funnel', q) });
    expect(res.statusCode).toBe(400);
    return res.json().errors.map((e: { path: string }) => e.path);
  };
  expect(await bad({ groupBy: 'weekday' })).toEqual(['querystring.groupBy']);
  expect(await bad({ period: 'year' })).toEqual(['querystring.period']);
  expect(await bad({ from: 'yesterday' })).toEqual(['querystring.from']);
  expect(await bad({ from: TO, to: FROM })).toEqual(['querystring.to']);
  expect(await bad({ from: '2020-01-01', to: '2026-01-01' })).toEqual(['querystring.to']);
  const missing = await s.inject({ who: 'ops', method: 'GET', url: `/reports/funnel.csv?to=${TO}` });
  expect(missing.statusCode).toBe(400);
  expect(missing.headers['content-type']).toContain('application/problem+json');
});

test('the loader reads any cohort in two queries (no N+1)', async () => {
  let queries = 0;
  const counting = s.db.$extends({
    query: {
      $allOperations: ({ args, query }) => {
        queries += 1;
        return query(args);
      },
    },
  }) as unknown as Db;
  const all = await loadFunnelData(counting, { from: new Date(FROM), to: new Date(`${TO}T00:00:00Z`), campaign: tag });
  expect([all.length, queries]).toEqual([population.length, 2]);
  queries = 0;
  const few = await loadFunnelData(counting, {
    from: new Date(FROM),
    to: new Date(`${TO}T00:00:00Z`),
    campaign: tag,
    region: 'msk',
    source: 'call',
  });
  expect(few.length).toBeLessThan(all.length);
  expect(queries).toBe(2);
  const one = all.find((l) => l.events.length > 3)!;
  const seeded = population.find((l) => l.id === one.id)!;
  // Only the event kinds the report reads, in order.
  expect(one.events.map((e) => e.type)).toEqual(
    seeded.events
      .map((e) => e.type)
      .filter(
        (t) =>
          ![
            'received',
            'assigned',
            'sla_reminder',
            'deal_proposal',
            'payment_recorded',
            'paid_in_full',
            'consent_given',
            'offered',
            'partner_declined',
            'reengagement_touch',
            'closed',
          ].includes(t),
      ),
  );
});

test('the OpenAPI document describes the CSV response', async () => {
  const doc = (await s.inject({ method: 'GET', url: '/openapi.json' })).json() as OpenAPIV3.Document;
  const csv = doc.paths['/reports/funnel.csv']!.get!.responses['200'] as OpenAPIV3.ResponseObject;
  expect(csv.content).toEqual({ 'text/csv': { schema: { type: 'string' } } });
  expect(Object.keys(doc.paths['/reports/funnel']!.get!.responses)).toEqual(expect.arrayContaining(['200', '400', '401', '403']));
});

/** RFC 4180: quoted cells may hold commas, quotes ("") and line breaks; rows end with CRLF. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(cell);
      cell = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
      i++;
    } else cell += c;
  }
  expect(row.length + cell.length).toBe(0); // the last row ended with CRLF
  return rows;
}
