// The roster: teams and managers (admin, ops; a team lead for their own team), absences, and
// the wake-up call. Every change that may free a manager wakes the leads waiting for one; a
// manager deactivated or away has their open leads reassigned by the leads' own workflows.
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Db } from '../../platform/db';
import { covers, isAway, LOAD_STAGES } from '../../domain/roster';
import type { Manager, ManagerAbsence, Team } from '../../generated/prisma/client';
import { reassignLeadsOf, wakeLeadsWaitingForManager } from '../../platform/roster';
import { allow, forbidden, type Principal } from '../auth';
import { HttpProblem, notFound, problemResponses, unprocessable, unprocessableResponse } from '../problem';
import * as S from '../roster-schemas';

export interface RosterPluginOptions {
  db: Db;
  temporal: Client;
}

const problems = { ...problemResponses, 422: unprocessableResponse };
const tags = ['roster'];
const WHO = ['ops', 'team_lead'] as const; // and admin, always

const refused = (reason: string) =>
  new HttpProblem(409, 'action-refused', 'The roster cannot take this change', { reason, detail: reason });
const isUniqueViolation = (err: unknown) => (err as { code?: string } | null)?.code === 'P2002';
const unknownManager = (path: string, id: string) =>
  unprocessable('unknown-manager', 'No such manager', [{ path, message: `no manager ${id}` }]);
const unknownTeam = (id: string) => unprocessable('unknown-team', 'No such team', [{ path: 'body.teamId', message: `no team ${id}` }]);

type ManagerRow = Manager & { absences: ManagerAbsence[] };
type TeamRow = Team & { managers: { id: string }[] };

