// /leads: intake, the lead's state and history, lists from the read model, and every staff action
// as a Workflow Update (409 with the workflow's reason when it does not fit the stage).
import { WorkflowNotFoundError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { IsoDateTime } from '../../domain/time';
import { poolOf, type Db } from '../../platform/db';
import { ACTION_NAMES, LEAD_ACTIONS, type LeadActionRow } from '../../domain/actions';
import { stopContactOrders } from '../../platform/repos/stop-contact-orders';
import { executeLeadUpdate, isNotApplied } from '../../platform/lead-update';
import { LeadIntake } from '../../domain/intake';
import { text } from '../../domain/text';
import * as M from '../../workflows/messages';
import { decodeCursor, encodeCursor } from '../cursor';
import { allow, forbidden, type Role, STAFF } from '../auth';
import { type IntakeResult as Intake, type IntakeService, TemporalUnavailable } from '../intake';
import { leadWorkflowId as workflowIdOf } from '../../workflows/lead';
import { IdempotencyHeaders } from '../idempotency';
import { listLeads, type SortField } from '../read-model';
import type { Metrics } from './metrics';
import type { IntakeAdmission } from '../admission';
import { RETRY_AFTER_S } from '../outage';
import {
  badRequest,
  conflict,
  dependencyUnavailable,
  HttpProblem,
  notFound,
  Problem,
  problemResponses,
  sendProblem,
  unprocessable,
  unprocessableResponse,
} from '../problem';
import { Episode, HistoryEntry, IntakeResult, LeadIdParams, LeadSummary, LeadView, Stage, StopContactOrderView } from '../schemas';

export interface LeadsPluginOptions {
  db: Db;
  temporal: Client;
  intake: IntakeService;
  metrics?: Metrics;
  /** Answers 429 to new leads while the worker is behind on them (api/admission.ts). */
  admission?: IntakeAdmission;
}

const problems = problemResponses;
const unavailableResponse = {
  description: 'Temporal cannot be reached and the request could not be taken: retry after `Retry-After` seconds',
  content: { 'application/problem+json': { schema: Problem } },
};
const MAX_EPISODES = 100;

/** Who may ever take an action, checked before its body is read; whether a partner may take it on this lead is decided per lead. */
const rolesOf = (row: LeadActionRow): Role[] => [...row.roles, ...(row.partner ? (['partner'] as const) : [])];

/** A partner's answer names the partner it is from. */
const answeringPartner = (body: unknown): unknown => (typeof body === 'object' && body && 'partnerId' in body ? body.partnerId : undefined);

const ContactData = z.object({
  personName: z.string().nullable(),
  companyName: z.string().nullable(),
  phone: z.string().nullable(),
  email: z.string().nullable(),
  region: z.string().nullable(),
});

const ListQuery = z.object({
  stage: Stage.optional(),
  managerId: text(64).optional(),
  partnerId: text(64).optional(),
  source: text(64).optional(),
  stale: z.enum(['true', 'false']).optional(),
  createdFrom: IsoDateTime().optional(),
  createdTo: IsoDateTime().optional(),
  sort: z.enum(['createdAt', '-createdAt', 'stageChangedAt', '-stageChangedAt']).default('-createdAt'),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(500).optional().describe('nextCursor of the previous page'),
});

const Cursor = z.object({ v: IsoDateTime(), id: z.string() });

export const leadsPlugin: FastifyPluginAsyncZod<LeadsPluginOptions> = async (app, { db, temporal, intake, metrics, admission }) => {
  const handleOf = (id: string) => temporal.workflow.getHandle(workflowIdOf(id));
  const readModel = poolOf(db);

  /** The lead, if this caller may see it: partners only see leads offered to them (else 404). */
  async function visibleLead(req: FastifyRequest, id: string) {
    const lead = await db.lead.findUnique({ where: { id } });
    if (!lead) throw notFound(`lead ${id}`);
    const p = req.principal!;
    if (p.role === 'partner') {
      const offer = await db.partnerOffer.findUnique({ where: { leadId_partnerId: { leadId: id, partnerId: p.subject } } });
      if (!offer) throw notFound(`lead ${id}`);
      return { lead, offer };
    }
    return { lead, offer: undefined };
  }

  /**
   * A lead is reassigned only to a manager who exists and is active: the workflow cannot tell
   * (it has no roster), and a typo would leave the lead with an owner nobody is.
   */
  async function activeManager(managerId: string): Promise<void> {
    const m = await db.manager.findUnique({ where: { id: managerId }, select: { active: true } });
    if (m?.active) return;
    throw unprocessable('unknown-manager', 'No such active manager', [
      { path: 'body.managerId', message: m ? `manager ${managerId} is not active` : `no manager ${managerId}` },
    ]);
  }

  /**
   * Intake's outcome, spelled out: a lead registered while Temporal was unreachable is a 202 (it
   * exists, its process starts when Temporal is back: nothing to retry); a repeat inquiry that
   * could not reach its open lead is a 503 with Retry-After (nothing was stored: retry).
   */
  async function take(req: FastifyRequest, body: LeadIntake, key?: string, auditHere = false): Promise<Intake> {
    const p = req.principal!;
    // POST /leads writes its audit row in intake's transaction (config.audit); a batch is audited as one request.
    const audit = auditHere
      ? { actor: p.actor, role: p.role, method: req.method, path: req.url.split('?')[0]!, requestId: req.id }
      : undefined;
    const { startError, audited, ...res } = await intake.intake(body, key, audit);
    if (audited) {
      req.auditId = audited.id;
      req.auditedStatus = audited.status;
    }
    if (res.status === 'registered') {
      req.log.warn({ err: startError, leadId: res.leadId }, 'lead registered; its workflow starts with the intake sweep');
    }
    return res;
  }
  const unavailable = (req: FastifyRequest, reply: FastifyReply, err: TemporalUnavailable) => {
    req.log.warn({ err }, 'repeat inquiry not delivered: Temporal unreachable');
    // The one 503 of every outage (api/problem.ts), with what intake knows on top: nothing was stored.
    return sendProblem(reply.header('retry-after', String(RETRY_AFTER_S)), req, {
      status: 503,
      kind: 'dependency-unavailable',
      title: 'The workflow service is unavailable',
      dependency: 'temporal',
      detail:
        'This contact has an open lead; the inquiry was not stored. ' +
        'Retry after the given seconds (the same request is safe to repeat).',
    });
  };

  app.post(
    '/leads',
    {
      schema: {
        tags: ['intake'],
        summary: 'Take in a lead (idempotent on the partner’s external id or Idempotency-Key)',
        headers: IdempotencyHeaders,
        body: LeadIntake,
        response: { 200: IntakeResult, 201: IntakeResult, 202: IntakeResult, ...problems, 503: unavailableResponse },
      },
      config: { idempotency: 'native', audit: 'in-handler' },
      preHandler: allow(...STAFF, 'partner'),
    },
    async (req, reply) => {
      ownSource(req, req.body.source);
      await admission?.admit();
      try {
        const res = await take(req, req.body, req.headers['idempotency-key'], true);
        return reply.status(res.status === 'registered' ? 202 : res.status === 'created' && !res.replayed ? 201 : 200).send(res);
      } catch (err) {
        if (err instanceof TemporalUnavailable) return unavailable(req, reply, err);
        throw err;
      }
    },
  );

  app.post(
    '/leads/batch',
    {
      schema: {
        tags: ['intake'],
        summary: 'Take in a batch of leads from a partner; all validated before any is taken',
        body: z.object({ leads: z.array(LeadIntake).min(1).max(500) }),
        response: { 200: z.object({ results: z.array(IntakeResult) }), ...problems, 503: unavailableResponse },
      },
      preHandler: allow('ops', 'partner'),
    },
    async (req, reply) => {
      const results = [];
      for (const lead of req.body.leads) ownSource(req, lead.source);
      const unkeyed = req.body.leads.flatMap((l, i) =>
        l.source.externalId
          ? []
          : [{ path: `body.leads.${i}.source.externalId`, message: 'batch intake is idempotent on each lead’s externalId' }],
      );
      if (unkeyed.length) throw badRequest(unkeyed);
      await admission?.admit();
      try {
        // Each result says its own status (`registered` ones start with the sweep); a 503 means
        // retry the batch: the leads already taken are replayed by their external ids.
        for (const lead of req.body.leads) results.push(await take(req, lead));
      } catch (err) {
        if (err instanceof TemporalUnavailable) return unavailable(req, reply, err);
        throw err;
      }
      return { results };
    },
  );

  app.get(
    '/leads',
    {
      schema: {
        tags: ['leads'],
        summary: 'List leads from the read model, filtered, sorted, cursor-paginated',
        querystring: ListQuery,
        response: { 200: z.object({ items: z.array(LeadSummary), nextCursor: z.string().nullable() }), ...problems },
      },
      preHandler: allow(...STAFF, 'partner'),
    },
    async (req) => {
      const q = req.query;
      const p = req.principal!;
      const field = q.sort.replace('-', '') as SortField;
      const after = decodeCursor(Cursor, q.cursor);
      const { rows, more } = await listLeads(readModel, {
        stage: q.stage,
        managerId: q.managerId,
        partnerId: q.partnerId,
        source: q.source,
        stale: q.stale === undefined ? undefined : q.stale === 'true',
        createdFrom: q.createdFrom ? new Date(q.createdFrom) : undefined,
        createdTo: q.createdTo ? new Date(q.createdTo) : undefined,
        offeredTo: p.role === 'partner' ? p.subject : undefined,
        sort: { field, dir: q.sort.startsWith('-') ? 'desc' : 'asc' },
        after: after && { v: new Date(after.v).toISOString(), id: after.id },
        limit: q.limit,
      });
      const last = rows[rows.length - 1];
      return {
        items: rows,
        nextCursor: more && last ? encodeCursor({ v: last[field], id: last.id }) : null,
      };
    },
  );

  app.get(
    '/leads/:id',
    {
      schema: {
        tags: ['leads'],
        summary: "The lead's current state (from its workflow)",
        params: LeadIdParams,
        response: { 200: LeadView, ...problems },
      },
      preHandler: allow(...STAFF, 'partner'),
    },
    async (req) => {
      // Staff may see every lead: the query itself says whether it exists (one round trip, not two).
      const p = req.principal!;
      if (p.role === 'partner') await visibleLead(req, req.params.id);
      try {
        const state = await handleOf(req.params.id).query(M.getState);
        // Only a lead the client left has stop-contact orders: an open lead's read costs no query.
        if (state.closedReason !== 'consent_withdrawn' && state.closedReason !== 'opted_out') return state;
        return { ...state, stopContact: await stopContactOrders(db, req.params.id, p.role === 'partner' ? p.subject : undefined) };
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) throw notFound(`lead ${req.params.id}`);
        // An erased lead's history can no longer be read (platform/erasure.ts): asked only on failure.
        const erased = await db.lead.findUnique({ where: { id: req.params.id }, select: { erasedAt: true } });
        if (erased?.erasedAt)
          throw new HttpProblem(410, 'lead-erased', 'The personal data of this lead was erased', {
            detail: `erased at ${erased.erasedAt.toISOString()}`,
          });
        throw err;
      }
    },
  );

  app.get(
    '/leads/:id/history',
    {
      schema: {
        tags: ['leads'],
        summary: 'Every transition of the lead: who, when, why (audit trail); and its neighbouring episodes',
        params: LeadIdParams,
        response: {
          200: z.object({
            items: z.array(HistoryEntry),
            previousLeadId: z.string().nullable().describe("The contact's episode before this lead"),
            nextLeadId: z.string().nullable().describe('The episode the contact started after this lead ended'),
            stopContact: z
              .array(StopContactOrderView)
              .describe(
                'After a withdrawn consent or an opt-out: the stop-contact orders to partners and their confirmations (who, when, how)',
              ),
          }),
          ...problems,
        },
      },
      preHandler: allow(...STAFF, 'partner'),
    },
    async (req) => {
      const { lead } = await visibleLead(req, req.params.id);
      const events = await db.leadEvent.findMany({ where: { leadId: req.params.id }, orderBy: { seq: 'asc' } });
      // The contact's other episodes are staff's business, not the partner's this lead was offered to.
      const staff = req.principal!.role !== 'partner';
      const next = staff ? await db.lead.findUnique({ where: { previousLeadId: lead.id }, select: { id: true } }) : null;
      return {
        items: events.map((e) => ({ seq: e.seq, at: e.at.toISOString(), type: e.type, stage: e.stage, actor: e.actor, reason: e.reason })),
        previousLeadId: staff ? lead.previousLeadId : null,
        nextLeadId: next?.id ?? null,
        stopContact: await stopContactOrders(db, lead.id, staff ? undefined : req.principal!.subject),
      };
    },
  );

  app.get(
    '/leads/:id/episodes',
    {
      schema: {
        tags: ['leads'],
        summary: "The contact's timeline: every episode (lead) of this lead's contact, oldest first, each linked to the one before",
        params: LeadIdParams,
        response: { 200: z.object({ items: z.array(Episode) }), ...problems },
      },
      preHandler: allow(...STAFF),
    },
    async (req) => {
      const { lead } = await visibleLead(req, req.params.id);
      const chain = [lead];
      // Episodes are few (a contact returns a handful of times); the bound only guards the loop.
      for (let prev = lead.previousLeadId; prev && chain.length < MAX_EPISODES;) {
        const row = await db.lead.findUnique({ where: { id: prev } });
        if (!row) break;
        chain.unshift(row);
        prev = row.previousLeadId;
      }
      for (let next = await db.lead.findUnique({ where: { previousLeadId: lead.id } }); next && chain.length < MAX_EPISODES;) {
        chain.push(next);
        next = await db.lead.findUnique({ where: { previousLeadId: next.id } });
      }
      return {
        items: chain.map((l) => ({
          leadId: l.id,
          previousLeadId: l.previousLeadId,
          stage: l.stage,
          optedOut: l.optedOut,
          returnedAfterOptOut: l.returnedAfterOptOut,
          sourceChannel: l.sourceChannel,
          createdAt: l.createdAt.toISOString(),
        })),
      };
    },
  );

  app.get(
    '/leads/:id/contact',
    {
      schema: {
        tags: ['leads'],
        summary: "The client's contact data: staff, or the partner that accepted a lead the client consented to hand off",
        params: LeadIdParams,
        response: { 200: ContactData, ...problems },
      },
      preHandler: allow(...STAFF, 'partner'),
    },
    async (req) => {
      const { lead, offer } = await visibleLead(req, req.params.id);
      if (req.principal!.role === 'partner') {
        const consent = await db.consent.findFirst({ where: { leadId: lead.id, purpose: 'handoff', given: true, withdrawnAt: null } });
        if (!offer?.releasedAt || offer.status !== 'accepted' || !consent)
          throw forbidden('contact data is released to a partner only after it accepted a lead the client consented to hand off');
      }
      return { personName: lead.personName, companyName: lead.companyName, phone: lead.phone, email: lead.email, region: lead.region };
    },
  );

  // Every staff action of the action table (domain/actions.ts) is a route running its Update.
  for (const name of ACTION_NAMES) {
    const action: LeadActionRow = LEAD_ACTIONS[name];
    app.post(
      `/leads/:id/${action.path}`,
      {
        schema: {
          tags: ['actions'],
          operationId: name,
          summary: action.summary,
          params: LeadIdParams,
          headers: IdempotencyHeaders,
          body: action.input,
          response: { 200: LeadView, ...problems, ...(name === 'reassign' ? { 422: unprocessableResponse } : {}) },
        },
        config: { idempotency: 'native' },
        preHandler: allow(...rolesOf(action)),
      },
      async (req) => {
        const p = req.principal!;
        if (p.role === 'partner') {
          // Partners act only on their own offers and deals, which the read model tells; staff go
          // straight to the workflow, and an unknown lead is told apart from a closed one on failure.
          const { lead } = await visibleLead(req, req.params.id);
          if (!action.partner) throw forbidden(`a partner cannot ${action.path}`);
          if (action.partner === 'own_offer' && answeringPartner(req.body) !== p.subject)
            throw forbidden('a partner answers only its own offers');
          if (action.partner === 'own_deal' && lead.partnerId !== p.subject) throw forbidden('a partner works only deals it owns');
        }
        if (name === 'reassign') await activeManager(LEAD_ACTIONS.reassign.input.parse(req.body).managerId);
        const actor = p.actor;
        const timer = metrics?.updateSeconds.startTimer({ action: action.path });
        try {
          const state = await executeLeadUpdate(handleOf(req.params.id), M.actionUpdate(name), {
            args: [{ actor, input: req.body }],
            updateId: req.headers['idempotency-key'],
          });
          timer?.({ outcome: 'accepted' });
          return state;
        } catch (err) {
          const refused = err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure && !isNotApplied(err);
          timer?.({ outcome: refused ? 'refused' : 'error' });
          if (refused) metrics?.updateRefusals.inc({ action: action.path, reason: (err.cause as ApplicationFailure).type ?? 'refused' });
          if (err instanceof WorkflowNotFoundError && !(await db.lead.findUnique({ where: { id: req.params.id }, select: { id: true } })))
            throw notFound(`lead ${req.params.id}`);
          throw updateProblem(err, req.params.id);
        }
      },
    );
  }
};

/** A partner submits leads only as itself. */
function ownSource(req: FastifyRequest, source: { channel: string; partnerId?: string }): void {
  const p = req.principal!;
  if (p.role === 'partner' && (source.channel !== 'partner' || source.partnerId !== p.subject)) {
    throw forbidden(`a partner submits leads as source { channel: "partner", partnerId: "${p.subject}" }`);
  }
}

/** A refused Update becomes a 409 with the workflow's reason; a closed lead is a 409 too. */
function updateProblem(err: unknown, leadId: string): unknown {
  // Aborted or left unprocessed each time it was sent (platform/lead-update.ts): nothing was applied; a retry is safe.
  if (isNotApplied(err)) return dependencyUnavailable('temporal');
  if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure) {
    if (err.cause.type === 'InvalidInput') return badRequest([{ path: 'body', message: err.cause.message }]);
    return conflict(err.cause.message);
  }
  if (err instanceof WorkflowNotFoundError) return conflict(`lead ${leadId} has no running workflow (it is closed)`);
  if (err instanceof Error && /already completed|workflow execution.*(completed|closed)/i.test(err.message))
    return conflict(`lead ${leadId} is closed`);
  return err;
}
