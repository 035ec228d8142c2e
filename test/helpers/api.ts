// The API on the real stack: Temporal dev server and PostgreSQL from global setup, and a worker
// on a task queue of its own.
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import type { FastifyInstance } from 'fastify';
import type { Db } from '../../activities/db';
import { buildApp } from '../../api/app';
import { testDb } from './db';
import { runWorker, type RunningWorker } from './temporal';

export interface ApiStack { app: FastifyInstance; db: Db; temporal: Client; worker: RunningWorker; close(): Promise<void> }

export async function apiStack(): Promise<ApiStack> {
  const db = testDb();
  const address = process.env.TEMPORAL_ADDRESS!;
  const native = await NativeConnection.connect({ address });
  const worker = await runWorker(native, db);
  const connection = await Connection.connect({ address });
  const temporal = new Client({ connection });
  let app: FastifyInstance;
  try {
    app = await buildApp({ db, temporal, taskQueue: worker.taskQueue, logLevel: 'silent' });
    await app.ready();
  } catch (err) {
    await worker.stop();
    await Promise.all([native.close(), connection.close(), db.$disconnect()]);
    throw err;
  }
  return {
    app, db, temporal, worker,
    close: async () => {
      await app.close();
      await worker.stop();
      await native.close();
      await connection.close();
      await db.$disconnect();
    },
  };
}
