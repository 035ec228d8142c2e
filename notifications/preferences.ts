// Each person's notification preferences and what they decide for one notification at the moment
// of delivery: send it (in which language), hold it until the person's quiet hours are over, or
// suppress it (a channel turned off, a task kind muted) — recorded on the row, for ops to see.
import type { Db } from '../platform/db';
import { BusinessCalendar } from '../domain/calendar';
import { heldUntil } from '../domain/quiet-hours';
import type { NotificationPreference } from '../generated/prisma/client';
import { TASK_KINDS, type Language } from './templates';

export interface Preferences {
  email: boolean;
  webhooks: boolean;
  /** null: the NOTIFY_LANGUAGES / NOTIFY_LANGUAGE setting (recipients.ts), else Russian. */
  language: Language | null;
  mutedKinds: string[];
  timeZone: string;
  quietHours: { from: string; to: string } | null;
  workingHoursOnly: boolean;
}

/** What a person without stored preferences gets: every channel, any time — as before preferences existed. */
export const DEFAULT_PREFERENCES: Preferences = {
  email: true,
  webhooks: true,
  language: null,
  mutedKinds: [],
  timeZone: 'Europe/Moscow',
  quietHours: null,
  workingHoursOnly: false,
};

/**
 * Task kinds no preference holds or silences. A stop-contact order tells a partner that the client
 * withdrew consent: the partner must stop processing the client's data at once (152-FZ), so it goes
 * out on every channel the partner has, at any hour, and it cannot be muted.
 */
export const NEVER_HELD: readonly string[] = ['stop_contact'];

/** The kinds a person may mute: every task kind with a template, and follow-ups. */
export const MUTABLE_KINDS: readonly string[] = [...TASK_KINDS, 'follow_up'].filter((k) => !NEVER_HELD.includes(k));

/** The person whose preferences govern a task's notifications: a team lead is a manager of the roster. */
export function personOf(assignee: string): string | undefined {
  const [role, id] = assignee.split(/:(.*)/s) as [string, string | undefined];
  if (!id) return undefined;
  if (role === 'manager' || role === 'team_lead') return `manager:${id}`;
  if (role === 'partner') return `partner:${id}`;
  return undefined; // ops: a shared inbox, no person's preferences
}

/** The assignees whose tasks a person's preferences govern (the inverse of personOf). */
export function assigneesOf(person: string): string[] {
  const [role, id] = person.split(/:(.*)/s) as [string, string];
  return role === 'manager' ? [`manager:${id}`, `team_lead:${id}`] : [person];
}

export const fromRow = (r: NotificationPreference): Preferences => ({
  email: r.email,
  webhooks: r.webhooks,
  language: r.language === 'en' || r.language === 'ru' ? r.language : null,
  mutedKinds: r.mutedKinds,
  timeZone: r.timeZone,
  quietHours: r.quietFrom && r.quietTo ? { from: r.quietFrom, to: r.quietTo } : null,
  workingHoursOnly: r.workingHoursOnly,
});

/** Stored preferences of `person`, or undefined (the defaults apply). */
export async function storedPreferences(
  db: Pick<Db, 'notificationPreference'>,
  person: string,
): Promise<NotificationPreference | undefined> {
  return (await db.notificationPreference.findUnique({ where: { person } })) ?? undefined;
}

export type Decision =
  { action: 'send'; language?: Language } | { action: 'hold'; until: Date; reason: string } | { action: 'suppress'; reason: string };

const CALENDAR = BusinessCalendar.parse({}); // the SLA clocks' calendar (domain/policy.ts's default)

/** What `prefs` (of `person`) decide for a notification on `channel` of task `kind`, delivered at `now`. */
export function decide(
  prefs: Preferences | undefined,
  person: string,
  n: { channel: string; kind: string },
  now: Date,
  cal: BusinessCalendar = CALENDAR,
): Decision {
  if (!prefs || NEVER_HELD.includes(n.kind)) return { action: 'send', language: prefs?.language ?? undefined };
  if (n.channel === 'email' && !prefs.email) return { action: 'suppress', reason: `e-mail is off in the preferences of ${person}` };
  if (n.channel === 'webhook' && !prefs.webhooks) return { action: 'suppress', reason: `webhooks are off in the preferences of ${person}` };
  if (prefs.mutedKinds.includes(n.kind)) {
    return { action: 'suppress', reason: `task kind ${n.kind} is muted in the preferences of ${person}` };
  }
  const until = heldUntil(prefs, cal, now.getTime());
  if (until !== undefined) {
    const why = [
      prefs.quietHours && `quiet hours ${prefs.quietHours.from}–${prefs.quietHours.to} ${prefs.timeZone}`,
      prefs.workingHoursOnly && 'working hours only',
    ]
      .filter(Boolean)
      .join(', ');
    return { action: 'hold', until: new Date(until), reason: `held for ${person} until ${new Date(until).toISOString()} (${why})` };
  }
  return { action: 'send', language: prefs.language ?? undefined };
}
