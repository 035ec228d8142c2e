// A person's right to erasure: POST /leads/:id/erase (admin only; audited like every POST, with the
// lead id). What is erased and what is kept: platform/erasure.ts. Repeating it changes nothing.
import type { Client } from '@temporalio/client';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Db } from '../../platform/db';
import { eraseLead } from '../../platform/erasure';
import type { LeadKeyRing } from '../../platform/lead-keys';
import { allow } from '../auth';
import { IdempotencyHeaders } from '../idempotency';
import { notFound, problemResponses } from '../problem';
import { LeadIdParams } from '../schemas';

export interface PrivacyPluginOptions {
  db: Db;
  temporal: Client;
  keys: LeadKeyRing;
}

const Erased = z.object({
  leadIds: z.array(z.string()).describe('the lead and every other episode of the same contact, all erased'),
  workflowsTerminated: z.number().int().describe('running lead workflows stopped by the erasure'),
  erasedAt: z.string(),
});

export const privacyPlugin: FastifyPluginAsyncZod<PrivacyPluginOptions> = async (app, { db, temporal, keys }) => {
  app.post(
    '/leads/:id/erase',
    {
      schema: {
        // Erasing twice changes nothing, so a repeated key is simply a second, empty erasure.
        tags: ['ops'],
        params: LeadIdParams,
        headers: IdempotencyHeaders,
        response: { 200: Erased, ...problemResponses },
        summary: 'Erase the personal data of a lead and its other episodes (admin): PostgreSQL scrubbed, Temporal payload key destroyed',
      },
      config: { idempotency: 'native' },
      preHandler: allow(), // admin only
    },
    async (req) => {
      const lead = await db.lead.findUnique({ where: { id: req.params.id }, select: { id: true } });
      if (!lead) throw notFound(`lead ${req.params.id}`);
      const res = await eraseLead({ db, temporal, keys }, lead.id, 'request');
      req.log.info({ leadIds: res.leadIds, workflowsTerminated: res.workflowsTerminated }, 'personal data erased on request');
      const after = await db.lead.findUniqueOrThrow({ where: { id: lead.id }, select: { erasedAt: true } });
      return { ...res, erasedAt: after.erasedAt!.toISOString() };
    },
  );
};
