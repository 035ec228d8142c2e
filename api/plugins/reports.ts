// /reports: the funnel (leads → reached → target → deals → contracts) over a cohort of leads,
// in total and sliced by one dimension, as JSON or CSV. Read from PostgreSQL's audit trail and
// read model (api/reports/funnel-data.ts); the counting is domain/funnel.ts.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { DAY, IsoDate, IsoDateTime } from '../../domain/time';
import type { Db } from '../../platform/db';
import { funnelCsv, funnelReport, GROUP_BY, PERIODS, TARGET_SHARE_ALARM } from '../../domain/funnel';
import { text } from '../../domain/text';
import { allow } from '../auth';
import { badRequest, problemResponses } from '../problem';
import { loadFunnelData } from '../reports/funnel-data';

export interface ReportsPluginOptions {
  db: Db;
}

const problems = problemResponses;
/** The widest cohort one request may read (two years), so a report stays bounded in memory. */
export const MAX_RANGE_DAYS = 731;

const Instant = z.union([IsoDate(), IsoDateTime({ offset: true })]);

const FunnelQuery = z.object({
  from: Instant.describe('Cohort start, inclusive: leads created at or after (YYYY-MM-DD = 00:00 UTC, or an ISO date-time)'),
  to: Instant.describe('Cohort end, exclusive: leads created before'),
  groupBy: z
    .enum(GROUP_BY)
    .default('period')
    .describe('One dimension: period (of createdAt), source channel, referring partner, current manager, region'),
  period: z
    .enum(PERIODS)
    .default('month')
    .describe('With groupBy=period: week (ISO, Monday, "2026-W47"), month ("2026-11") or quarter ("2026-Q4"), in UTC'),
  source: text(64).optional().describe('Only this source channel'),
  sourcePartnerId: text(64).optional().describe('Only leads referred by this partner'),
  managerId: text(64).optional().describe('Only leads owned by this manager'),
  region: text(64).optional(),
  campaign: text(200).optional(),
});
type FunnelQuery = z.infer<typeof FunnelQuery>;

const Ratio = z.number().nullable().describe('0..1, rounded to 4 decimals; null when the denominator is 0');
const Conversion = z.object({
  fromPrevious: Ratio.describe('this step / the previous step'),
  fromLeads: Ratio.describe('this step / leads'),
});
const FunnelRow = z.object({
  leads: z.number().int().describe('leads created in the range'),
  reached: z.number().int().describe('leads with a `contacted` event'),
  target: z.number().int().describe('leads with a `qualified` event'),
  deals: z.number().int().describe('leads that entered the stage deal (`qualified` or `partner_accepted` into deal)'),
  contracts: z.number().int().describe('leads with a `contract_signed` event'),
  conversion: z.object({ reached: Conversion, target: Conversion, deals: Conversion, contracts: Conversion }),
  targetShare: Ratio.describe('target / reached'),
  targetShareLow: z.boolean().nullable().describe(`targetShare below ${TARGET_SHARE_ALARM} (the domain's alarm)`),
  firstContact: z.object({
    touched: z.number().int().describe('leads with a contact attempt (contacted, no_answer, refused, unreachable)'),
    untouched: z.number().int().describe('leads never touched (left out of the percentiles)'),
    p50Minutes: z.number().nullable().describe('median minutes from creation to the first contact attempt (wall clock)'),
    p90Minutes: z.number().nullable(),
  }),
  returns: z.object({
    reengaged: z
      .number()
      .int()
      .describe('leads refused or lost: refused, lost, unreachable, consent_refused, consent_timeout or no_partner'),
    returned: z.number().int().describe('of those, leads with a later `returned` event'),
    share: Ratio.describe('returned / reengaged'),
    medianDaysToReturn: z.number().nullable().describe('median days from entering re-engagement to the return'),
  }),
});
const FunnelReport = z.object({
  from: z.string(),
  to: z.string(),
  groupBy: z.enum(GROUP_BY),
  period: z.enum(PERIODS).nullable(),
  targetShareAlarm: z.number(),
  total: FunnelRow,
  groups: z.array(FunnelRow.extend({ key: z.string().nullable().describe('the period or the value of the dimension; null = none') })),
});

const csvResponse = {
  description: 'The same report as CSV: a header row, one row per group (scope=group), then the total row (scope=total)',
  content: { 'text/csv': { schema: z.string() } },
};

const description =
  'A cohort report: the leads created in [from, to), and everything that happened to them since. Each lead counts at most once per step; ' +
  'every lead falls in exactly one group (key null when the dimension is empty), so the groups add up to the total.';

export const reportsPlugin: FastifyPluginAsyncZod<ReportsPluginOptions> = async (app, { db }) => {
  async function build(q: FunnelQuery) {
    const from = new Date(q.from);
    const to = new Date(q.to);
    if (!(from < to)) throw badRequest([{ path: 'querystring.to', message: 'must be after from' }]);
    if (to.getTime() - from.getTime() > MAX_RANGE_DAYS * DAY)
      throw badRequest([{ path: 'querystring.to', message: `the range may span at most ${MAX_RANGE_DAYS} days` }]);
    const leads = await loadFunnelData(db, {
      from,
      to,
      source: q.source,
      sourcePartnerId: q.sourcePartnerId,
      managerId: q.managerId,
      region: q.region,
      campaign: q.campaign,
    });
    const report = funnelReport(leads, { groupBy: q.groupBy, period: q.period, range: { from, to } });
    return {
      from: from.toISOString(),
      to: to.toISOString(),
      groupBy: q.groupBy,
      period: q.groupBy === 'period' ? q.period : null,
      targetShareAlarm: TARGET_SHARE_ALARM,
      ...report,
    };
  }

  app.get(
    '/reports/funnel',
    {
      schema: {
        tags: ['reports'],
        summary: 'The funnel: leads → reached → target → deals → contracts, in total and by one dimension',
        description,
        querystring: FunnelQuery,
        response: { 200: FunnelReport, ...problems },
      },
      preHandler: allow('ops', 'team_lead'),
    },
    async (req) => build(req.query),
  );

  app.get(
    '/reports/funnel.csv',
    {
      schema: {
        tags: ['reports'],
        summary: 'The funnel as CSV (the same query as /reports/funnel)',
        description,
        querystring: FunnelQuery,
        response: { 200: csvResponse, ...problems },
      },
      preHandler: allow('ops', 'team_lead'),
    },
    async (req, reply) => {
      const report = await build(req.query);
      const name = `funnel-${report.groupBy}${report.period ? `-${report.period}` : ''}-${report.from.slice(0, 10)}-${report.to.slice(0, 10)}.csv`;
      return reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="${name}"`).send(funnelCsv(report));
    },
  );
};
