// The platform's floor for a staff action: the same shape of work as a lead's Update — the
// Update itself, an SLA timer re-armed by the touch, one activity after it and the workflow task
// that follows — with no business logic and an activity that does nothing. The bench runs it on
// the same machine and Temporal server as the lead, so the two figures can be read side by side.
import * as wf from '@temporalio/workflow';

export const touch = wf.defineUpdate<number>('touch');

const { record } = wf.proxyActivities<{ record(n: number): Promise<void> }>({ startToCloseTimeout: '1 minute' });

export async function floorWorkflow(): Promise<void> {
  let touches = 0;
  let recorded = 0;
  let touchedAt = Date.now();
  wf.setHandler(touch, () => {
    touches += 1;
    touchedAt = Date.now();
    return touches;
  });
  // Like the lead's read-model write: in the background, after the Update has answered.
  void (async () => {
    for (;;) {
      await wf.condition(() => touches > recorded);
      const upto = touches;
      await record(upto);
      recorded = upto;
    }
  })();
  // Like the lead's SLA clock: every touch restarts a two-day timer.
  for (;;) {
    const from = touchedAt;
    await wf.condition(() => touchedAt !== from, '2 days');
  }
}

// The platform's floor for taking a lead in (bench/scale.ts), as the lead takes its first steps
// since its 'local-activities' patch (workflows/lead-run.ts): one local activity after another in
// one workflow task — a manager picked, the read model written, the first task made, the read
// model written again — with no business logic, no database and activities that do nothing.
const local = wf.proxyLocalActivities<{ record(n: number): Promise<void>; assign(): Promise<string>; task(): Promise<void> }>({
  startToCloseTimeout: '5 seconds',
});

export async function processingFloorWorkflow(): Promise<void> {
  await local.assign();
  await local.record(1);
  await local.task();
  await local.record(2);
  // Done: the bench counts completed runs (the lead would wait on its SLA timer here).
}

// The same first steps as a bare workflow takes them, one activity per step — the read model
// written beside the manager's pick, then the first task beside the second read-model write (as the
// lead took them before its local activities) — with activities that do nothing. This is the floor
// of issue 16's target "a bare workflow of the same shape"; the one above is the lead's own shape.
const remote = wf.proxyActivities<{ record(n: number): Promise<void>; assign(): Promise<string>; task(): Promise<void> }>({
  startToCloseTimeout: '1 minute',
});

export async function processingShapeFloorWorkflow(): Promise<void> {
  await Promise.all([remote.record(1), remote.assign()]);
  await Promise.all([remote.task(), remote.record(2)]);
}
