// A lead's decisions that read the world as it is: which manager takes it (least loaded, round
// robin), which partners are offered it (grade, capacity). They run as local activities, inside
// the workflow task that asks for them; a worker killed before that task completes loses their
// results but not what the task had already written with them — the read model flushed at the
// step's sequence number, the first task keyed by it. The next worker runs the step again, and a
// fresh pick, on a roster whose loads moved meanwhile, could name another manager: the workflow
// would say B while the read model (which only moves forward in sequence) and the task said A, for
// good. The fault suite's worker SIGKILL found two such leads of forty.
//
// So a decision is recorded under a key the workflow gives it (deterministic: the same step asks
// with the same key on replay), and a second run of the step answers the recorded decision.
import { poolOf, type Db } from './db';

// One statement whichever way it goes: the insert's row when it is new, else the one already there
// (the statement's snapshot does not see its own insert, so at most one of the two has a row).
// Neither has one when a racing attempt's insert was still uncommitted as this statement began:
// the insert waits for it and then does nothing, and the select's snapshot predates its commit.
const SETTLE_SQL = `WITH ins AS (
  INSERT INTO lead_decisions (lead_id, key, result) VALUES ($1, $2, $3::jsonb)
  ON CONFLICT (lead_id, key) DO NOTHING RETURNING result
)
SELECT result FROM ins UNION ALL SELECT result FROM lead_decisions WHERE lead_id = $1 AND key = $2`;

/**
 * Records `result` as the lead's decision `key` and answers the decision that stands: `result`,
 * or the one recorded first — by the step's earlier run, or by an attempt racing this one.
 */
export async function settleDecision<T>(db: Db, leadId: string, key: string, result: T): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const { rows } = await poolOf(db).query<{ result: T }>(SETTLE_SQL, [leadId, key, JSON.stringify(result)]);
    if (rows[0]) return rows[0].result;
    // Lost a race to an attempt whose row committed after this statement's snapshot: the next
    // statement sees it. (The row is never deleted while its lead lives, so once is enough; a
    // third empty answer would be a bug, said as such rather than as a TypeError.)
    if (attempt === 3) throw new Error(`decision ${key} of lead ${leadId} neither recorded nor found`);
  }
}

/**
 * `decide()` once per key: the decision recorded first under it stands, and a second run of the
 * step (which decides again, on a world that may have moved) answers that one. Without a key (an
 * activity scheduled by a run from before keys were given) it just decides.
 */
export async function decideOnce<T>(db: Db, leadId: string, key: string | undefined, decide: () => Promise<T>): Promise<T> {
  const decided = await decide();
  return key ? settleDecision(db, leadId, key, decided) : decided;
}
