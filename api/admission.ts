// Admission control for intake (issue 16, backpressure): a new lead is refused with 429 and
// Retry-After while too many leads are waiting for their workflow's first step, so a burst of
// intake queues at the callers instead of in the worker's task queue — where it would stand in
// front of the staff's actions (an Update waits for the worker like any workflow task).
//
// The backlog is the count of registered leads whose workflow has not yet written its first
// transition (`workflow_started_at IS NULL`, the partial index leads_unstarted_created_at_idx):
// the new-lead work the worker has not begun yet (leads registered during a Temporal outage count
// too, until the intake sweeper starts them). One count serves
// every request of a short window, so admission costs no query per request.
import type { Pool } from 'pg';
import { HttpProblem } from './problem';

export interface IntakeAdmission {
  /** Throws a 429 problem (Retry-After) when the worker is behind on new leads. */
  admit(): Promise<void>;
  /** The last backlog counted (for metrics and tests). */
  backlog(): number;
}

export interface AdmissionOptions {
  /** Leads waiting for their first workflow task beyond which intake answers 429. */
  maxBacklog: number;
  /** How long one count stands for (ms). */
  sampleMs?: number;
  /** Retry-After, in seconds. */
  retryAfterS?: number;
}

export function intakeAdmission(pool: Pool, opts: AdmissionOptions): IntakeAdmission {
  const sampleMs = opts.sampleMs ?? 200;
  const retryAfterS = opts.retryAfterS ?? 1;
  let last = 0;
  let countedAt = -Infinity;
  let counting: Promise<number> | undefined;
  const count = () =>
    (counting ??= pool
      .query<{ n: number }>('SELECT count(*)::int AS n FROM leads WHERE workflow_started_at IS NULL')
      .then((r) => {
        last = r.rows[0]!.n;
        countedAt = Date.now();
        return last;
      })
      .finally(() => {
        counting = undefined;
      }));
  return {
    async admit() {
      const backlog = Date.now() - countedAt < sampleMs ? last : await count();
      if (backlog < opts.maxBacklog) return;
      throw new HttpProblem(
        429,
        'intake-backlog',
        'Too many new leads are waiting to be processed',
        {
          detail: `${backlog} new leads are waiting for their workflow (limit ${opts.maxBacklog}); retry after ${retryAfterS} s — nothing was stored`,
        },
        { 'retry-after': String(retryAfterS) },
      );
    },
    backlog: () => last,
  };
}
