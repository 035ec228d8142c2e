// /tasks: each person's work queue (the follow-ups the lead workflows make, and those people set
// themselves) and completing a task with its outcome and the next one.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { poolOf, type Db } from '../../platform/db';
import { CONFIRMED, confirmStopContact, STOP_CONTACT } from '../../platform/repos/stop-contact-orders';
import { completeTask, type TaskRow } from '../../platform/repos/tasks';
import { text } from '../../domain/text';
import { IsoDateTime } from '../../domain/time';
import { decodeCursor, encodeCursor } from '../cursor';
import { allow, forbidden, type Principal, STAFF } from '../auth';
import { notFound, Problem, problemResponses, unprocessable } from '../problem';
import { listTasks } from '../task-queue';

export interface TasksPluginOptions {
  db: Db;
}

export const TaskView = z.object({
  key: z.string().describe('`<leadId>:<seq>[:…]`: the task id'),
  leadId: z.string(),
  assignee: z.string().describe('manager:<id> | team_lead:<id> | ops | partner:<id>'),
  kind: z.string().describe('first_contact, sla_reminder, offer, deal_checkin, reengagement, follow_up, …'),
  title: z.string(),
  dueAt: z.string().nullable(),
  createdAt: z.string(),
  state: z.enum(['open', 'done']),
  overdue: z.boolean().describe('Open and past its due date'),
  doneAt: z.string().nullable(),
  outcome: z
    .string()
    .nullable()
    .describe('What the person recorded; or the lead action that did it (e.g. `contacted`), `superseded`, `lead_ended`'),
  note: z.string().nullable(),
  completedBy: z.string().nullable(),
  remindedAt: z.string().nullable(),
});
type TaskView = z.infer<typeof TaskView>;

const ListQuery = z.object({
  assignee: text(100).optional().describe('Only this assignee’s tasks (within what the caller may see)'),
  kind: text(64).optional(),
  leadId: text(64).optional(),
  dueBefore: IsoDateTime().optional(),
  overdue: z.enum(['true', 'false']).optional(),
  state: z.enum(['open', 'done']).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(500).optional().describe('nextCursor of the previous page'),
});

// A PostgreSQL timestamp as text (or `infinity`): the cursor carries the sort values as PostgreSQL printed them.
const PgTimestamp = z.string().regex(/^(infinity|\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{1,6})?)$/);
const Cursor = z.object({ d: PgTimestamp, c: PgTimestamp, k: z.string().max(1000) });

const Complete = z.object({
  outcome: text(200, 1).describe('What happened: reached, no answer, sent the proposal, …'),
  note: text(2000).optional(),
  next: z
    .object({ title: text(300, 1), dueAt: IsoDateTime() })
    .optional()
    .describe('The next task on this lead, for the same assignee'),
});

const TaskKeyParams = z.object({ key: text(300, 1) });

const iso = (d: Date | null) => (d ? d.toISOString() : null);

function view(t: Omit<TaskView, 'state' | 'overdue'>, now: Date): TaskView {
  return { ...t, state: t.doneAt ? 'done' : 'open', overdue: !t.doneAt && !!t.dueAt && Date.parse(t.dueAt) < now.getTime() };
}

const rowView = (t: TaskRow, now: Date) =>
  view(
    {
      key: t.key,
      leadId: t.leadId,
      assignee: t.assignee,
      kind: t.kind,
      title: t.title,
      dueAt: iso(t.dueAt),
      createdAt: t.createdAt.toISOString(),
      doneAt: iso(t.doneAt),
      outcome: t.outcome,
      note: t.note,
      completedBy: t.completedBy,
      remindedAt: iso(t.remindedAt),
    },
    now,
  );

