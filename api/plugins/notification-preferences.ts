// Each person's notification preferences: e-mail and webhooks on or off, language, muted task
// kinds, quiet hours in their time zone, "only in working hours". A person sets their own
// (/me/…: staff through the roster entry their credential identifies, a partner for itself); ops
// and admins set anyone's, a team lead their team's managers'. Applied at delivery
// (notifications/preferences.ts), so a change reaches what is already waiting.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Db } from '../../platform/db';
import { BusinessCalendar } from '../../domain/calendar';
import { canonicalTimeZone, hasDeliveryWindow, HHMM, quietHoursProblem } from '../../domain/quiet-hours';
import { text } from '../../domain/text';
import type { NotificationPreference } from '../../generated/prisma/client';
import {
  assigneesOf,
  DEFAULT_PREFERENCES,
  fromRow,
  MUTABLE_KINDS,
  NEVER_HELD,
  type Preferences,
  storedPreferences,
} from '../../notifications/preferences';
import { allow, forbidden, type Principal, STAFF } from '../auth';
import { HttpProblem, notFound, problemResponses, unprocessable, unprocessableResponse } from '../problem';
import { managerOfCaller } from '../staff';

export interface NotificationPreferencesPluginOptions {
  db: Db;
}

const problems = { ...problemResponses, 422: unprocessableResponse };
const tags = ['tasks'];
const Id = z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'letters, digits, dot, dash, underscore; at most 64');

const PreferencesInput = z
  .object({
    email: z.boolean().default(true).describe('E-mail about this person’s tasks'),
    webhooks: z.boolean().default(true).describe('Webhooks about this person’s tasks (a partner’s CRM; a manager’s team chat)'),
    language: z.enum(['ru', 'en']).nullable().default(null).describe('null: the NOTIFY_LANGUAGES / NOTIFY_LANGUAGE setting, else ru'),
    mutedKinds: z.array(text(64, 1)).max(50).default([]).describe('Task kinds announced on no channel (still in the work queue)'),
    timeZone: text(64, 1).default('Europe/Moscow').describe('IANA time zone the quiet hours are read in'),
    quietHours: z
      .object({
        from: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'HH:MM, 00:00–23:59'),
        to: z.string().regex(HHMM, 'HH:MM, 00:00–24:00'),
      })
      .strict()
      .nullable()
      .default(null)
      .describe('Held, not dropped, while local time is in [from, to); 20:00–09:00 wraps midnight'),
    workingHoursOnly: z.boolean().default(false).describe('Hold anything outside the working hours of the business calendar'),
  })
  .strict();

const PreferencesView = PreferencesInput.required().extend({
  person: z.string().describe('manager:<id> (also as a team lead) or partner:<id>'),
  stored: z.boolean().describe('false: nothing stored, these are the defaults'),
  updatedAt: z.string().nullable(),
  updatedBy: z.string().nullable(),
  neverHeld: z.array(z.string()).describe('Task kinds that go out at once on every channel whatever the preferences (legal notices)'),
});
const PutAnswer = PreferencesView.extend({
  released: z.number().int().describe('Notifications held for this person, put back for a new decision under these preferences'),
});

const CALENDAR = BusinessCalendar.parse({});

function view(person: string, row: NotificationPreference | undefined) {
  const p: Preferences = row ? fromRow(row) : DEFAULT_PREFERENCES;
  return {
    ...p,
    person,
    stored: !!row,
    updatedAt: row?.updatedAt.toISOString() ?? null,
    updatedBy: row?.updatedBy ?? null,
    neverHeld: [...NEVER_HELD],
  };
}

/** 422 for what is well-formed but cannot be kept: an unknown zone, empty or endless quiet hours, an unknown or unmutable kind. */
function validated(b: z.infer<typeof PreferencesInput>): z.infer<typeof PreferencesInput> {
  const errors: Array<{ kind: string; path: string; message: string }> = [];
  const timeZone = canonicalTimeZone(b.timeZone);
  if (!timeZone) {
    const message = `unknown time zone ${b.timeZone} (an IANA name, e.g. Europe/Moscow)`;
    errors.push({ kind: 'unknown-time-zone', path: 'body.timeZone', message });
  }
  const quiet = b.quietHours && quietHoursProblem(b.quietHours);
  if (quiet) errors.push({ kind: 'invalid-quiet-hours', path: 'body.quietHours', message: quiet });
  b.mutedKinds.forEach((k, i) => {
    const path = `body.mutedKinds.${i}`;
    if (NEVER_HELD.includes(k)) {
      errors.push({ kind: 'task-kind-not-mutable', path, message: `${k} is a legal notice: it is never muted or held` });
    } else if (!MUTABLE_KINDS.includes(k)) {
      errors.push({ kind: 'unknown-task-kind', path, message: `unknown task kind ${k} (one of ${MUTABLE_KINDS.join(', ')})` });
    }
  });
  if (timeZone && !quiet && !hasDeliveryWindow({ ...b, timeZone }, CALENDAR, Date.now())) {
    const message = 'with working hours only, these quiet hours leave no time to deliver anything';
    errors.push({ kind: 'invalid-quiet-hours', path: 'body.quietHours', message });
  }
  if (errors.length) {
    throw unprocessable(
      errors[0]!.kind,
      'The preferences cannot be kept',
      errors.map(({ path, message }) => ({ path, message })),
    );
  }
  return { ...b, timeZone: timeZone!, mutedKinds: [...new Set(b.mutedKinds)] };
}

