// All activities of the worker, bound to their dependencies.
import type { Client } from '@temporalio/client';
import { alarmActivities, type Notifier } from './alarms';
import { assignmentActivities, type AssignmentScheme } from './assignment';
import { commissionActivities } from './commission';
import type { Db } from '../platform/db';
import { handoffActivities } from './handoff';
import { intakeActivities } from './intake';
import { type MailSettings, notificationActivities } from '../notifications/deliver';
import { partnerActivities } from './partners';
import { type PaymentRail, payoutActivities } from './payouts';
import { registryActivities } from './registry';
import { rosterActivities } from './roster';
import { taskActivities } from './tasks';
import { retentionActivities } from './retention';
import { policyActivities } from './policy';

export function createActivities(
  db: Db,
  opts: {
    assignmentScheme?: AssignmentScheme;
    paymentRail?: PaymentRail;
    notifier?: Notifier;
    /** The intake sweeper starts lead workflows: a client of the worker's own cluster and task queue. */
    temporal?: { client: Client; taskQueue: string };
    /** SMTP settings, read when a message is sent; SMTP_URL and MAIL_FROM otherwise. */
    mail?: () => MailSettings;
  } = {},
) {
  return {
    ...registryActivities(db, opts.temporal),
    ...assignmentActivities(db, opts.assignmentScheme),
    ...handoffActivities(db),
    ...commissionActivities(db),
    ...partnerActivities(db),
    ...payoutActivities(db, opts.paymentRail),
    ...alarmActivities(db, opts.notifier),
    ...intakeActivities(db, opts.temporal),
    ...notificationActivities(db, opts.mail),
    ...rosterActivities(db, opts.temporal),
    ...taskActivities(db),
    ...retentionActivities(db, opts.temporal),
    ...policyActivities(db, opts.temporal),
  };
}

export type LeadActivities = ReturnType<typeof createActivities>;
