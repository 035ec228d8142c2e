// How the worker keeps its workflows in memory: which modules every workflow sandbox shares, and
// how many workflows it keeps cached.
//
// With reuseV8Context (the SDK's default) the worker runs every workflow in one V8 context, but
// each cached workflow gets its own instance of every module of the bundle that is not preloaded:
// its own zod (≈ 20 modules) and its own copy of every schema in domain/, built again for each
// lead. That was ≈ 1 MiB of heap and tens of milliseconds of CPU per workflow sandbox — the bulk
// of the "2 MB per cached lead" of issue 16, and a cost paid again by every lead the worker
// starts or takes back after an eviction. The domain modules are pure (rules and schemas, no
// workflow API, no per-lead state), so they are loaded once, before any workflow, and shared.
// What stays per workflow is @temporalio/workflow's own state and workflows/*.
// test/unit/workflow-sandbox.test.ts holds the per-sandbox cost under a limit.
import { availableParallelism } from 'node:os';
import { z } from 'zod';

/** The domain modules the workflows import (directly or not), loaded once per worker. */
export const SHARED_WORKFLOW_MODULES: string[] = [
  'actions',
  'alarms',
  'calendar',
  'deadlines',
  'lifecycle',
  'partner-policy',
  'policy',
  'policy-rules',
  'reconcile',
  'staleness',
  'vocabulary',
  'commission-target',
  'offer-round',
  'sla-ladder',
]
  .map((m) => require.resolve(`../domain/${m}`))
  .concat(
    // Last: lets zod's schemas build their members on first use (see the module for why).
    require.resolve('../workflows/shared-modules'),
  );

/** Bundler options for every workflow bundle the worker, the tests and the tools build. */
export const workflowBundlerOptions = { preloadModules: SHARED_WORKFLOW_MODULES };

const Sizing = z.object({
  /**
   * Workflows kept in the worker's cache. An evicted lead costs the worker nothing until its next
   * task, which replays its (short) history: milliseconds. The SDK's default is derived from the
   * heap limit (600 per GiB), which on a large machine let the cache grow to gigabytes. Measured
   * by the bench's memory phase (2 cores, 5,000+ leads opened, so the cache is full): 2,000 cached
   * held the worker at 1,126 MiB resident, over the 1 GiB target; 1,000 kept it under with one
   * workflow thread (853 MiB at 20,000 open leads) but not with two (1,025 MiB), so 800. (Each
   * cached lead is ≈ 0.11 MiB live in the workflow isolate, per --trace-gc; the rest is heap
   * headroom, malloc arenas and the core's state for the run.) A bigger cache buys fewer replays —
   * an Update on a cached lead skips the history fetch — for memory: raise it with the heap.
   */
  WORKER_MAX_CACHED_WORKFLOWS: z.coerce.number().int().min(0).default(800),
  /**
   * Threads that run workflow code, each with its own V8 isolate and its share of the cache. The
   * SDK's default with a reused context is one: every activation of every lead (a replay after an
   * eviction, a burst's first steps, a staff Update) then waits its turn on one thread, while the
   * codec, the activities and the SDK's core run on others. Measured in the bench's full run
   * (README "Performance"): two threads halved a staff Update's wait at the worker during an intake
   * burst, for ≈ 100 MiB more resident (a second isolate with its own copy of the bundle). More
   * threads than cores buy nothing, so the default is two where there are two cores.
   */
  WORKER_WORKFLOW_THREADS: z.coerce.number().int().min(1).max(16).optional(),
  /**
   * Workflow tasks the worker holds at once (the SDK's maxConcurrentWorkflowTaskExecutions, 40 by
   * default). A lead's task now runs its database writes inside it (local activities,
   * workflows/lead-run.ts), so a task held is a task waiting for the CPU and the local-activity
   * slots, in arrival order. Held 40 at a time, a staff Update waited behind 39 new leads' first
   * steps at the worker (p50 1.3 s, p99 2.6 s during the bench's intake burst); held 10, the rest
   * wait in the server's queue, where task priority puts the Update first (p99 0.69 s, twice). The
   * leads processed per second were within the runs' spread either way (README "Performance").
   */
  WORKER_WORKFLOW_TASK_SLOTS: z.coerce.number().int().min(2).max(1000).default(10),
});

/**
 * The worker's V8 heap limit (MiB), per isolate (the main thread's and the workflow thread's), set by
 * whatever starts it: scripts/start.ts and the bench pass WORKER_NODE_ARGS, the Dockerfile sets
 * NODE_OPTIONS to the same. Measured live heaps stay far below it (main ≈ 80 MiB; workflow isolate
 * ≈ 0.11 MiB per cached lead): it is a ceiling against a leak, not what the worker uses.
 */
export const WORKER_HEAP_MIB = 768;
export const WORKER_NODE_ARGS = [`--max-old-space-size=${WORKER_HEAP_MIB}`];

/**
 * The worker process's environment beside its node flags (glibc reads it at exec, so it is set by
 * whatever starts the worker: scripts/start.ts, the bench, the Dockerfile). The worker runs many
 * threads (the SDK core's, the workflow thread, libuv's), and glibc gives each thread that
 * allocates its own malloc arena, kept as it grew: two arenas cut the worker's RSS by ≈ 100 MiB at
 * 500 open leads (591 → 484 MiB) and its growth per cached lead from ≈ 0.3 to ≈ 0.17 MiB, at no cost
 * measured in throughput.
 */
export const WORKER_ENV = { MALLOC_ARENA_MAX: '2' };

export function workerSizing(env: NodeJS.ProcessEnv = process.env): {
  maxCachedWorkflows: number;
  workflowThreads: number;
  workflowTaskSlots: number;
} {
  const parsed = Sizing.safeParse(env);
  if (!parsed.success)
    throw new Error(`bad configuration: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return {
    maxCachedWorkflows: parsed.data.WORKER_MAX_CACHED_WORKFLOWS,
    workflowThreads: parsed.data.WORKER_WORKFLOW_THREADS ?? Math.min(2, availableParallelism()),
    workflowTaskSlots: parsed.data.WORKER_WORKFLOW_TASK_SLOTS,
  };
}
