// What ops read in the Temporal Web UI's "Stack Trace" tab (the `__stack_trace` query): where a
// lead waits, as lines of our code. The workflow sandbox keeps 6 frames per stack, not V8's 10
// (workflows/shared-modules.ts): this checks that the frames kept still say it.
import { seedManager, uid } from '../helpers/db';
import { idle, startLead } from '../helpers/lead';
import { timeSkippingStack } from '../helpers/temporal';

const t = timeSkippingStack({ seed: (db) => seedManager(db) });

test("a lead waiting on its manager: the trace points at its SLA wait, the workflow's main line and the read model's flush loop", async () => {
  const { handle } = await startLead(t.env, t.db, t.worker.taskQueue, { topic: uid('crm') });
  await idle(handle);
  const trace = await handle.query<string>('__stack_trace');
  // The SLA ladder's wait (awaitManager), where the lead sits until a manager acts or a deadline passes.
  expect(trace).toMatch(/workflows\/lead-stages\/manager\.ts:\d+:\d+/);
  expect(trace).toMatch(/workflows\/lead\.ts:\d+:\d+/);
  expect(trace).toMatch(/persist \(.*workflows\/lead-visibility\.ts:\d+:\d+\)/);
});
