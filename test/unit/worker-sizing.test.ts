// The worker's sizing from its environment (worker/sandbox.ts): the cache, the workflow threads and
// the workflow tasks it holds at once.
import { availableParallelism } from 'node:os';
import { workerSizing } from '../../worker/sandbox';

describe('workerSizing', () => {
  it('defaults to 800 cached workflows, one workflow thread per core (at most two) and 10 workflow tasks at once', () => {
    expect(workerSizing({})).toEqual({
      maxCachedWorkflows: 800,
      workflowThreads: Math.min(2, availableParallelism()),
      workflowTaskSlots: 10,
    });
  });

  it('takes WORKER_MAX_CACHED_WORKFLOWS, WORKER_WORKFLOW_THREADS and WORKER_WORKFLOW_TASK_SLOTS from the environment', () => {
    expect(workerSizing({ WORKER_MAX_CACHED_WORKFLOWS: '500', WORKER_WORKFLOW_THREADS: '4', WORKER_WORKFLOW_TASK_SLOTS: '25' })).toEqual({
      maxCachedWorkflows: 500,
      workflowThreads: 4,
      workflowTaskSlots: 25,
    });
  });

  it('refuses fewer than 2 workflow task slots, naming the variable', () => {
    for (const bad of ['1', '0', 'ten'])
      expect(() => workerSizing({ WORKER_WORKFLOW_TASK_SLOTS: bad })).toThrow(/WORKER_WORKFLOW_TASK_SLOTS/);
  });

  it('refuses a thread count that is not a whole number from 1 to 16, naming the variable', () => {
    for (const bad of ['0', '17', '1.5', 'two']) {
      expect(() => workerSizing({ WORKER_WORKFLOW_THREADS: bad })).toThrow(/WORKER_WORKFLOW_THREADS/);
    }
  });
});
