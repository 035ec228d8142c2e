// Measures the floor workflow (./workflow.ts) the way bench/actions.ts measures the lead's Update
// from a bare client: one at a time, then open loop at the same steady rate.
import type { Client } from '@temporalio/client';
import { child, stopChild, waitForLine } from '../../scripts/lib/processes';
import { runClosedLoop, runOpenLoop, type PathFigures } from '../load';
import { measuredPhase } from '../quiet';
import { floorWorkflow, touch } from './workflow';

export interface FloorFigures {
  updateSerial: PathFigures;
  updatePaced: PathFigures;
}

export async function measureFloor(opts: {
  client: Client;
  temporalAddress: string;
  taskQueue: string;
  serial: number;
  paced: number;
  rate: number;
  log: (m: string) => void;
}): Promise<FloorFigures> {
  const { client, log } = opts;
  const taskQueue = `${opts.taskQueue}-floor`;
  const worker = child(
    'floor-worker',
    'bench/floor/worker.ts',
    { ...process.env, TEMPORAL_ADDRESS: opts.temporalAddress, TASK_QUEUE: taskQueue },
    { quiet: true },
  );
  try {
    await waitForLine(worker, /floor worker polling/);
    const ids = Array.from({ length: opts.serial + opts.paced }, (_, i) => `floor-${taskQueue}-${i}`);
    await runClosedLoop(ids.length, 20, async (i) => {
      await client.workflow.start(floorWorkflow, { workflowId: ids[i]!, taskQueue });
    });
    const update = (i: number) =>
      client.workflow
        .getHandle(ids[i]!)
        .executeUpdate(touch)
        .then(() => undefined);
    const updateSerial = (
      await measuredPhase(`floor, ${opts.serial} Updates one at a time`, log, () => runClosedLoop(opts.serial, 1, update))
    ).figures;
    const updatePaced = (
      await measuredPhase(`floor, open loop at ${opts.rate} req/s`, log, () =>
        runOpenLoop(opts.paced, opts.rate, (i) => update(opts.serial + i)),
      )
    ).figures;
    // The floor's workflows would otherwise keep a two-day timer each in the server.
    await runClosedLoop(ids.length, 20, (i) =>
      client.workflow
        .getHandle(ids[i]!)
        .terminate('bench done')
        .then(() => undefined),
    );
    return { updateSerial, updatePaced };
  } finally {
    await stopChild(worker);
  }
}
