// The worker: runs lead and commission workflows and their activities on one task queue.
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities } from '../activities';
import type { AssignmentScheme } from '../activities/assignment';
import type { Db } from '../activities/db';

export async function createWorker(opts: {
  connection: NativeConnection;
  namespace?: string;
  taskQueue: string;
  db: Db;
  assignmentScheme?: AssignmentScheme;
  /** A prebuilt bundle (tests build it once); otherwise workflows are bundled from source. */
  workflowBundle?: WorkerOptions['workflowBundle'];
}): Promise<Worker> {
  return Worker.create({
    connection: opts.connection,
    namespace: opts.namespace ?? 'default',
    taskQueue: opts.taskQueue,
    activities: createActivities(opts.db, { assignmentScheme: opts.assignmentScheme }),
    ...(opts.workflowBundle ? { workflowBundle: opts.workflowBundle } : { workflowsPath: require.resolve('../workflows') }),
  });
}
