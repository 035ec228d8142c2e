// A partner confirms a stop-contact order (the client withdrew consent): that it stopped all
// contact and deleted the client's data. One rule for every channel the partner has — this route,
// its work queue (POST /tasks/:key/complete, outcome `confirmed`) and its signed webhook
// (`{"type": "stop_contact.confirmed"}` to POST /partners/:id/webhook) — in platform/repos/stop-contact-orders.ts.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Db } from '../../platform/db';
import { type ConfirmChannel, confirmStopContact, type StopContactOrder } from '../../platform/repos/stop-contact-orders';
import { text } from '../../domain/text';
import { allow, ownPartnerOnly } from '../auth';
import { HttpProblem, notFound, problemResponses } from '../problem';
import { StopContactOrderView } from '../schemas';

export interface StopContactPluginOptions {
  db: Db;
}

export const ConfirmResult = StopContactOrderView.extend({
  replayed: z.boolean().describe('true when the order was already confirmed: nothing changed, the first confirmation is shown'),
});

export const ConfirmBody = z.object({
  note: text(2000).optional().describe('What the partner says it did, e.g. "CRM record and call recordings deleted"'),
});

/** 409: there is no stop-contact order to this partner on the lead. */
const noOrder = (leadId: string, partnerId: string) =>
  new HttpProblem(409, 'no-stop-contact-order', 'No stop-contact order to confirm', {
    reason: `partner ${partnerId} has no stop-contact order on lead ${leadId}`,
    detail:
      `partner ${partnerId} has no stop-contact order on lead ${leadId}: ` +
      'one is made only when the client withdraws consent while the partner has the lead',
  });

/**
 * Confirms `partnerId`'s order on `leadId`, as `actor`. A lead the partner never had is unknown
 * to it (404, as everywhere); no order of its own on the lead is a 409 `no-stop-contact-order`,
 * whether or not another partner has one there (a partner learns nothing of other partners' orders).
 * `byPartner`: the caller is the partner itself (an API key or its webhook signature), not ops
 * recording it on the partner's behalf.
 */
export async function confirmOrder(
  db: Db,
  req: {
    leadId: string;
    partnerId: string;
    actor: string;
    channel: ConfirmChannel;
    note?: string;
    byPartner: boolean;
  },
): Promise<StopContactOrder & { replayed: boolean }> {
  const lead = await db.lead.findUnique({ where: { id: req.leadId }, select: { id: true } });
  const offered = () => db.partnerOffer.findUnique({ where: { leadId_partnerId: { leadId: req.leadId, partnerId: req.partnerId } } });
  const known = lead && (!req.byPartner || (await offered()));
  if (!known) throw notFound(`lead ${req.leadId}`);
  const res = await confirmStopContact(db, req);
  if (!res.ok) throw noOrder(req.leadId, req.partnerId);
  return { ...res.order, replayed: res.replayed };
}

export const stopContactPlugin: FastifyPluginAsyncZod<StopContactPluginOptions> = async (app, { db }) => {
  app.post(
    '/partners/:id/stop-contact/:leadId/confirm',
    {
      schema: {
        tags: ['partners'],
        summary:
          'The partner confirms it stopped all contact with the client and deleted their data (idempotent); ' +
          'ops may record it on its behalf',
        params: z.object({ id: text(64, 1), leadId: z.uuid() }),
        body: ConfirmBody.optional(),
        response: { 200: ConfirmResult, ...problemResponses },
      },
      preHandler: allow('ops', 'partner'),
    },
    async (req) => {
      const p = req.principal!;
      const { id: partnerId, leadId } = req.params;
      ownPartnerOnly(p, partnerId);
      return confirmOrder(db, { leadId, partnerId, actor: p.actor, channel: 'api', note: req.body?.note, byPartner: p.role === 'partner' });
    },
  );
};
