// /leads: intake, the lead's state and history, lists from the read model, and every staff action
// as a Workflow Update (409 with the workflow's reason when it does not fit the stage).
import { WorkflowNotFoundError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { ApplicationFailure, type UpdateDefinition } from '@temporalio/common';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Db } from '../../activities/db';
import * as A from '../../domain/actions';
import { LeadIntake } from '../../domain/intake';
import * as M from '../../workflows/messages';
import { type IntakeService, workflowIdOf } from '../intake';
import { badRequest, conflict, notFound, Problem } from '../problem';
import { HistoryEntry, IntakeResult, LeadIdParams, LeadSummary, LeadView, Stage } from '../schemas';

export interface LeadsPluginOptions { db: Db; temporal: Client; intake: IntakeService }

const IdempotencyHeaders = z.object({
  'idempotency-key': z.string().min(1).max(200).optional().describe('Repeat a POST with the same key to get the first result, changing nothing'),
  'x-actor': z.string().min(1).max(100).optional().describe('Who acts (until API keys say it)'),
});

const problems = { 400: Problem, 404: Problem, 409: Problem };

/** Each staff action: its path, its Update, its input schema. */
const ACTIONS: Array<{ path: string; update: UpdateDefinition<M.LeadView, [M.Command<never>]>; schema: z.ZodType; summary: string }> = [
  { path: 'verify', update: M.verifyInterest as never, schema: A.VerifyInterest, summary: 'Verify a company inquiry (interest): was a person found?' },
  { path: 'contact', update: M.recordContact as never, schema: A.RecordContact, summary: 'Record a contact attempt and its result' },
  { path: 'qualify', update: M.qualify as never, schema: A.Qualify, summary: 'Qualify: target or not, ours or a partner’s' },
  { path: 'consent', update: M.recordConsent as never, schema: A.RecordConsent, summary: "Record the client's answer to the hand-off consent question" },
  { path: 'consent/withdraw', update: M.withdrawConsent as never, schema: A.WithdrawConsent, summary: 'The client withdrew consent: stop all contact and the hand-off' },
  { path: 'partner-response', update: M.partnerRespond as never, schema: A.PartnerRespond, summary: 'A partner accepts or declines the offered lead' },
  { path: 'deal', update: M.advanceDeal as never, schema: A.AdvanceDeal, summary: 'Move the deal forward (meeting → proposal → negotiation → contract)' },
  { path: 'lost', update: M.markLost as never, schema: A.MarkLost, summary: 'The deal or lead is lost, with a reason (goes to re-engagement)' },
  { path: 'payments', update: M.recordPayment as never, schema: A.RecordPayment, summary: 'Record a client payment (counted once per paymentId)' },
  { path: 'reengagement', update: M.reengagementOutcome as never, schema: A.ReengagementOutcome, summary: 'Outcome of a re-engagement touch' },
  { path: 'reassign', update: M.reassign as never, schema: A.Reassign, summary: 'Reassign the lead to another manager' },
  { path: 'opt-out', update: M.optOut as never, schema: A.OptOut, summary: 'The client opts out of all contact' },
];

const ListQuery = z.object({
  stage: Stage.optional(),
  managerId: z.string().max(64).optional(),
  partnerId: z.string().max(64).optional(),
  source: z.string().max(64).optional(),
  stale: z.enum(['true', 'false']).optional(),
  createdFrom: z.iso.datetime().optional(),
  createdTo: z.iso.datetime().optional(),
  sort: z.enum(['createdAt', '-createdAt', 'stageChangedAt', '-stageChangedAt']).default('-createdAt'),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(500).optional().describe('nextCursor of the previous page'),
});

const Cursor = z.object({ v: z.iso.datetime(), id: z.string() });

