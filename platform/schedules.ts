// Temporal Schedules of the engine's periodic processes, as a plain list of specs. The worker
// calls `ensureSchedules` on start: a schedule that is missing is created, one that exists gets
// the spec, action and policies of this code (its paused state and notes are left alone).
import { type Client, ScheduleAlreadyRunning, ScheduleOverlapPolicy, type ScheduleOptions } from '@temporalio/client';
import { alarmSweepWorkflow } from '../workflows/alarms';
import { intakeSweepWorkflow } from '../workflows/intake-sweep';
import { nettingWorkflow } from '../workflows/netting';
import { notificationsDeliverWorkflow } from '../workflows/notifications';
import { payoutRunWorkflow } from '../workflows/payout';
import { reconciliationSweepWorkflow } from '../workflows/reconciliation';
import { rosterSweepWorkflow } from '../workflows/roster-sweep';
import { taskReminderWorkflow } from '../workflows/task-reminders';
import { retentionSweepWorkflow } from '../workflows/retention';

/** Business time zone of the schedules (the calendar of domain/calendar.ts is Moscow's too). */
const TIMEZONE = 'Europe/Moscow';

/**
 * Where in its interval each frequent sweep fires. Left at zero they all started on the minute
 * (the intake sweep and the outbox every minute, reminders every 5, the roster every 15, the
 * hourly alarms), new workflows side by side on the same worker: a staff Update arriving then
 * waited behind them — the bench saw two evicted Updates in a row at 114 and 127 ms, sent at
 * hh:mm:59.97 and hh:mm:00.09, against a p50 of 51. Spread over the minute, each costs the worker
 * a moment of its own. The intake sweep keeps the minute.
 */
const SWEEP_OFFSETS = { notifications: '30 seconds', reminders: '15 seconds', roster: '45 seconds' } as const;