export const tasksPlugin: FastifyPluginAsyncZod<TasksPluginOptions> = async (app, { db }) => {
  const pool = poolOf(db);

  /** Whether `p` may see (and so complete) a task of `assignee` — the same rule as the list's (api/task-queue.ts). */
  async function mayWork(p: Principal, assignee: string): Promise<boolean> {
    switch (p.role) {
      case 'sales':
        return assignee === `manager:${p.subject}`;
      case 'team_lead': {
        if (assignee === `manager:${p.subject}` || assignee === `team_lead:${p.subject}`) return true;
        if (!assignee.startsWith('manager:')) return false;
        const m = await db.manager.findUnique({ where: { id: assignee.slice('manager:'.length) }, select: { teamLeadId: true } });
        return m?.teamLeadId === p.subject;
      }
      case 'partner':
        return assignee === `partner:${p.subject}`;
      default:
        return true;
    }
  }

  app.get(
    '/tasks',
    {
      schema: {
        tags: ['tasks'],
        summary: 'The caller’s work queue (a team lead’s includes the team’s; ops see all), most urgent first, cursor-paginated',
        querystring: ListQuery,
        response: { 200: z.object({ items: z.array(TaskView), nextCursor: z.string().nullable() }), ...problemResponses },
      },
      preHandler: allow(...STAFF, 'partner'),
    },
    async (req) => {
      const q = req.query;
      const after = decodeCursor(Cursor, q.cursor);
      const now = new Date();
      const { rows, more } = await listTasks(pool, req.principal!, {
        assignee: q.assignee,
        kind: q.kind,
        leadId: q.leadId,
        dueBefore: q.dueBefore ? new Date(q.dueBefore) : undefined,
        overdue: q.overdue === undefined ? undefined : q.overdue === 'true',
        state: q.state,
        now,
        after: after && { due: after.d, created: after.c, key: after.k },
        limit: q.limit,
      });
      const last = rows[rows.length - 1];
      return {
        items: rows.map(({ sortDue: _d, sortCreated: _c, ...t }) => view(t, now)),
        nextCursor: more && last ? encodeCursor({ d: last.sortDue, c: last.sortCreated, k: last.key }) : null,
      };
    },
  );

  app.post(
    '/tasks/:key/complete',
    {
      schema: {
        tags: ['tasks'],
        summary:
          'Complete a task with its outcome and, optionally, set the next one (idempotent: a done task is answered as it is); ' +
          'a stop-contact order is completed only with outcome `confirmed`: the partner confirms it stopped contact and deleted the data',
        params: TaskKeyParams,
        body: Complete,
        response: {
          200: z.object({ task: TaskView, next: TaskView.nullable().describe('The follow-up set with this completion') }),
          ...problemResponses,
          422: {
            description: 'A stop-contact order completed with another outcome than `confirmed`, or with a next task',
            content: { 'application/problem+json': { schema: Problem } },
          },
        },
      },
      // Completing is idempotent by itself (a second call changes nothing and answers the same); an
      // Idempotency-Key is taken as on every POST (api/idempotency.ts), so the request is replayed too.
      preHandler: allow(...STAFF, 'partner'),
    },
    async (req) => {
      const p = req.principal!;
      const { key } = req.params;
      const task = await db.task.findUnique({ where: { key }, select: { assignee: true, kind: true, leadId: true } });
      // A partner learns nothing of tasks that are not its own, not even that they exist.
      if (!task || (p.role === 'partner' && task.assignee !== `partner:${p.subject}`)) throw notFound(`task ${key}`);
      if (!(await mayWork(p, task.assignee))) throw forbidden(`task ${key} is ${task.assignee}'s, not yours`);
      const now = new Date();
      if (task.kind === STOP_CONTACT) {
        // A stop-contact order ends only with the partner's confirmation (platform/repos/stop-contact-orders.ts):
        // no other outcome closes it, and there is no next task on a lead the client left.
        const { outcome, note, next } = req.body;
        const wrong = [
          ...(outcome === CONFIRMED ? [] : [{ path: 'body.outcome', message: `a stop-contact order is completed only as "${CONFIRMED}"` }]),
          ...(next ? [{ path: 'body.next', message: 'no next task on a stop-contact order' }] : []),
        ];
        if (wrong.length)
          throw unprocessable('stop-contact-needs-confirmation', 'A stop-contact order is completed by confirming it', wrong);
        const partnerId = task.assignee.replace(/^partner:/, '');
        await confirmStopContact(db, { leadId: task.leadId, partnerId, actor: p.actor, channel: 'task', note });
        return { task: rowView(await db.task.findUniqueOrThrow({ where: { key } }), now), next: null };
      }
      const res = await completeTask(db, key, { ...req.body, actor: p.actor });
      return { task: rowView(res.task, now), next: res.next && rowView(res.next, now) };
    },
  );
};
