// The rollout's activity (workflows/policy-rollout.ts): one batch of open leads told the policy in
// force. The fan-out is plain signals from here, listed from PostgreSQL (platform/policies.ts).
import type { Client } from '@temporalio/client';
import { rolloutBatch, type RolloutBatch } from '../platform/policies';
import type { Db } from '../platform/db';

export function policyActivities(db: Db, temporal?: { client: Client }) {
  return {
    async rolloutPolicyBatch(req: { scope: string; after?: string; limit: number }): Promise<RolloutBatch> {
      if (!temporal) throw new Error('the policy rollout needs a Temporal client (createActivities opts.temporal)');
      return rolloutBatch(db, temporal.client, req.scope, req.after, req.limit);
    },
  };
}
