// Who a task's assignee is, as a mail address and a language. The one place that knows: the
// roster's `managers.email`, a partner's hand-off address, and otherwise
// the `NOTIFY_EMAILS` setting (`<assignee>=<address>,…`; `manager:*=<address>` is a shared inbox
// for every manager without an address of their own). Languages: the person's own preferences
// (notification_preferences.language), else `NOTIFY_LANGUAGES` (`<assignee>=ru|en,…`), else
// `NOTIFY_LANGUAGE`, else Russian.
import { personOf } from './preferences';
import type { Language } from './templates';

/** The queries audienceOf needs; a Prisma client or a transaction of one. */
export interface RawQuerier {
  $queryRawUnsafe<T = unknown>(query: string, ...values: unknown[]): Promise<T>;
}

export interface Recipient {
  email?: string;
  language: Language;
}

const parseMap = (spec: string | undefined) =>
  new Map(
    (spec ?? '')
      .split(',')
      .map((e) => e.trim())
      .filter((e) => e.includes('='))
      .map((e) => {
        const i = e.lastIndexOf('=');
        return [e.slice(0, i).trim(), e.slice(i + 1).trim()] as const;
      }),
  );

export interface Audience {
  recipient: Recipient;
  /** Active webhook subscriptions announcing the assignee's tasks (ids, ordered). */
  subscriptions: string[];
}

// Everything the outbox needs to know about an assignee, in one round trip: their own language,
// their address on the roster (a manager's, a partner's hand-off address), and the webhook
// subscriptions of whoever follows their work — the partner itself; for a manager, the team of
// the roster they belong to (managers.team_id); for a team lead, each team they lead
// (teams.lead_id). Teams are addressed by their roster id, `team:<teams.id>`.
const AUDIENCE_SQL = `SELECT
  (SELECT language FROM notification_preferences WHERE person = $1::text) AS language,
  CASE WHEN $2::text IN ('manager', 'team_lead') THEN (SELECT email FROM managers WHERE id = $3::text)
       WHEN $2::text = 'partner' THEN (SELECT handoff_email FROM partners WHERE id = $3::text) END AS email,
  ARRAY(SELECT w.id FROM webhook_subscriptions w WHERE w.active AND w.subscriber = ANY(
    CASE $2::text
      WHEN 'partner' THEN ARRAY['partner:' || $3::text]
      WHEN 'manager' THEN ARRAY(SELECT 'team:' || team_id FROM managers WHERE id = $3::text AND team_id IS NOT NULL)
      WHEN 'team_lead' THEN ARRAY(SELECT 'team:' || id FROM teams WHERE lead_id = $3::text)
      ELSE ARRAY[]::text[] END) ORDER BY w.id) AS subscriptions`;

/** Who hears of a task for `assignee`: the address and language of an e-mail, and the webhooks. */
export async function audienceOf(db: RawQuerier, assignee: string, env: NodeJS.ProcessEnv = process.env): Promise<Audience> {
  const [role, id] = assignee.split(/:(.*)/s) as [string, string | undefined];
  const [row] = await db.$queryRawUnsafe<Array<{ language: string | null; email: string | null; subscriptions: string[] }>>(
    AUDIENCE_SQL,
    personOf(assignee) ?? null,
    role,
    id || null,
  );
  const lang = row?.language ?? parseMap(env.NOTIFY_LANGUAGES).get(assignee) ?? env.NOTIFY_LANGUAGE;
  const map = parseMap(env.NOTIFY_EMAILS);
  const email = row?.email ?? map.get(assignee) ?? map.get(`${role}:*`);
  return {
    recipient: { email: email || undefined, language: lang === 'en' ? 'en' : 'ru' },
    subscriptions: id ? (row?.subscriptions ?? []) : [],
  };
}
