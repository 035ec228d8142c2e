// The reminder sweep: every task that fell due and was not yet reminded is stamped and handed on,
// once. Started every 5 minutes by the `task-reminders` Schedule (platform/schedules.ts).
import * as wf from '@temporalio/workflow';
import type { LeadActivities } from '../activities';

const { remindDueTasks } = wf.proxyActivities<LeadActivities>({
  startToCloseTimeout: '2 minutes',
  // Stamping is idempotent (a task is reminded once); a sweep that keeps failing is followed by the next one.
  retry: { initialInterval: '5 seconds', maximumInterval: '1 minute', maximumAttempts: 5 },
});

export interface TaskReminderOutcome {
  reminded: number;
  keys: string[];
}

export async function taskReminderWorkflow(): Promise<TaskReminderOutcome> {
  const due = await remindDueTasks();
  return { reminded: due.length, keys: due.map((t) => t.key) };
}
