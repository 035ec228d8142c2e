// The roster, as far as leads care today: after a change to the managers (added, back from leave,
// freed) every lead waiting for a free manager is woken at once. The roster's own endpoints come
// with the team and work-queue resources; until then ops call this after a change by hand.
import type { Client } from '@temporalio/client';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Db } from '../../activities/db';
import { wakeLeadsWaitingForManager } from '../../platform/roster';
import { allow } from '../auth';
import { problemResponses } from '../problem';

export interface RosterPluginOptions { db: Db; temporal: Client }

export const rosterPlugin: FastifyPluginAsyncZod<RosterPluginOptions> = async (app, { db, temporal }) => {
  app.post('/roster/changed', {
    schema: {
      tags: ['ops'],
      summary: 'The managers changed: leads waiting for a free manager try again now',
      response: { 200: z.object({ woken: z.number().int().describe('Leads without a manager that were told') }), ...problemResponses },
    },
    preHandler: allow('ops', 'team_lead'),
  }, async () => ({ woken: await wakeLeadsWaitingForManager(db, temporal) }));
};
