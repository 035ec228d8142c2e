// Alarms for ops: list them, acknowledge one (someone is on it), resolve it (dealt with). An
// alarm moves open → acknowledged → resolved and never back; the sweeps open a new one if the
// condition holds again after it was resolved.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { text } from '../../domain/text';
import type { Db } from '../../platform/db';
import { ALARM_STATES, AlarmKind, type AlarmState } from '../../domain/alarms';
import { allow } from '../auth';
import { HttpProblem, notFound, problemResponses } from '../problem';

export interface AlarmsPluginOptions {
  db: Db;
}

const problems = problemResponses;
const WHO = ['ops', 'team_lead'] as const; // and admin, always

const AlarmParams = z.object({ id: z.string().min(1).max(64) });
const Json = z.record(z.string(), z.unknown());

const Alarm = z.object({
  id: z.string(),
  kind: z.string(),
  subject: z.string().describe('"all" for the whole program, else a manager id, a partner id, or a lead id (stop_contact_overdue)'),
  state: z.enum(ALARM_STATES),
  evidence: Json.describe('What tripped it: counts, rates, lead ids (at most 100)'),
  threshold: Json.describe('The effective threshold it was judged against, with the low season if one was in force'),
  openedAt: z.string(),
  acknowledgedAt: z.string().nullable(),
  acknowledgedBy: z.string().nullable(),
  resolvedAt: z.string().nullable(),
  resolvedBy: z.string().nullable(),
  notifiedAt: z.string().nullable(),
});

type Row = Awaited<ReturnType<Db['alarm']['findUniqueOrThrow']>>;
const view = (a: Row) => ({
  id: a.id,
  kind: a.kind,
  subject: a.subject,
  state: a.state as AlarmState,
  evidence: a.evidence as Record<string, unknown>,
  threshold: a.threshold as Record<string, unknown>,
  openedAt: a.openedAt.toISOString(),
  acknowledgedAt: a.acknowledgedAt?.toISOString() ?? null,
  acknowledgedBy: a.acknowledgedBy,
  resolvedAt: a.resolvedAt?.toISOString() ?? null,
  resolvedBy: a.resolvedBy,
  notifiedAt: a.notifiedAt?.toISOString() ?? null,
});

const refused = (reason: string) =>
  new HttpProblem(409, 'action-refused', 'The alarm cannot take this action now', { reason, detail: reason });

/** Why alarm `a`, in its current state, cannot move to `to`. */
function whyNot(a: Row, to: 'acknowledged' | 'resolved'): string {
  if (a.state === 'resolved')
    return `alarm ${a.id} is already resolved${a.resolvedBy ? ` by ${a.resolvedBy}` : ''}; a new alarm opens if the condition holds again`;
  if (to === 'acknowledged') return `alarm ${a.id} is already acknowledged${a.acknowledgedBy ? ` by ${a.acknowledgedBy}` : ''}`;
  return `alarm ${a.id} is ${a.state}; acknowledge it before resolving it`;
}

export const alarmsPlugin: FastifyPluginAsyncZod<AlarmsPluginOptions> = async (app, { db }) => {
  app.get(
    '/alarms',
    {
      schema: {
        tags: ['ops'],
        summary: 'Alarms about the funnel and partners, newest first',
        querystring: z.object({
          state: z.enum(ALARM_STATES).optional(),
          kind: AlarmKind.optional(),
          subject: text(200, 1).optional(),
          limit: z.coerce.number().int().min(1).max(500).default(100),
        }),
        response: { 200: z.object({ items: z.array(Alarm) }), ...problems },
      },
      preHandler: allow(...WHO),
    },
    async (req) => {
      const { state, kind, subject, limit } = req.query;
      const rows = await db.alarm.findMany({
        where: { state, kind, subject },
        orderBy: [{ openedAt: 'desc' }, { id: 'asc' }],
        take: limit,
      });
      return { items: rows.map(view) };
    },
  );

  const move = (to: 'acknowledged' | 'resolved', from: AlarmState) => async (id: string, actor: string) => {
    const now = new Date();
    const data =
      to === 'acknowledged' ? { state: to, acknowledgedAt: now, acknowledgedBy: actor } : { state: to, resolvedAt: now, resolvedBy: actor };
    // Conditional on the state it leaves: two people pressing the button at once move it once.
    const moved = await db.alarm.updateMany({ where: { id, state: from }, data });
    const row = await db.alarm.findUnique({ where: { id } });
    if (!row) throw notFound(`alarm ${id}`);
    if (moved.count === 0) throw refused(whyNot(row, to));
    return view(row);
  };
  const acknowledge = move('acknowledged', 'open');
  const resolve = move('resolved', 'acknowledged');

  app.post(
    '/alarms/:id/acknowledge',
    {
      schema: {
        tags: ['ops'],
        summary: 'Acknowledge an open alarm (someone is on it)',
        params: AlarmParams,
        response: { 200: Alarm, ...problems },
      },
      preHandler: allow(...WHO),
    },
    async (req) => acknowledge(req.params.id, req.principal!.actor),
  );

  app.post(
    '/alarms/:id/resolve',
    {
      schema: {
        tags: ['ops'],
        summary: 'Resolve an acknowledged alarm; the sweeps may open a new one if the condition holds again',
        params: AlarmParams,
        response: { 200: Alarm, ...problems },
      },
      preHandler: allow(...WHO),
    },
    async (req) => resolve(req.params.id, req.principal!.actor),
  );
};
