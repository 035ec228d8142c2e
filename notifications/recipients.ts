// Who a task's assignee is, as a mail address and a language. The one place that knows: the
// roster's `managers.email`, a partner's hand-off address, and otherwise
// the `NOTIFY_EMAILS` setting (`<assignee>=<address>,…`; `manager:*=<address>` is a shared inbox
// for every manager without an address of their own). Languages: the person's own preferences
// (notification_preferences.language), else `NOTIFY_LANGUAGES` (`<assignee>=ru|en,…`), else
// `NOTIFY_LANGUAGE`, else Russian.
import { personOf } from './preferences';
import type { Language } from './templates';

/** The queries recipientOf needs; a Prisma client or a transaction of one. */
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

export async function recipientOf(db: RawQuerier, assignee: string, env: NodeJS.ProcessEnv = process.env): Promise<Recipient> {
  const person = personOf(assignee);
  const own = person
    ? (
        await db.$queryRawUnsafe<Array<{ language: string | null }>>(
          'SELECT language FROM notification_preferences WHERE person = $1',
          person,
        )
      )[0]?.language
    : undefined;
  const lang = own ?? parseMap(env.NOTIFY_LANGUAGES).get(assignee) ?? env.NOTIFY_LANGUAGE;
  const language: Language = lang === 'en' ? 'en' : 'ru';
  const [role, id] = assignee.split(/:(.*)/s) as [string, string | undefined];
  let email: string | undefined;
  if ((role === 'manager' || role === 'team_lead') && id) {
    const rows = await db.$queryRawUnsafe<Array<{ email: string | null }>>('SELECT email FROM managers WHERE id = $1', id);
    email = rows[0]?.email ?? undefined;
  }
  if (role === 'partner' && id) {
    const rows = await db.$queryRawUnsafe<Array<{ email: string | null }>>('SELECT handoff_email AS email FROM partners WHERE id = $1', id);
    email = rows[0]?.email ?? undefined;
  }
  const map = parseMap(env.NOTIFY_EMAILS);
  email ??= map.get(assignee) ?? map.get(`${role}:*`);
  return { email: email || undefined, language };
}
