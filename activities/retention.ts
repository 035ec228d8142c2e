// Personal data kept no longer than needed (domain/policy.ts PrivacyPolicy), swept daily by the
// `personal-data-retention` Schedule (workflows/retention.ts):
//   - a lead closed by the client's opt-out or withdrawn consent is erased erasureAfterOptOutDays
//     after it closed;
//   - any lead with no activity (its row untouched) for erasureAfterInactiveDays is erased.
// Ops are told first: noticeDays before, a task `erasure_due` for ops (and its e-mail through the
// outbox) says which lead and when; the erasure happens only once that notice is noticeDays old,
// so a lead that became due without notice (a changed policy) still gets its full notice.
import type { Client } from '@temporalio/client';
import { defaultPrivacyPolicy, PrivacyPolicy } from '../domain/policy';
import { eraseLead, type ErasureReason } from '../platform/erasure';
import { codecOf } from '../platform/payload-codec';
import type { Db } from '../platform/db';
import { createAnnouncedTask } from '../platform/repos/tasks';
import { DAY } from '../domain/time';

export interface DueErasure {
  leadId: string;
  reason: Extract<ErasureReason, 'opt_out_retention' | 'inactive'>;
  dueAt: string;
}
export interface RetentionDue {
  notify: DueErasure[];
  erase: DueErasure[];
}

export const erasureNoticeKey = (leadId: string) => `erasure:${leadId}`;

export function retentionActivities(db: Db, temporal?: { client: Client }) {
  return {
    /** Leads due for erasure within the notice period: those to announce, and those announced long enough ago to erase. */
    async retentionDue(input: { policy?: Partial<PrivacyPolicy>; limit?: number } = {}): Promise<RetentionDue> {
      const policy = PrivacyPolicy.parse({ ...defaultPrivacyPolicy(), ...input.policy });
      const limit = input.limit ?? 500;
      // Timestamps are stored in UTC without a zone (Prisma's convention).
      const rows = await db.$queryRaw<Array<{ id: string; reason: DueErasure['reason']; due_at: Date; notice_at: Date | null }>>`
        WITH due AS (
          (SELECT id, 'opt_out_retention' AS reason, stage_changed_at + make_interval(days => ${policy.erasureAfterOptOutDays}) AS due_at
             FROM leads
            WHERE opted_out AND erased_at IS NULL AND stage = 'closed'
              AND stage_changed_at <= (now() AT TIME ZONE 'UTC') - make_interval(days => ${policy.erasureAfterOptOutDays - policy.noticeDays})
            ORDER BY stage_changed_at LIMIT ${limit})
          UNION ALL
          (SELECT id, 'inactive' AS reason, updated_at + make_interval(days => ${policy.erasureAfterInactiveDays}) AS due_at
             FROM leads
            WHERE erased_at IS NULL
              AND updated_at <= (now() AT TIME ZONE 'UTC') - make_interval(days => ${policy.erasureAfterInactiveDays - policy.noticeDays})
            ORDER BY updated_at LIMIT ${limit})
        )
        SELECT DISTINCT ON (d.id) d.id, d.reason, d.due_at, t.created_at AS notice_at
          FROM due d LEFT JOIN tasks t ON t.key = ${'erasure:'} || d.id
         ORDER BY d.id, d.due_at`;
      const now = Date.now();
      const out: RetentionDue = { notify: [], erase: [] };
      for (const r of rows) {
        const due: DueErasure = { leadId: r.id, reason: r.reason, dueAt: r.due_at.toISOString() };
        if (!r.notice_at) out.notify.push(due);
        else if (r.due_at.getTime() <= now && r.notice_at.getTime() <= now - policy.noticeDays * DAY) out.erase.push(due);
      }
      return out;
    },

    /** Tells ops that a lead's personal data will be erased (a task for ops, announced by e-mail); once per lead. */
    async noticeErasure(due: DueErasure): Promise<void> {
      const why = due.reason === 'inactive' ? 'no activity for the retention period' : 'the client opted out or withdrew consent';
      const task = {
        key: erasureNoticeKey(due.leadId),
        leadId: due.leadId,
        assignee: 'ops',
        kind: 'erasure_due',
        title: `Personal data of this lead will be erased (${why}); pause the personal-data-retention Schedule to hold it`,
        dueAt: due.dueAt,
      };
      await createAnnouncedTask(db, task);
    },

    /** Erases the lead's personal data (platform/erasure.ts) and closes the notice. */
    async eraseLeadData(due: DueErasure): Promise<{ leadIds: string[] }> {
      const codec = temporal && codecOf(temporal.client);
      if (!temporal || !codec) throw new Error("eraseLeadData needs the worker's Temporal client with the payload codec");
      const res = await eraseLead({ db, temporal: temporal.client, keys: codec.keys }, due.leadId, due.reason);
      await db.task.updateMany({
        where: { key: erasureNoticeKey(due.leadId), doneAt: null },
        data: { doneAt: new Date(), outcome: 'erased', completedBy: 'system' },
      });
      return { leadIds: res.leadIds };
    },
  };
}