export const rosterPlugin: FastifyPluginAsyncZod<RosterPluginOptions> = async (app, { db, temporal }) => {
  // --- who may touch what ------------------------------------------------------------------------

  /** The teams a team lead leads: their manager row is found by credential subject (or id). Others: undefined (all). */
  async function teamsOf(p: Principal): Promise<string[] | undefined> {
    if (p.role !== 'team_lead') return undefined;
    const me = await db.manager.findFirst({
      where: { OR: [{ apiSubject: p.subject }, { id: p.subject }] },
      orderBy: { apiSubject: 'asc' },
    });
    if (!me) return [];
    return (await db.team.findMany({ where: { leadId: me.id }, select: { id: true } })).map((t) => t.id);
  }
  const mayTouchTeam = async (p: Principal, teamId: string | null) => {
    const mine = await teamsOf(p);
    if (mine && !(teamId && mine.includes(teamId)))
      throw forbidden(`a team lead may only change their own team${teamId ? `, not ${teamId}` : ''}`);
  };

  // --- views ---------------------------------------------------------------------------------------

  const absenceView = (a: ManagerAbsence, now: Date) => ({
    id: a.id,
    managerId: a.managerId,
    kind: a.kind as 'vacation' | 'sick_leave',
    from: a.fromAt.toISOString(),
    until: a.untilAt?.toISOString() ?? null,
    endedAt: a.endedAt?.toISOString() ?? null,
    current: covers(a, now),
    createdBy: a.createdBy,
  });
  async function managerViews(rows: ManagerRow[]) {
    const now = new Date();
    const loads = await db.lead.groupBy({
      by: ['managerId'],
      where: { managerId: { in: rows.map((m) => m.id) }, stage: { in: LOAD_STAGES } },
      _count: { _all: true },
    });
    const load = new Map(loads.map((l) => [l.managerId, l._count._all]));
    return rows.map((m) => ({
      id: m.id,
      name: m.name,
      teamId: m.teamId,
      teamLeadId: m.teamLeadId,
      expertise: m.expertise,
      territory: m.territory,
      capacity: m.capacity,
      email: m.email,
      apiSubject: m.apiSubject,
      active: m.active,
      away: isAway(m, now),
      openLeads: load.get(m.id) ?? 0,
      // Past absences are history, not roster: only those that cover now or are still to come.
      absences: m.absences.filter((a) => covers(a, now) || a.fromAt > now).map((a) => absenceView(a, now)),
      createdAt: m.createdAt.toISOString(),
    }));
  }
  const managerRow = async (id: string): Promise<ManagerRow> => {
    const m = await db.manager.findUnique({ where: { id }, include: { absences: { orderBy: { fromAt: 'asc' } } } });
    if (!m) throw notFound(`manager ${id}`);
    return m;
  };
  const managerView = async (id: string) => (await managerViews([await managerRow(id)]))[0]!;
  const teamView = (t: TeamRow) => ({
    id: t.id,
    name: t.name,
    leadId: t.leadId,
    managers: t.managers.map((m) => m.id),
    createdAt: t.createdAt.toISOString(),
  });
  const teamRow = async (id: string): Promise<TeamRow> => {
    const t = await db.team.findUnique({ where: { id }, include: { managers: { select: { id: true }, orderBy: { id: 'asc' } } } });
    if (!t) throw notFound(`team ${id}`);
    return t;
  };

  const mustBeManager = async (path: string, id: string | null | undefined) => {
    if (id && !(await db.manager.findUnique({ where: { id }, select: { id: true } }))) throw unknownManager(path, id);
  };
  const mustBeTeam = async (id: string | null | undefined) => {
    if (id && !(await db.team.findUnique({ where: { id }, select: { id: true } }))) throw unknownTeam(id);
  };

  /** After a change: the leads waiting for a free manager try again; an unavailable manager's leads move. */
  async function rosterChanged(away?: { managerId: string; reason: string }): Promise<number> {
    const reassigned = away ? await reassignLeadsOf(db, temporal, away.managerId, away.reason) : 0;
    await wakeLeadsWaitingForManager(db, temporal);
    return reassigned;
  }

  // --- teams ---------------------------------------------------------------------------------------

  app.post(
    '/teams',
    {
      schema: { tags, summary: 'Create a team', body: S.TeamInput, response: { 201: S.TeamView, ...problems } },
      preHandler: allow('ops'),
    },
    async (req, reply) => {
      const b = req.body;
      await mustBeManager('body.leadId', b.leadId);
      const id = b.id ?? randomUUID();
      try {
        await db.team.create({ data: { id, name: b.name, leadId: b.leadId ?? null } });
      } catch (err) {
        if (isUniqueViolation(err)) throw refused(`team ${id} exists`);
        throw err;
      }
      await rosterChanged();
      return reply.status(201).send(teamView(await teamRow(id)));
    },
  );

  app.get(
    '/teams',
    {
      schema: {
        tags,
        summary: 'The teams (a team lead: their own)',
        response: { 200: z.object({ items: z.array(S.TeamView) }), ...problems },
      },
      preHandler: allow(...WHO),
    },
    async (req) => {
      const mine = await teamsOf(req.principal!);
      const rows = await db.team.findMany({
        where: mine ? { id: { in: mine } } : {},
        include: { managers: { select: { id: true }, orderBy: { id: 'asc' } } },
        orderBy: { id: 'asc' },
      });
      return { items: rows.map(teamView) };
    },
  );

  app.get(
    '/teams/:id',
    {
      schema: { tags, summary: 'One team', params: S.TeamParams, response: { 200: S.TeamView, ...problems } },
      preHandler: allow(...WHO),
    },
    async (req) => {
      const t = await teamRow(req.params.id);
      await mayTouchTeam(req.principal!, t.id);
      return teamView(t);
    },
  );

  app.patch(
    '/teams/:id',
    {
      schema: {
        tags,
        summary: 'Rename a team or change its lead (a team lead may rename their own)',
        params: S.TeamParams,
        body: S.TeamPatch,
        response: { 200: S.TeamView, ...problems },
      },
      preHandler: allow(...WHO),
    },
    async (req) => {
      const t = await teamRow(req.params.id);
      const p = req.principal!;
      await mayTouchTeam(p, t.id);
      const b = req.body;
      if (p.role === 'team_lead' && b.leadId !== undefined && b.leadId !== t.leadId)
        throw forbidden('only ops and admins appoint a team lead');
      await mustBeManager('body.leadId', b.leadId);
      await db.team.update({ where: { id: t.id }, data: { name: b.name, leadId: b.leadId } });
      await rosterChanged();
      return teamView(await teamRow(t.id));
    },
  );

  // --- managers ------------------------------------------------------------------------------------

  app.post(
    '/managers',
    {
      schema: {
        tags,
        summary: 'Add a manager (a team lead: to their own team)',
        body: S.ManagerInput,
        response: { 201: S.ManagerView, ...problems },
      },
      preHandler: allow(...WHO),
    },
    async (req, reply) => {
      const b = req.body;
      await mayTouchTeam(req.principal!, b.teamId ?? null);
      await mustBeTeam(b.teamId);
      await mustBeManager('body.teamLeadId', b.teamLeadId);
      const id = b.id ?? randomUUID();
      try {
        await db.manager.create({
          data: {
            id,
            name: b.name,
            teamId: b.teamId ?? null,
            teamLeadId: b.teamLeadId ?? null,
            expertise: b.expertise,
            territory: b.territory,
            capacity: b.capacity ?? null,
            email: b.email ?? null,
            apiSubject: b.apiSubject ?? null,
            active: b.active,
          },
        });
      } catch (err) {
        if (isUniqueViolation(err)) throw refused(`manager ${id} or API subject ${b.apiSubject ?? ''} is already on the roster`);
        throw err;
      }
      await rosterChanged();
      return reply.status(201).send(await managerView(id));
    },
  );

  app.get(
    '/managers',
    {
      schema: {
        tags,
        summary: 'The managers (a team lead: their team)',
        querystring: z.object({ teamId: S.TeamParams.shape.id.optional(), active: z.enum(['true', 'false']).optional() }),
        response: { 200: z.object({ items: z.array(S.ManagerView) }), ...problems },
      },
      preHandler: allow(...WHO),
    },
    async (req) => {
      const mine = await teamsOf(req.principal!);
      const { teamId, active } = req.query;
      const rows = await db.manager.findMany({
        where: {
          AND: [mine ? { teamId: { in: mine } } : {}, teamId ? { teamId } : {}, active ? { active: active === 'true' } : {}],
        },
        include: { absences: { orderBy: { fromAt: 'asc' } } },
        orderBy: { id: 'asc' },
      });
      return { items: await managerViews(rows) };
    },
  );

  app.get(
    '/managers/:id',
    {
      schema: {
        tags,
        summary: 'One manager, with current and coming absences',
        params: S.ManagerParams,
        response: { 200: S.ManagerView, ...problems },
      },
      preHandler: allow(...WHO),
    },
    async (req) => {
      const m = await managerRow(req.params.id);
      await mayTouchTeam(req.principal!, m.teamId);
      return (await managerViews([m]))[0]!;
    },
  );

  app.patch(
    '/managers/:id',
    {
      schema: {
        tags,
        summary: 'Change a manager; `active: false` reassigns their open leads',
        params: S.ManagerParams,
        body: S.ManagerPatch,
        response: { 200: S.ManagerChange, ...problems },
      },
      preHandler: allow(...WHO),
    },
    async (req) => {
      const m = await managerRow(req.params.id);
      const p = req.principal!;
      const b = req.body;
      await mayTouchTeam(p, m.teamId);
      if (b.teamId !== undefined && b.teamId !== m.teamId) await mayTouchTeam(p, b.teamId); // not into someone else's team
      await mustBeTeam(b.teamId);
      await mustBeManager('body.teamLeadId', b.teamLeadId);
      try {
        await db.manager.update({ where: { id: m.id }, data: b });
      } catch (err) {
        if (isUniqueViolation(err)) throw refused(`API subject ${b.apiSubject ?? ''} already identifies another manager`);
        throw err;
      }
      const leadsReassigned = await rosterChanged(
        m.active && b.active === false ? { managerId: m.id, reason: 'manager deactivated' } : undefined,
      );
      return { ...(await managerView(m.id)), leadsReassigned };
    },
  );

  app.post(
    '/managers/:id/deactivate',
    {
      schema: {
        tags,
        summary: 'Deactivate a manager: their open leads are reassigned by their workflows, their open tasks move with them',
        params: S.ManagerParams,
        response: { 200: S.ManagerChange, ...problems },
      },
      preHandler: allow(...WHO),
    },
    async (req) => {
      const m = await managerRow(req.params.id);
      await mayTouchTeam(req.principal!, m.teamId);
      await db.manager.update({ where: { id: m.id }, data: { active: false } });
      // Also when already inactive: a repeat reassigns any lead that stayed with them (nobody was free then).
      const leadsReassigned = await rosterChanged({ managerId: m.id, reason: 'manager deactivated' });
      return { ...(await managerView(m.id)), leadsReassigned };
    },
  );

  // --- absences ------------------------------------------------------------------------------------

  app.post(
    '/managers/:id/absences',
    {
      schema: {
        tags,
        summary: 'A vacation (from–until) or a sick leave (open-ended); one that covers now reassigns the open leads',
        params: S.ManagerParams,
        body: S.AbsenceInput,
        response: { 201: S.ManagerChange, ...problems },
      },
      preHandler: allow(...WHO),
    },
    async (req, reply) => {
      const m = await managerRow(req.params.id);
      await mayTouchTeam(req.principal!, m.teamId);
      const b = req.body;
      const now = new Date();
      const fromAt = b.from ? new Date(b.from) : now;
      const untilAt = b.kind === 'vacation' ? new Date(b.until) : null;
      if (untilAt && untilAt <= fromAt)
        throw unprocessable('invalid-absence', 'The absence ends before it begins', [
          { path: 'body.until', message: 'must be after from' },
        ]);
      const absence = { fromAt, untilAt, endedAt: null };
      const awayNow = covers(absence, now);
      const announcedAt = awayNow ? now : null; // else the roster sweep announces it when it begins
      await db.managerAbsence.create({
        data: { id: randomUUID(), managerId: m.id, kind: b.kind, ...absence, announcedAt, createdBy: req.principal!.actor },
      });
      // A coming vacation takes effect in assignment when it begins, and the roster sweep moves its leads then.
      const leadsReassigned = await rosterChanged(
        awayNow ? { managerId: m.id, reason: `manager away (${b.kind.replace('_', ' ')})` } : undefined,
      );
      return reply.status(201).send({ ...(await managerView(m.id)), leadsReassigned });
    },
  );

  app.post(
    '/managers/:id/absences/:absenceId/end',
    {
      schema: {
        tags,
        summary: 'The manager is back: the absence ends now, and leads waiting for a manager try again',
        params: S.AbsenceParams,
        response: { 200: S.ManagerView, ...problems },
      },
      preHandler: allow(...WHO),
    },
    async (req) => {
      const m = await managerRow(req.params.id);
      await mayTouchTeam(req.principal!, m.teamId);
      const a = m.absences.find((x) => x.id === req.params.absenceId);
      if (!a) throw notFound(`absence ${req.params.absenceId} of manager ${m.id}`);
      const now = new Date();
      if (a.endedAt || (a.untilAt && a.untilAt <= now)) throw refused(`absence ${a.id} is already over`);
      // Conditional: two people pressing "back" at once end it once.
      await db.managerAbsence.updateMany({
        where: { id: a.id, endedAt: null },
        data: { endedAt: a.fromAt > now ? a.fromAt : now, overAt: now },
      });
      await rosterChanged();
      return managerView(m.id);
    },
  );

  // --- by hand -------------------------------------------------------------------------------------

  app.post(
    '/roster/changed',
    {
      schema: {
        tags: ['ops'],
        summary: 'The managers changed by hand (SQL): leads waiting for a free manager try again now',
        response: { 200: z.object({ woken: z.number().int().describe('Leads without a manager that were told') }), ...problemResponses },
      },
      preHandler: allow('ops', 'team_lead'),
    },
    async () => ({ woken: await wakeLeadsWaitingForManager(db, temporal) }),
  );
};