export const notificationPreferencesPlugin: FastifyPluginAsyncZod<NotificationPreferencesPluginOptions> = async (app, { db }) => {
  /** The person the caller is: their roster entry (staff) or themselves (a partner). */
  async function me(p: Principal): Promise<string> {
    if (p.role === 'partner') {
      if (!(await db.partner.findUnique({ where: { id: p.subject }, select: { id: true } }))) throw notFound(`partner ${p.subject}`);
      return `partner:${p.subject}`;
    }
    const m = await managerOfCaller(db, p);
    if (!m) {
      throw new HttpProblem(404, 'not-on-roster', 'The caller is not on the roster', {
        detail: `no manager has apiSubject (or id) ${p.subject}: ops link the credential with PATCH /managers/:id {"apiSubject": …}`,
      });
    }
    return `manager:${m.id}`;
  }

  /** A manager's person key, if the caller may see and set their preferences: ops, admin, the manager's team lead. */
  async function managerPerson(p: Principal, id: string): Promise<string> {
    const m = await db.manager.findUnique({ where: { id }, select: { id: true, teamId: true, teamLeadId: true } });
    if (!m) throw notFound(`manager ${id}`);
    if (p.role === 'team_lead') {
      const lead = await managerOfCaller(db, p);
      const team = m.teamId ? await db.team.findUnique({ where: { id: m.teamId }, select: { leadId: true } }) : null;
      const theirs = !!lead && (lead.id === m.id || m.teamLeadId === lead.id || team?.leadId === lead.id);
      if (!theirs) throw forbidden(`a team lead sets the preferences of their own team only, not of manager ${id}`);
    }
    return `manager:${m.id}`;
  }

  async function partnerPerson(id: string): Promise<string> {
    if (!(await db.partner.findUnique({ where: { id }, select: { id: true } }))) throw notFound(`partner ${id}`);
    return `partner:${id}`;
  }

  async function put(person: string, body: z.infer<typeof PreferencesInput>, actor: string) {
    const b = validated(body);
    const data = {
      email: b.email,
      webhooks: b.webhooks,
      language: b.language,
      mutedKinds: b.mutedKinds,
      timeZone: b.timeZone,
      quietFrom: b.quietHours?.from ?? null,
      quietTo: b.quietHours?.to ?? null,
      workingHoursOnly: b.workingHoursOnly,
      updatedAt: new Date(),
      updatedBy: actor,
    };
    const row = await db.notificationPreference.upsert({ where: { person }, create: { person, ...data }, update: data });
    // What waits for the old quiet hours is decided again by the next delivery run, under these.
    const released = await db.$executeRawUnsafe(
      `UPDATE notifications SET next_attempt_at = now() AT TIME ZONE 'UTC', held_until = NULL
       WHERE status = 'pending' AND held_until IS NOT NULL AND payload->>'assignee' = ANY($1::text[])`,
      assigneesOf(person),
    );
    return { ...view(person, row), released };
  }

  const get = async (person: string) => view(person, await storedPreferences(db, person));

  app.get(
    '/me/notification-preferences',
    {
      schema: {
        tags,
        summary: 'The caller’s notification preferences (the defaults until set)',
        response: { 200: PreferencesView, ...problems },
      },
      preHandler: allow(...STAFF, 'partner'),
    },
    async (req) => get(await me(req.principal!)),
  );

  app.put(
    '/me/notification-preferences',
    {
      schema: {
        tags,
        summary: 'Set the caller’s notification preferences (the whole set; what is left out takes its default)',
        body: PreferencesInput,
        response: { 200: PutAnswer, ...problems },
      },
      preHandler: allow(...STAFF, 'partner'),
    },
    async (req) => put(await me(req.principal!), req.body, req.principal!.actor),
  );

  const IdParams = z.object({ id: Id });
  app.get(
    '/managers/:id/notification-preferences',
    {
      schema: {
        tags,
        summary: 'A manager’s notification preferences (ops, admin, their team lead)',
        params: IdParams,
        response: { 200: PreferencesView, ...problems },
      },
      preHandler: allow('ops', 'team_lead'),
    },
    async (req) => get(await managerPerson(req.principal!, req.params.id)),
  );

  app.put(
    '/managers/:id/notification-preferences',
    {
      schema: {
        tags,
        summary: 'Set a manager’s notification preferences (ops, admin, their team lead)',
        params: IdParams,
        body: PreferencesInput,
        response: { 200: PutAnswer, ...problems },
      },
      preHandler: allow('ops', 'team_lead'),
    },
    async (req) => put(await managerPerson(req.principal!, req.params.id), req.body, req.principal!.actor),
  );

  app.get(
    '/partners/:id/notification-preferences',
    {
      schema: {
        tags,
        summary: 'A partner’s notification preferences (ops, admin)',
        params: IdParams,
        response: { 200: PreferencesView, ...problems },
      },
      preHandler: allow('ops'),
    },
    async (req) => get(await partnerPerson(req.params.id)),
  );

  app.put(
    '/partners/:id/notification-preferences',
    {
      schema: {
        tags,
        summary: 'Set a partner’s notification preferences (ops, admin)',
        params: IdParams,
        body: PreferencesInput,
        response: { 200: PutAnswer, ...problems },
      },
      preHandler: allow('ops'),
    },
    async (req) => put(await partnerPerson(req.params.id), req.body, req.principal!.actor),
  );
};
