// Notifications for ops (the outbox's dead letters, a manual retry), webhook subscriptions
// (a partner's CRM, a team's chat bot), and the partners' inbound webhook answering an offer or
// confirming a stop-contact order.
import type { Client } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/client';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Db } from '../../platform/db';
import { text } from '../../domain/text';
import type { Notification, WebhookSubscription } from '../../generated/prisma/client';
import { newSecret, retryNotification } from '../../notifications/deliver';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, verifySignature } from '../../notifications/signature';
import { webhookUrlProblem } from '../../notifications/url';
import { partnerWebhook } from '../../workflows/messages';
import { allow, authenticateSigned, forbidden } from '../auth';
import { utf8Body } from '../input';
import { leadWorkflowId } from '../../workflows/lead';
import { badRequest, HttpProblem, notFound, problemResponses, unprocessable, unprocessableResponse } from '../problem';
import { teamsLedBy } from '../staff';
import { ConfirmBody, ConfirmResult, confirmOrder } from './stop-contact';

export interface NotificationsPluginOptions {
  db: Db;
  temporal: Client;
}

const problems = problemResponses;
const tags = ['ops'];
const STATUSES = ['pending', 'sent', 'dead', 'suppressed'] as const;

const NotificationView = z.object({
  id: z.string(),
  key: z.string(),
  leadId: z.string().nullable(),
  channel: z.enum(['email', 'webhook']),
  recipient: z.string().describe('An e-mail address, or a webhook subscription id'),
  template: z.string().describe('The task kind'),
  status: z.enum(STATUSES),
  attempts: z.number().int(),
  nextAttemptAt: z.string(),
  giveUpAt: z.string(),
  lastError: z.string().nullable(),
  sentAt: z.string().nullable(),
  createdAt: z.string(),
  heldUntil: z.string().nullable().describe("Held by the recipient's quiet hours until then"),
  reason: z.string().nullable().describe('Why it was held or suppressed (a channel off, a muted task kind)'),
});
const viewNotification = (n: Notification) => ({
  id: n.id,
  key: n.key,
  leadId: n.leadId,
  channel: n.channel as 'email' | 'webhook',
  recipient: n.recipient,
  template: n.template,
  status: n.status as (typeof STATUSES)[number],
  attempts: n.attempts,
  nextAttemptAt: n.nextAttemptAt.toISOString(),
  giveUpAt: n.giveUpAt.toISOString(),
  lastError: n.lastError,
  sentAt: n.sentAt?.toISOString() ?? null,
  createdAt: n.createdAt.toISOString(),
  heldUntil: n.heldUntil?.toISOString() ?? null,
  reason: n.reason,
});

const Subscriber = z
  .string()
  .regex(/^(partner|team):[\w.-]{1,64}$/, 'partner:<id> or team:<id>')
  .describe('`partner:<partnerId>` or `team:<teamId>` (a team of the roster)');
const SubscriptionView = z.object({
  id: z.string(),
  subscriber: z.string(),
  url: z.string(),
  active: z.boolean(),
  createdAt: z.string(),
  secret: z.string().optional().describe('Shown once, when the subscription is created: the HMAC key of the signatures'),
});
const viewSubscription = (s: WebhookSubscription, withSecret = false) => ({
  id: s.id,
  subscriber: s.subscriber,
  url: s.url,
  active: s.active,
  createdAt: s.createdAt.toISOString(),
  ...(withSecret ? { secret: s.secret } : {}),
});

