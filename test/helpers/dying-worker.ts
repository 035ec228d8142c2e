// A lead worker that stops dead inside a lead's first workflow task: once the flush carrying the
// lead's `assigned` (seq 2) is written, that write never returns, and the test SIGKILLs this process
// (test/workflows/lost-workflow-task.test.ts). The workflow task then times out with its local
// activities' results unrecorded, as when a machine dies. Run as a child process:
//   node --import tsx test/helpers/dying-worker.ts <database url> <task queue>
import { NativeConnection, Worker } from '@temporalio/worker';
import { createActivities } from '../../activities';
import type { ReadModel } from '../../activities/registry';
import type { Transition } from '../../domain/lifecycle';
import { createDb } from '../../platform/db';
import { codecFor, dataConverterOf } from '../../platform/payload-codec';

async function main(): Promise<void> {
  const [databaseUrl, taskQueue] = process.argv.slice(2);
  const db = createDb(databaseUrl!, 4);
  const real = createActivities(db, {});
  const worker = await Worker.create({
    connection: await NativeConnection.connect({ address: process.env.TEMPORAL_ADDRESS! }),
    taskQueue: taskQueue!,
    dataConverter: dataConverterOf(codecFor(db)),
    workflowBundle: { codePath: process.env.WORKFLOW_BUNDLE_PATH! },
    activities: {
      ...real,
      async recordTransitions(leadId: string, transitions: Transition[], model: ReadModel): Promise<void> {
        await real.recordTransitions(leadId, transitions, model);
        if (!transitions.some((t) => t.seq === 2)) return;
        process.stdout.write('first steps written\n');
        await new Promise(() => undefined); // the process is killed here
      },
    },
  });
  process.stdout.write('polling\n');
  await worker.run();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
