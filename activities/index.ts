// All activities of the worker, bound to their dependencies.
import { assignmentActivities, type AssignmentScheme } from './assignment';
import { commissionActivities } from './commission';
import type { Db } from './db';
import { handoffActivities } from './handoff';
import { partnerActivities } from './partners';
import { type PaymentRail, payoutActivities } from './payouts';
import { registryActivities } from './registry';

export function createActivities(db: Db, opts: { assignmentScheme?: AssignmentScheme; paymentRail?: PaymentRail } = {}) {
  return {
    ...registryActivities(db),
    ...assignmentActivities(db, opts.assignmentScheme),
    ...handoffActivities(db),
    ...commissionActivities(db),
    ...partnerActivities(db),
    ...payoutActivities(db, opts.paymentRail),
  };
}

export type LeadActivities = ReturnType<typeof createActivities>;
