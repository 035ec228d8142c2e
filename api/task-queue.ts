// The work queue as one SQL statement on the read model's pg pool, like the lead list
// (api/read-model.ts): who may see which tasks, the filters asked for, a keyset cursor.
import { createHash } from 'node:crypto';
import type { Pool } from 'pg';
import type { Principal } from './auth';

export interface TaskListQuery {
  assignee?: string;
  kind?: string;
  leadId?: string;
  dueBefore?: Date;
  overdue?: boolean;
  state?: 'open' | 'done';
  now: Date;
  /** Keyset: the sort values (PostgreSQL timestamp text, `infinity` for no due date) and key of the previous page's last row. */
  after?: { due: string; created: string; key: string };
  limit: number;
}

export interface TaskListRow {
  key: string;
  leadId: string;
  assignee: string;
  kind: string;
  title: string;
  dueAt: string | null;
  createdAt: string;
  doneAt: string | null;
  outcome: string | null;
  note: string | null;
  completedBy: string | null;
  remindedAt: string | null;
  /** Sort values for the cursor. */
  sortDue: string;
  sortCreated: string;
}

const iso = (col: string) => `to_char(${col}, 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
// Open-ended tasks (no due date) come after every dated one.
const DUE = `COALESCE(due_at, 'infinity'::timestamp)`;
const SELECT = `SELECT key, lead_id AS "leadId", assignee, kind, title, ${iso('due_at')} AS "dueAt", ${iso('created_at')} AS "createdAt",
  ${iso('done_at')} AS "doneAt", outcome, note, completed_by AS "completedBy", ${iso('reminded_at')} AS "remindedAt",
  ${DUE}::text AS "sortDue", created_at::text AS "sortCreated" FROM tasks`;

/**
 * Whose tasks a caller sees: a manager their own; a team lead their own, their team's managers'
 * and those escalated to them; a partner its own; ops and admin all.
 */
export function visibility(p: Principal, param: (v: unknown) => string): string | undefined {
  switch (p.role) {
    case 'sales':
      return `assignee = ${param(`manager:${p.subject}`)}`;
    case 'team_lead': {
      const s = param(p.subject);
      return `(assignee IN ('manager:' || ${s}, 'team_lead:' || ${s})
        OR assignee IN (SELECT 'manager:' || m.id FROM managers m WHERE m.team_lead_id = ${s}))`;
    }
    case 'partner':
      return `assignee = ${param(`partner:${p.subject}`)}`;
    default:
      return undefined;
  }
}

/** One page of the caller's queue, most urgent first, plus whether there is another after it. */
export async function listTasks(pool: Pool, who: Principal, q: TaskListQuery): Promise<{ rows: TaskListRow[]; more: boolean }> {
  const where: string[] = [];
  const values: unknown[] = [];
  const param = (v: unknown) => `$${values.push(v)}`;
  const own = visibility(who, param);
  if (own) where.push(own);
  if (q.assignee !== undefined) where.push(`assignee = ${param(q.assignee)}`);
  if (q.kind !== undefined) where.push(`kind = ${param(q.kind)}`);
  if (q.leadId !== undefined) where.push(`lead_id = ${param(q.leadId)}`);
  if (q.dueBefore) where.push(`due_at < ${param(q.dueBefore.toISOString())}::timestamp`);
  if (q.state === 'open') where.push('done_at IS NULL');
  if (q.state === 'done') where.push('done_at IS NOT NULL');
  if (q.overdue !== undefined) {
    const overdue = `done_at IS NULL AND due_at IS NOT NULL AND due_at < ${param(q.now.toISOString())}::timestamp`;
    where.push(q.overdue ? `(${overdue})` : `NOT (${overdue})`);
  }
  if (q.after) {
    where.push(
      `(${DUE}, created_at, key) > (${param(q.after.due)}::timestamp, ${param(q.after.created)}::timestamp, ${param(q.after.key)})`,
    );
  }
  const filter = where.length ? ` WHERE ${where.join(' AND ')}` : '';
  const text = `${SELECT}${filter} ORDER BY ${DUE}, created_at, key LIMIT ${param(q.limit + 1)}`;
  const name = `tasks-list-${createHash('sha1').update(text).digest('hex').slice(0, 16)}`;
  const res = await pool.query<TaskListRow>({ name, text, values });
  return { rows: res.rows.slice(0, q.limit), more: res.rows.length > q.limit };
}
