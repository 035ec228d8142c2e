// The worker's sizing from its environment (worker/sandbox.ts): the cache and the workflow threads.
import { availableParallelism } from 'node:os';
import { workerSizing } from '../../worker/sandbox';

describe('workerSizing', () => {
  it('defaults to 800 cached workflows and one workflow thread per core, at most two', () => {
    expect(workerSizing({})).toEqual({ maxCachedWorkflows: 800, workflowThreads: Math.min(2, availableParallelism()) });
  });

  it('takes WORKER_MAX_CACHED_WORKFLOWS and WORKER_WORKFLOW_THREADS from the environment', () => {
    expect(workerSizing({ WORKER_MAX_CACHED_WORKFLOWS: '500', WORKER_WORKFLOW_THREADS: '4' })).toEqual({
      maxCachedWorkflows: 500,
      workflowThreads: 4,
    });
  });

  it('refuses a thread count that is not a whole number from 1 to 16, naming the variable', () => {
    for (const bad of ['0', '17', '1.5', 'two']) {
      expect(() => workerSizing({ WORKER_WORKFLOW_THREADS: bad })).toThrow(/WORKER_WORKFLOW_THREADS/);
    }
  });
});
