// The workflows the worker registers.
export { leadWorkflow } from './lead';
export { commissionWorkflow } from './commission';
export { partnerExitWorkflow } from './partner-exit';
export { reconciliationSweepWorkflow } from './reconciliation';
export { payoutWorkflow, payoutRunWorkflow } from './payout';
export { refundWorkflow } from './refund';
export { nettingWorkflow } from './netting';
export { alarmSweepWorkflow } from './alarms';
export { intakeSweepWorkflow } from './intake-sweep';
export { notificationsDeliverWorkflow } from './notifications';
export { rosterSweepWorkflow } from './roster-sweep';
export { taskReminderWorkflow } from './task-reminders';
export { retentionSweepWorkflow } from './retention';
export { policyRolloutWorkflow } from './policy-rollout';