export const notificationsPlugin: FastifyPluginAsyncZod<NotificationsPluginOptions> = async (app, { db, temporal }) => {
  app.get(
    '/notifications',
    {
      schema: {
        tags,
        summary: 'The notification outbox, newest first: `status=dead` lists the dead letters',
        querystring: z.object({
          status: z.enum(STATUSES).optional(),
          leadId: text(64, 1).optional(),
          limit: z.coerce.number().int().min(1).max(500).default(100),
        }),
        response: { 200: z.object({ items: z.array(NotificationView) }), ...problems },
      },
      preHandler: allow('ops'),
    },
    async (req) => {
      const { status, leadId, limit } = req.query;
      const rows = await db.notification.findMany({
        where: { status, leadId },
        orderBy: [{ createdAt: 'desc' }, { id: 'asc' }],
        take: limit,
      });
      return { items: rows.map(viewNotification) };
    },
  );

  app.post(
    '/notifications/:id/retry',
    {
      schema: {
        tags,
        summary: 'Queue a dead (or waiting) notification for delivery now, with another 24 h of retries',
        params: z.object({ id: text(64, 1) }),
        response: { 200: NotificationView, ...problems },
      },
      preHandler: allow('ops'),
    },
    async (req) => {
      const { id } = req.params;
      const moved = await retryNotification(db, id);
      const row = await db.notification.findUnique({ where: { id } });
      if (!row) throw notFound(`notification ${id}`);
      if (!moved)
        throw new HttpProblem(409, 'action-refused', 'The notification cannot be retried', {
          reason: `it is ${row.status}`,
          detail: `it is ${row.status}`,
        });
      return viewNotification(row);
    },
  );

  /** 422 unless the subscriber names a team of the roster or a registered partner. */
  async function mustExist(subscriber: string): Promise<void> {
    const [kind, id] = subscriber.split(/:(.*)/s) as ['partner' | 'team', string];
    const found =
      kind === 'team'
        ? await db.team.findUnique({ where: { id }, select: { id: true } })
        : await db.partner.findUnique({ where: { id }, select: { id: true } });
    if (!found) throw unprocessable(`unknown-${kind}`, `No such ${kind}`, [{ path: 'body.subscriber', message: `no ${kind} ${id}` }]);
  }

  app.post(
    '/webhooks',
    {
      schema: {
        tags: ['partners'],
        summary: 'Subscribe a URL to the task notifications of a partner (itself; ops, admin) or a team (its team lead; ops, admin)',
        body: z.object({
          subscriber: Subscriber.optional().describe('Defaults to the calling partner'),
          url: text(2000, 1),
        }),
        response: { 201: SubscriptionView, ...problems, 422: unprocessableResponse },
      },
      preHandler: allow('ops', 'partner', 'team_lead'),
    },
    async (req, reply) => {
      const p = req.principal!;
      const own = p.role === 'partner' ? `partner:${p.subject}` : undefined;
      const mine = p.role === 'team_lead' ? await teamsLedBy(db, p) : [];
      const subscriber = req.body.subscriber ?? own;
      if (!subscriber) throw badRequest([{ path: 'body.subscriber', message: 'required: partner:<id> or team:<id>' }]);
      if (own && subscriber !== own) throw forbidden('a partner subscribes only itself');
      if (p.role === 'team_lead' && !subscriber.startsWith('team:')) throw forbidden('a team lead subscribes only their own team');
      if (!own) await mustExist(subscriber);
      if (p.role === 'team_lead' && !mine.includes(subscriber.slice('team:'.length))) {
        throw forbidden(`a team lead subscribes only their own team, not ${subscriber.slice('team:'.length)}`);
      }
      const problem = await webhookUrlProblem(req.body.url);
      if (problem) throw badRequest([{ path: 'body.url', message: problem }]);
      const created = await db.webhookSubscription.create({ data: { subscriber, url: req.body.url, secret: newSecret() } });
      return reply.status(201).send(viewSubscription(created, true));
    },
  );

  app.get(
    '/webhooks',
    {
      schema: {
        tags: ['partners'],
        summary: "Webhook subscriptions: a partner sees its own, a team lead their teams', ops all",
        response: { 200: z.object({ items: z.array(SubscriptionView) }), ...problems },
      },
      preHandler: allow('ops', 'partner', 'team_lead'),
    },
    async (req) => {
      const p = req.principal!;
      const where =
        p.role === 'partner'
          ? { subscriber: `partner:${p.subject}` }
          : p.role === 'team_lead'
            ? { subscriber: { in: (await teamsLedBy(db, p)).map((t) => `team:${t}`) } }
            : {};
      const rows = await db.webhookSubscription.findMany({ where, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] });
      return { items: rows.map((s) => viewSubscription(s)) };
    },
  );

  // The partner's answer to an offer, from its CRM: no API key, the body signed with the secret of
  // the partner's webhook subscription (the same scheme as our outbound webhooks). The signature
  // covers the raw bytes, so this route keeps them (a parser of its own, in this scope only).
  await app.register(async (inbound) => {
    inbound.removeContentTypeParser('application/json');
    inbound.addContentTypeParser('application/json', { parseAs: 'buffer' }, (req, body, done) => {
      try {
        const raw = utf8Body(body as Buffer);
        (req as { rawBody?: string }).rawBody = raw;
        done(null, JSON.parse(raw));
      } catch (err) {
        done(err instanceof HttpProblem ? err : badRequest([{ path: 'body', message: 'not valid JSON' }]), undefined);
      }
    });
    const Answer = z.object({ leadId: text(64, 1), accepted: z.boolean(), reason: text(500).optional() }).describe('An answer to an offer');
    const StopContactConfirmed = z
      .object({
        type: z.literal('stop_contact.confirmed'),
        leadId: text(64, 1),
        note: ConfirmBody.shape.note,
      })
      .describe('The partner stopped all contact with a client who withdrew consent and deleted their data');
    const Inbound = z.union([StopContactConfirmed, Answer]);
    inbound.withTypeProvider<import('fastify-type-provider-zod').ZodTypeProvider>().post(
      '/partners/:id/webhook',
      {
        schema: {
          tags: ['partners'],
          security: [],
          summary:
            'A partner answers an offer, or confirms a stop-contact order (signed: x-lead-engine-timestamp, x-lead-engine-signature)',
          params: z.object({ id: text(64, 1) }),
          headers: z.object({ [TIMESTAMP_HEADER]: z.string().optional(), [SIGNATURE_HEADER]: z.string().optional() }),
          body: Inbound,
          response: { 200: ConfirmResult, 202: z.object({ accepted: z.literal(true) }), ...problems },
        },
      },
      async (req, reply) => {
        const partnerId = req.params.id;
        const raw = (req as { rawBody?: string }).rawBody ?? '';
        const subs = await db.webhookSubscription.findMany({ where: { subscriber: `partner:${partnerId}`, active: true } });
        const headers = { timestamp: req.headers[TIMESTAMP_HEADER], signature: req.headers[SIGNATURE_HEADER] };
        const verdicts = subs.map((s) => verifySignature(s.secret, raw, headers));
        if (!verdicts.some((v) => v.ok)) {
          const stale = verdicts.some((v) => !v.ok && v.why === 'stale');
          throw new HttpProblem(
            401,
            'bad-signature',
            stale ? 'The signed timestamp is outside the 5-minute window' : 'The signature does not verify',
            {
              detail: `sign timestamp + "." + body with HMAC-SHA256 and your webhook secret; send ${TIMESTAMP_HEADER} and ${SIGNATURE_HEADER}: v1=<hex>`,
            },
          );
        }
        // Signed by the partner: audited as the partner's request, like a call with its API key.
        await authenticateSigned(db, req, { role: 'partner', subject: partnerId, actor: `partner:${partnerId}` }, req.body.leadId);
        if ('type' in req.body) {
          const { leadId, note } = req.body;
          const actor = `partner:${partnerId}`;
          const order = await confirmOrder(db, { leadId, partnerId, actor, channel: 'webhook', note, byPartner: true });
          return reply.status(200).send(order);
        }
        const { leadId, accepted, reason } = req.body;
        // A lead not offered to this partner is as unknown to it as one that does not exist.
        const offered = await db.partnerOffer.findFirst({ where: { leadId, partnerId } });
        if (!offered) throw notFound(`lead ${leadId}`);
        try {
          await temporal.workflow
            .getHandle(leadWorkflowId(leadId))
            .signal(partnerWebhook, { partnerId, accepted, ...(reason ? { reason } : {}) });
        } catch (err) {
          if (err instanceof WorkflowNotFoundError) throw notFound(`lead ${leadId}`);
          throw err;
        }
        return reply.status(202).send({ accepted: true as const });
      },
    );
  });
};