export const leadsPlugin: FastifyPluginAsyncZod<LeadsPluginOptions> = async (app, { db, temporal, intake }) => {
  const handleOf = (id: string) => temporal.workflow.getHandle(workflowIdOf(id));

  async function requireLead(id: string): Promise<void> {
    const exists = await db.lead.findUnique({ where: { id }, select: { id: true } });
    if (!exists) throw notFound(`lead ${id}`);
  }

  app.post('/leads', {
    schema: { tags: ['intake'], summary: 'Take in a lead (idempotent on the partner’s external id or Idempotency-Key)', headers: IdempotencyHeaders, body: LeadIntake, response: { 200: IntakeResult, 201: IntakeResult, ...problems } },
  }, async (req, reply) => {
    const res = await intake.intake(req.body, req.headers['idempotency-key']);
    return reply.status(res.status === 'created' && !res.replayed ? 201 : 200).send(res);
  });

  app.post('/leads/batch', {
    schema: {
      tags: ['intake'], summary: 'Take in a batch of leads from a partner; all validated before any is taken',
      body: z.object({ leads: z.array(LeadIntake).min(1).max(500) }),
      response: { 200: z.object({ results: z.array(IntakeResult) }), ...problems },
    },
  }, async (req) => {
    const results = [];
    for (const lead of req.body.leads) {
      if (!lead.source.externalId) throw badRequest([{ path: 'body.leads.source.externalId', message: 'batch intake is idempotent on each lead’s externalId' }]);
      results.push(await intake.intake(lead));
    }
    return { results };
  });

  app.get('/leads', {
    schema: { tags: ['leads'], summary: 'List leads from the read model, filtered, sorted, cursor-paginated', querystring: ListQuery, response: { 200: z.object({ items: z.array(LeadSummary), nextCursor: z.string().nullable() }), ...problems } },
  }, async (req) => {
    const q = req.query;
    const field = q.sort.replace('-', '') as 'createdAt' | 'stageChangedAt';
    const dir = q.sort.startsWith('-') ? 'desc' : 'asc';
    let after: z.infer<typeof Cursor> | undefined;
    if (q.cursor) {
      try {
        after = Cursor.parse(JSON.parse(Buffer.from(q.cursor, 'base64url').toString()));
      } catch {
        throw badRequest([{ path: 'querystring.cursor', message: 'not a cursor from this API' }]);
      }
    }
    const cmp = dir === 'desc' ? 'lt' : 'gt';
    const rows = await db.lead.findMany({
      where: {
        stage: q.stage, managerId: q.managerId, partnerId: q.partnerId, sourceChannel: q.source,
        stale: q.stale === undefined ? undefined : q.stale === 'true',
        createdAt: q.createdFrom || q.createdTo ? { gte: q.createdFrom ? new Date(q.createdFrom) : undefined, lt: q.createdTo ? new Date(q.createdTo) : undefined } : undefined,
        ...(after ? { OR: [{ [field]: { [cmp]: new Date(after.v) } }, { [field]: new Date(after.v), id: { [cmp]: after.id } }] } : {}),
      },
      orderBy: [{ [field]: dir }, { id: dir }],
      take: q.limit + 1,
    });
    const page = rows.slice(0, q.limit);
    const last = page[page.length - 1];
    return {
      items: page.map((r) => ({
        id: r.id, kind: r.kind, stage: r.stage, sourceChannel: r.sourceChannel, sourcePartnerId: r.sourcePartnerId, managerId: r.managerId,
        partnerId: r.partnerId, topic: r.topic, region: r.region, stale: r.stale, dealValueMinor: r.dealValueMinor === null ? null : Number(r.dealValueMinor),
        currency: r.currency, createdAt: r.createdAt.toISOString(), stageChangedAt: r.stageChangedAt.toISOString(),
      })),
      nextCursor: rows.length > q.limit && last ? Buffer.from(JSON.stringify({ v: last[field].toISOString(), id: last.id })).toString('base64url') : null,
    };
  });

  app.get('/leads/:id', {
    schema: { tags: ['leads'], summary: "The lead's current state (from its workflow)", params: LeadIdParams, response: { 200: LeadView, ...problems } },
  }, async (req) => {
    try {
      return await handleOf(req.params.id).query(M.getState);
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw notFound(`lead ${req.params.id}`);
      throw err;
    }
  });

  app.get('/leads/:id/history', {
    schema: { tags: ['leads'], summary: 'Every transition of the lead: who, when, why (audit trail)', params: LeadIdParams, response: { 200: z.object({ items: z.array(HistoryEntry) }), ...problems } },
  }, async (req) => {
    await requireLead(req.params.id);
    const events = await db.leadEvent.findMany({ where: { leadId: req.params.id }, orderBy: { seq: 'asc' } });
    return { items: events.map((e) => ({ seq: e.seq, at: e.at.toISOString(), type: e.type, stage: e.stage, actor: e.actor, reason: e.reason })) };
  });

  for (const action of ACTIONS) {
    app.post(`/leads/:id/${action.path}`, {
      schema: { tags: ['actions'], summary: action.summary, params: LeadIdParams, headers: IdempotencyHeaders, body: action.schema, response: { 200: LeadView, ...problems } },
    }, async (req) => {
      await requireLead(req.params.id);
      const actor = req.headers['x-actor'] ?? 'api';
      try {
        return await handleOf(req.params.id).executeUpdate(action.update, {
          args: [{ actor, input: req.body as never }],
          updateId: req.headers['idempotency-key'],
        });
      } catch (err) {
        throw updateProblem(err, req.params.id);
      }
    });
  }
};

/** A refused Update becomes a 409 with the workflow's reason; a closed lead is a 409 too. */
function updateProblem(err: unknown, leadId: string): unknown {
  if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure) {
    if (err.cause.type === 'InvalidInput') return badRequest([{ path: 'body', message: err.cause.message }]);
    return conflict(err.cause.message);
  }
  if (err instanceof WorkflowNotFoundError) return conflict(`lead ${leadId} has no running workflow (it is closed)`);
  if (err instanceof Error && /already completed|workflow execution.*(completed|closed)/i.test(err.message)) return conflict(`lead ${leadId} is closed`);
  return err;
}