export function scheduleSpecs(taskQueue: string): ScheduleOptions[] {
  return [
    {
      // DOMAIN: leads lost between a partner's form and our CRM → weekly reconciliation.
      scheduleId: 'reconciliation-weekly',
      spec: { calendars: [{ comment: 'every Monday, 06:00 Moscow time', dayOfWeek: 'MONDAY', hour: 6, minute: 0 }], timezone: TIMEZONE },
      action: {
        type: 'startWorkflow',
        workflowType: reconciliationSweepWorkflow,
        args: [{ periodDays: 7 }],
        taskQueue,
        workflowId: 'reconciliation-weekly',
      },
      // A sweep missed by an outage still runs when the cluster is back the same day; never two at once.
      policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 day' },
    },
    {
      // Pay partners what finished its holding period last month; one payout per partner,
      // period and currency (the run is idempotent, so a catch-up after an outage pays nothing twice).
      scheduleId: 'payouts-monthly',
      spec: { calendars: [{ comment: '2nd of each month, 07:00 Moscow time', dayOfMonth: 2, hour: 7, minute: 0 }], timezone: TIMEZONE },
      action: { type: 'startWorkflow', workflowType: payoutRunWorkflow, args: [{}], taskQueue, workflowId: 'payouts-monthly' },
      policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '7 days' },
    },
    {
      // Net what partners who refer clients to each other owe, one settlement per pair.
      scheduleId: 'netting-monthly',
      spec: { calendars: [{ comment: '1st of each month, 06:00 Moscow time', dayOfMonth: 1, hour: 6, minute: 0 }], timezone: TIMEZONE },
      action: { type: 'startWorkflow', workflowType: nettingWorkflow, args: [{}], taskQueue, workflowId: 'netting-monthly' },
      policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '7 days' },
    },
    {
      // DOMAIN: the funnel's alarms that need a quick eye — team overloaded (leads not
      // distributed) and leads rotting with their manager — every hour, all day; and a partner
      // that has not confirmed a stop-contact order by its deadline (a client's withdrawn consent).
      scheduleId: 'alarms-hourly',
      spec: { calendars: [{ comment: 'every hour on the hour, Moscow time', hour: '*', minute: 0 }], timezone: TIMEZONE },
      action: {
        type: 'startWorkflow',
        workflowType: alarmSweepWorkflow,
        taskQueue,
        workflowId: 'alarms-hourly',
        args: [{ kinds: ['not_distributed', 'leads_rotting', 'stop_contact_overdue'] }],
      },
      // A missed hour is not worth catching up beyond the hour; never two sweeps at once.
      policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 hour' },
    },
    {
      // Rolling-window alarms: target share, one manager's anomalous conversion, partner report drift.
      scheduleId: 'alarms-daily',
      spec: { calendars: [{ comment: 'every day, 07:00 Moscow time', hour: 7, minute: 0 }], timezone: TIMEZONE },
      action: {
        type: 'startWorkflow',
        workflowType: alarmSweepWorkflow,
        args: [{ kinds: ['low_target_share', 'manager_conversion_anomaly', 'partner_report_drift'] }],
        taskQueue,
        workflowId: 'alarms-daily',
      },
      policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 day' },
    },
    {
      // Leads taken in while Temporal was unreachable (answered 202 `registered`) get their
      // workflow within about a minute of Temporal being back; each start is idempotent.
      scheduleId: 'intake-sweep',
      spec: { intervals: [{ every: '1 minute' }] },
      action: {
        type: 'startWorkflow',
        workflowType: intakeSweepWorkflow,
        args: [{ olderThanMs: 60_000 }],
        taskQueue,
        workflowId: 'intake-sweep',
      },
      // After an outage one sweep catches up on everything; never two at once.
      policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 minute' },
    },
    {
      // The notification outbox: e-mails and webhooks written with their tasks go out within about
      // a minute; failures are retried with backoff by later runs (notifications/deliver.ts).
      scheduleId: 'notifications-deliver',
      spec: { intervals: [{ every: '1 minute', offset: SWEEP_OFFSETS.notifications }] },
      action: {
        type: 'startWorkflow',
        workflowType: notificationsDeliverWorkflow,
        args: [{}],
        taskQueue,
        workflowId: 'notifications-deliver',
      },
      // A run still delivering is not joined by another; after an outage one run catches up.
      policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 minute' },
    },
    {
      // A vacation booked ahead begins and ends by its dates: its manager's open leads go to others
      // when it begins, leads waiting for a manager are woken when it is over (activities/roster.ts).
      scheduleId: 'roster-sweep',
      spec: { intervals: [{ every: '15 minutes', offset: SWEEP_OFFSETS.roster }] },
      action: { type: 'startWorkflow', workflowType: rosterSweepWorkflow, args: [], taskQueue, workflowId: 'roster-sweep' },
      policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 hour' },
    },
    {
      // DOMAIN: the system reminds a person when the task they set falls due. Each due task is
      // reminded once (`remindedAt`), so a sweep every 5 minutes is late by at most that.
      scheduleId: 'task-reminders',
      spec: { intervals: [{ every: '5 minutes', offset: SWEEP_OFFSETS.reminders }] },
      action: { type: 'startWorkflow', workflowType: taskReminderWorkflow, args: [], taskQueue, workflowId: 'task-reminders' },
      // After an outage one sweep reminds of everything that fell due; never two at once.
      policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '5 minutes' },
    },
    {
      // 152-FZ / GDPR: personal data past its retention (opted out, or inactive for years) is
      // announced to ops, then erased (activities/retention.ts). Pausing it holds every erasure.
      scheduleId: 'personal-data-retention',
      spec: { calendars: [{ comment: 'every day, 03:30 Moscow time', hour: 3, minute: 30 }], timezone: TIMEZONE },
      action: { type: 'startWorkflow', workflowType: retentionSweepWorkflow, args: [{}], taskQueue, workflowId: 'personal-data-retention' },
      policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 day' },
    },
  ];
}

/** Idempotent: safe on every worker start, from any number of workers. */
export async function ensureSchedules(client: Client, taskQueue: string): Promise<void> {
  for (const s of scheduleSpecs(taskQueue)) {
    try {
      await client.schedule.create(s);
    } catch (err) {
      if (!(err instanceof ScheduleAlreadyRunning)) throw err;
      await client.schedule.getHandle(s.scheduleId).update((prev) => ({
        ...prev,
        spec: s.spec,
        action: s.action,
        policies: { ...prev.policies, ...s.policies },
      }));
    }
  }
}
