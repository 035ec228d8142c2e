// Policy as data (README, "Policy"): ops and admins read the policy in force and its history,
// store a new version with a reason (audited like every change: api/auth.ts), and ask what a
// proposal would move before committing it. A version is refused whole, each problem naming its
// field (400: not a policy; 422: a policy that cannot work); a stored one starts its rollout.
import type { Client } from '@temporalio/client';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Db } from '../../platform/db';
import type { PolicyVersion } from '../../generated/prisma/client';
import type { FieldProblem } from '../../domain/policy-rules';
import {
  DEFAULT_SCOPE,
  type PolicyCache,
  policyInForce,
  proposedVersion,
  rolloutWorkflowId,
  saveVersion,
  teamScope,
  versionInForce,
} from '../../platform/policies';
import { previewPolicy } from '../../platform/policy-preview';
import { allow } from '../auth';
import { badRequest, HttpProblem, problemResponses, unprocessable, unprocessableResponse } from '../problem';
import * as S from '../policy-schemas';

export interface PoliciesPluginOptions {
  db: Db;
  temporal: Client;
  taskQueue: string;
  cache?: PolicyCache;
}

const problems = { ...problemResponses, 422: unprocessableResponse };
const tags = ['ops'];
const YEAR_MS = 366 * 24 * 3_600_000;

const versionView = (v: PolicyVersion) => ({
  scope: v.scope,
  version: v.version,
  policy: v.body,
  effectiveFrom: v.effectiveFrom.toISOString(),
  createdBy: v.createdBy,
  reason: v.reason,
  createdAt: v.createdAt.toISOString(),
});
const inBody = (ps: FieldProblem[]) => ps.map((p) => ({ path: `body.${p.path}`, message: p.message }));

export const policiesPlugin: FastifyPluginAsyncZod<PoliciesPluginOptions> = async (app, { db, temporal, taskQueue, cache }) => {
  const mustBeTeam = async (teamId: string | undefined) => {
    if (teamId && !(await db.team.findUnique({ where: { id: teamId }, select: { id: true } }))) {
      throw unprocessable('unknown-team', 'No such team', [{ path: 'body.teamId', message: `no team ${teamId}` }]);
    }
  };

  /** The scope's next version, checked: refused whole (400: not a policy, 422: cannot work), each problem naming its field. */
  async function proposal(teamId: string | undefined, proposed: Record<string, unknown>, now: Date) {
    await mustBeTeam(teamId);
    const { scope, checked } = await proposedVersion(db, teamId, proposed, now);
    if (!checked.ok) {
      if (checked.status === 400) throw badRequest(inBody(checked.problems));
      throw unprocessable('unworkable-policy', 'The policy cannot work as proposed', inBody(checked.problems));
    }
    return { scope, body: checked.body };
  }

  app.get(
    '/policies',
    {
      schema: {
        tags,
        summary: "The lead policy in force and its versions (a team's with ?teamId=)",
        querystring: S.PolicyQuery,
        response: { 200: S.PolicyView, ...problems },
      },
      preHandler: allow('ops'),
    },
    async (req) => {
      const { teamId } = req.query;
      const scope = teamId ? teamScope(teamId) : DEFAULT_SCOPE;
      const [inForce, current, history] = await Promise.all([
        policyInForce(db, teamId ?? null),
        versionInForce(db, scope),
        db.policyVersion.findMany({ where: { scope }, orderBy: { version: 'desc' } }),
      ]);
      return { scope, inForce, current: current && versionView(current), history: history.map(versionView) };
    },
  );

  app.post(
    '/policies',
    {
      schema: {
        tags,
        summary: "Store a new version of the lead policy (the default, or a team's); running leads follow it",
        body: S.PolicyVersionInput,
        response: { 201: S.PolicySaved, ...problems },
      },
      preHandler: allow('ops'),
    },
    async (req, reply) => {
      const now = new Date();
      const b = req.body;
      const effectiveFrom = b.effectiveFrom ? new Date(b.effectiveFrom) : now;
      if (effectiveFrom.getTime() - now.getTime() > YEAR_MS) {
        throw badRequest([{ path: 'body.effectiveFrom', message: 'at most a year ahead' }]);
      }
      const { scope, body } = await proposal(b.teamId, b.policy, effectiveFrom > now ? effectiveFrom : now);
      const p = req.principal!;
      let row: PolicyVersion;
      try {
        row = await saveVersion(db, temporal, taskQueue, { scope, body, effectiveFrom, createdBy: p.actor, reason: b.reason });
      } catch (err) {
        if ((err as { code?: string } | null)?.code === 'P2002') {
          throw new HttpProblem(409, 'action-refused', 'Another version was stored at the same time', { reason: 'retry', detail: 'retry' });
        }
        throw err;
      }
      // This process's next intake starts on it (other API processes within their refresh interval).
      await cache?.refresh().catch(() => undefined);
      return reply.status(201).send({ version: versionView(row), rollout: { workflowId: rolloutWorkflowId(scope, row.version) } });
    },
  );

  app.post(
    '/policies/preview',
    {
      schema: {
        tags,
        summary: 'What a proposed version would move: the open leads whose deadline changes (any wait), old → new; nothing is stored',
        body: S.PolicyPreviewInput,
        response: { 200: S.PreviewView, ...problems },
      },
      preHandler: allow('ops'),
    },
    async (req) => {
      const now = new Date();
      const { scope, body } = await proposal(req.body.teamId, req.body.policy, now);
      return previewPolicy(db, scope, body, now);
    },
  );
};
