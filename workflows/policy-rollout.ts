// A stored policy version reaches the running leads (README, "Policy"): started by POST /policies
// in the transaction that stores the version, it waits until the version takes effect, then tells
// the scope's open leads in batches of 100 (signals sent by the activity). Each batch is
// idempotent — a lead ignores a version it already runs on — so a retried one is harmless.
import * as wf from '@temporalio/workflow';
import type { LeadActivities } from '../activities';

const { rolloutPolicyBatch } = wf.proxyActivities<LeadActivities>({
  startToCloseTimeout: '5 minutes',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
});

export interface PolicyRollout {
  scope: string;
  version: number;
  /** ISO instant the version takes effect. */
  effectiveFrom: string;
  /** Carried over by continue-as-new: the last lead told, and the counts so far. */
  after?: string;
  leads?: number;
  told?: number;
}

const BATCH = 100;
/** Batches per run: a rollout over a million leads continues as new instead of growing one history. */
const BATCHES_PER_RUN = 200;

export async function policyRolloutWorkflow(r: PolicyRollout): Promise<{ leads: number; told: number }> {
  const wait = Date.parse(r.effectiveFrom) - Date.now();
  if (wait > 0) await wf.sleep(wait);
  let { after, leads = 0, told = 0 } = r;
  for (let batch = 0; ; batch++) {
    if (batch >= BATCHES_PER_RUN) await wf.continueAsNew<typeof policyRolloutWorkflow>({ ...r, after, leads, told });
    const out = await rolloutPolicyBatch({ scope: r.scope, after, limit: BATCH });
    leads += out.leads;
    told += out.told;
    if (!out.next) return { leads, told };
    after = out.next;
  }
}
