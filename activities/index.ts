// All activities of the worker, bound to their dependencies.
import { assignmentActivities, type AssignmentScheme } from './assignment';
import { commissionActivities } from './commission';
import type { Db } from './db';
import { handoffActivities } from './handoff';
import { registryActivities } from './registry';

export function createActivities(db: Db, opts: { assignmentScheme?: AssignmentScheme } = {}) {
  return {
    ...registryActivities(db),
    ...assignmentActivities(db, opts.assignmentScheme),
    ...handoffActivities(db),
    ...commissionActivities(db),
  };
}

export type LeadActivities = ReturnType<typeof createActivities>;
