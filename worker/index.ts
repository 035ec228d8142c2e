// The worker: runs lead and commission workflows and their activities on one task queue.
import { Client } from '@temporalio/client';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities } from '../activities';
import type { AssignmentScheme } from '../activities/assignment';
import type { Db } from '../activities/db';
import type { PaymentRail } from '../activities/payouts';

export async function createWorker(opts: {
  connection: NativeConnection;
  namespace?: string;
  taskQueue: string;
  db: Db;
  assignmentScheme?: AssignmentScheme;
  paymentRail?: PaymentRail;
  /** How long in-flight activities get on shutdown before they are abandoned. */
  shutdownGraceTime?: WorkerOptions['shutdownGraceTime'];
  shutdownForceTime?: WorkerOptions['shutdownForceTime'];
  /** A prebuilt bundle (tests build it once); otherwise workflows are bundled from source. */
  workflowBundle?: WorkerOptions['workflowBundle'];
}): Promise<Worker> {
  const namespace = opts.namespace ?? 'default';
  // The intake sweeper starts lead workflows on this worker's own cluster and task queue.
  const temporal = { client: new Client({ connection: opts.connection, namespace }), taskQueue: opts.taskQueue };
  return Worker.create({
    connection: opts.connection,
    namespace,
    taskQueue: opts.taskQueue,
    activities: createActivities(opts.db, { assignmentScheme: opts.assignmentScheme, paymentRail: opts.paymentRail, temporal }),
    ...(opts.shutdownGraceTime ? { shutdownGraceTime: opts.shutdownGraceTime } : {}),
    ...(opts.shutdownForceTime ? { shutdownForceTime: opts.shutdownForceTime } : {}),
    ...(opts.workflowBundle ? { workflowBundle: opts.workflowBundle } : { workflowsPath: require.resolve('../workflows') }),
  });
}
