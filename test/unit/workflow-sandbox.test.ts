// What one cached lead costs the worker before its workflow runs a line: the sandbox the SDK makes
// for it in the shared V8 context (reuseV8Context). Every module of the bundle that is not
// preloaded is instantiated again per workflow; zod and the domain's schemas are preloaded once
// (worker/sandbox.ts), so a sandbox is the workflow's own modules only.
// Uses the SDK's ReusableVMWorkflowCreator directly: the same code path as the worker, without a server.
import { readFileSync } from 'node:fs';
import { runInNewContext } from 'node:vm';
import { setFlagsFromString } from 'node:v8';
import { TypedSearchAttributes } from '@temporalio/common';
import { ReusableVMWorkflowCreator } from '@temporalio/worker/lib/workflow/reusable-vm';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Per cached lead: issue 16 measured ≈ 1 MiB of heap per sandbox before the domain was shared. */
const MAX_HEAP_PER_SANDBOX_KIB = 300;

async function creator() {
  const code = readFileSync(process.env.WORKFLOW_BUNDLE_PATH!, 'utf8');
  const sourceMap = { version: 3, sources: [], names: [], mappings: '', file: 'bundle.js' };
  return ReusableVMWorkflowCreator.create({ code, filename: 'bundle.js', sourceMap } as never, 10_000, new Set(), undefined as never);
}

function sandboxOf(c: ReusableVMWorkflowCreator, i: number) {
  const runId = `run-${i}`;
  return c.createWorkflow({
    info: {
      workflowId: `lead-sandbox-${i}`,
      runId,
      workflowType: 'leadWorkflow',
      searchAttributes: {},
      typedSearchAttributes: new TypedSearchAttributes(),
      taskQueue: 'sandbox',
      namespace: 'default',
      firstExecutionRunId: runId,
      originalExecutionRunId: runId,
      startTime: new Date(),
      runStartTime: new Date(),
      taskTimeoutMs: 10_000,
      attempt: 1,
      historyLength: 1,
      historySize: 0,
      continueAsNewSuggested: false,
      unsafe: { now: () => Date.now(), isReplaying: false, isReplayingHistoryEvents: false, random: Math.random },
      priority: {},
    },
    randomnessSeed: [1, 2, 3, 4],
    now: Date.now(),
    showStackTraceSources: false,
    failureExceptionTypeNames: [],
  } as never);
}

test('a lead’s workflow sandbox instantiates no zod and no domain module of its own', async () => {
  const c = await creator();
  const wf = await sandboxOf(c, 0);
  try {
    const own = [...(wf as unknown as { activator: { moduleCache: Map<string, unknown> } }).activator.moduleCache.keys()];
    expect(own).toContain('./workflows/lead.ts'); // the workflow's own modules are still its own
    expect(own.filter((m) => m.includes('/zod/') || m.startsWith('./domain/'))).toEqual([]);
  } finally {
    await wf.dispose();
    await c.destroy();
  }
});

test(`a cached lead’s sandbox holds at most ${MAX_HEAP_PER_SANDBOX_KIB} KiB of heap`, async () => {
  const c = await creator();
  const kept: Array<{ dispose(): Promise<void> }> = [];
  try {
    for (let i = 0; i < 5; i++) kept.push(await sandboxOf(c, i)); // warm: the first ones pay for shared code
    gc();
    const before = process.memoryUsage().heapUsed;
    const n = 100;
    for (let i = 5; i < 5 + n; i++) kept.push(await sandboxOf(c, i));
    gc();
    const perSandboxKiB = (process.memoryUsage().heapUsed - before) / n / 1024;
    console.log(`workflow sandbox: ${perSandboxKiB.toFixed(0)} KiB of heap each (${n} sandboxes)`);
    expect(perSandboxKiB).toBeLessThan(MAX_HEAP_PER_SANDBOX_KIB);
  } finally {
    for (const wf of kept) await wf.dispose();
    await c.destroy();
  }
});
