// The browser console at /app, served by the API's own process. Every screen is built from the
// API itself: each console request calls the API routes in-process (`app.inject`) with the signed-in
// person's credential, so roles, partner isolation, validation, idempotency and the audit trail
// are the API's, decided in one place. The console only renders what the API answered — a
// workflow's refusal shows with its reason — and turns forms into the API's JSON bodies.
import { readFileSync } from 'node:fs';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsync } from 'fastify';
import type { Db } from '../../platform/db';
import { BusinessCalendar, businessTimeBetween } from '../../domain/calendar';
import { leadWorkflowId } from '../../workflows/lead';
import type { ApiKey } from '../auth';
import { CSS, JS } from './assets';
import { type ShareBar, conversionChart, targetShareChart } from './charts';
import {
  ENTRY_FORMS,
  type EntryKind,
  managerForm,
  newLeadForm,
  partnerForm,
  type Retry as EntryRetry,
  unlinkedSubjects,
} from './entry-forms';
import { formView } from './form-view';
import { bodyOf, fieldErrors, formsOf } from './forms';
import { attrs, html, type Html } from './html';
import { dateTime, duration, type Lang, nameOf, pickLang, t } from './i18n';
import { type Ctx, csrfField, HOME, page } from './layout';
import { actionBySlug, availableActions, type LeadAction, stateOf } from './lead-actions';
import { cookies, LANG_COOKIE, sameToken, type Session, SESSION_COOKIE, Sessions, setCookie, SIGNIN_COOKIE, token } from './session';

export interface ConsolePluginOptions {
  db: Db;
  apiKeys: ApiKey[];
  /** The Temporal Web UI (TEMPORAL_UI_URL), for a link from each lead to its workflow. */
  temporalUiUrl?: string;
  temporalNamespace?: string;
  /** The calendar SLA clocks count in (the lead policy's). */
  calendar?: BusinessCalendar | (() => BusinessCalendar | undefined);
  /**
   * Sent as CONSOLE_CALL_HEADER on a page's API calls after its first, which the rate limit then
   * skips (api/app.ts): a page counts once against its person's limit, not once per call behind it.
   */
  callToken?: string;
}

export const CONSOLE_CALL_HEADER = 'x-console-call';

declare module 'fastify' {
  interface FastifyRequest {
    consoleSession?: Session;
  }
}

/** What the API answered to an in-process call. */
interface Answer<T = unknown> {
  status: number;
  body: T;
}
interface Items<T> {
  items: T[];
}
interface ProblemBody {
  title?: string;
  detail?: string;
  reason?: string;
  errors?: Array<{ path: string; message: string }>;
}

type Form = Record<string, string>;
const HTMX = require.resolve('htmx.org/dist/htmx.min.js');

export const consolePlugin: FastifyPluginAsync<ConsolePluginOptions> = async (app, opts) => {
  const sessions = new Sessions(opts.db, opts.apiKeys);
  const fallback = BusinessCalendar.parse({});
  // The default policy's calendar in force (a function: it changes with the stored versions).
  const calOf = () => (typeof opts.calendar === 'function' ? opts.calendar() : opts.calendar) ?? fallback;
  const uiBase = (opts.temporalUiUrl ?? process.env.TEMPORAL_UI_URL ?? 'http://localhost:8233').replace(/\/+$/, '');
  const namespace = opts.temporalNamespace ?? process.env.TEMPORAL_NAMESPACE ?? 'default';
  const temporalLink = (leadId: string) =>
    `${uiBase}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(leadWorkflowId(leadId))}`;
  const htmx = readFileSync(HTMX);

  // Pages for people, not API resources: kept out of the OpenAPI document.
  app.addHook('onRoute', (route) => {
    route.schema = { ...route.schema, hide: true };
  });

  // HTML forms post urlencoded bodies; only the console takes them (this plugin's scope).
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 2 * 1024 * 1024 }, (_req, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(body as string)));
  });

  const ctxOf = (req: FastifyRequest): Ctx => {
    const s = req.consoleSession;
    return {
      lang: pickLang(cookies(req)[LANG_COOKIE], req.headers['accept-language']),
      path: req.url,
      who: s && { role: s.role, subject: s.subject, csrf: s.csrf },
    };
  };
  const send = (reply: FastifyReply, status: number, body: string) =>
    reply.status(status).header('content-type', 'text/html; charset=utf-8').header('cache-control', 'no-store').send(body);
  const see = (reply: FastifyReply, to: string) => reply.status(303).header('location', to).send();

  /** The API, in-process, as the signed-in person. */
  let seq = 0;
  /** Console requests that already made an API call (the one their page counts as). */
  const counted = new WeakSet<FastifyRequest>();
  async function api<T = unknown>(
    req: FastifyRequest,
    method: 'GET' | 'POST',
    url: string,
    body?: unknown,
    extra: Record<string, string> = {},
  ): Promise<Answer<T>> {
    const s = req.consoleSession!;
    const raw = typeof body === 'string';
    // Decided before any await, so of the calls a page makes at once exactly one is the first.
    const exempt = counted.has(req) && opts.callToken ? { [CONSOLE_CALL_HEADER]: opts.callToken } : {};
    counted.add(req);
    const res = await app.inject({
      method,
      url,
      headers: {
        'x-api-key': s.key.key,
        'x-request-id': `${req.id}.${++seq % 1000}`,
        'accept-language': req.headers['accept-language'] ?? '',
        ...(body === undefined ? {} : { 'content-type': raw ? 'text/csv' : 'application/json' }),
        ...extra,
        ...exempt,
      },
      payload: body === undefined ? undefined : raw ? body : JSON.stringify(body),
    });
    let parsed: unknown = null;
    try {
      parsed = res.body ? JSON.parse(res.body) : null;
    } catch {
      parsed = { title: res.body };
    }
    return { status: res.statusCode, body: parsed as T };
  }

  /** A page for an API answer that is not a success: the same status, the API's words. */
  function failure(req: FastifyRequest, reply: FastifyReply, answer: Answer) {
    const ctx = ctxOf(req);
    const a = answer as Answer<ProblemBody | null>;
    const title =
      a.status === 404
        ? t(ctx.lang, 'notFound')
        : a.status === 403
          ? t(ctx.lang, 'forbidden')
          : a.status === 503
            ? t(ctx.lang, 'unavailable')
            : (a.body?.title ?? 'Error');
    return send(reply, a.status, page(ctx, title, problemBox(ctx.lang, a.body, a.status)));
  }

  // --- assets and language ---------------------------------------------------------------------

  const asset = (type: string, body: string | Buffer) => async (_req: FastifyRequest, reply: FastifyReply) =>
    reply.header('content-type', type).header('cache-control', 'public, max-age=3600').send(body);
  app.get('/app/assets/console.css', asset('text/css; charset=utf-8', CSS));
  app.get('/app/assets/console.js', asset('text/javascript; charset=utf-8', JS));
  app.get('/app/assets/htmx.min.js', asset('text/javascript; charset=utf-8', htmx));

  const localPath = (p: unknown) => (typeof p === 'string' && /^\/app(\/|$|\?)/.test(p) && !p.startsWith('//') ? p : '/app');
  app.get<{ Params: { lang: string }; Querystring: { back?: string } }>('/app/lang/:lang', async (req, reply) => {
    if (req.params.lang === 'ru' || req.params.lang === 'en') setCookie(reply, req, LANG_COOKIE, req.params.lang, { maxAge: 365 * 86400 });
    return see(reply, localPath(req.query.back));
  });

  // --- sign-in and sign-out -------------------------------------------------------------------------

  function signInPage(req: FastifyRequest, reply: FastifyReply, status: number, message?: string) {
    const ctx = ctxOf(req);
    const pre = token();
    setCookie(reply, req, SIGNIN_COOKIE, pre, { maxAge: 3600 });
    const next = localPath((req.query as { next?: string }).next ?? (req.body as Form | undefined)?.next);
    return send(
      reply,
      status,
      page(
        ctx,
        t(ctx.lang, 'signIn'),
        html`${message ? html`<div class="alert" role="alert">${message}</div>` : ''}
          <form class="action" method="post" action="/app/sign-in">
            <input type="hidden" name="_signin" value="${pre}" /><input type="hidden" name="next" value="${next}" />
            <label for="credential">${t(ctx.lang, 'credential')}</label>
            <input
              id="credential"
              name="credential"
              type="password"
              autocomplete="current-password"
              required
              autofocus
              aria-describedby="credential-help"
            />
            <p id="credential-help" class="muted">${t(ctx.lang, 'credentialHelp')}</p>
            <button type="submit">${t(ctx.lang, 'signIn')}</button>
          </form>`,
      ),
    );
  }

  app.get('/app/sign-in', async (req, reply) => signInPage(req, reply, 200));
  app.post<{ Body: Form }>('/app/sign-in', async (req, reply) => {
    const form = req.body ?? {};
    // The sign-in form has no session yet: its token is a double submit (cookie + field).
    if (!sameToken(cookies(req)[SIGNIN_COOKIE], form._signin)) return signInPage(req, reply, 403, t(ctxOf(req).lang, 'csrf'));
    const key = sessions.keyFor(String(form.credential ?? ''));
    if (!key) return signInPage(req, reply, 401, t(ctxOf(req).lang, 'badCredential'));
    setCookie(reply, req, SESSION_COOKIE, await sessions.open(key), { maxAge: Sessions.maxAge });
    setCookie(reply, req, SIGNIN_COOKIE, '', { maxAge: 0 });
    const next = localPath(form.next);
    return see(reply, next === '/app' ? HOME[key.role] : next);
  });

  // Everything below needs a session; every POST a CSRF token of that session.
  app.register(async (inner) => {
    inner.addHook('preHandler', async (req, reply) => {
      req.consoleSession = await sessions.find(cookies(req)[SESSION_COOKIE]);
      if (!req.consoleSession) {
        if (req.method === 'GET') return see(reply, `/app/sign-in?next=${encodeURIComponent(req.url)}`);
        return send(
          reply,
          401,
          page(ctxOf(req), t(ctxOf(req).lang, 'signIn'), html`<p><a href="/app/sign-in">${t(ctxOf(req).lang, 'signIn')}</a></p>`),
        );
      }
      if (req.method === 'POST' && !sameToken(req.consoleSession.csrf, (req.body as Form | undefined)?._csrf)) {
        const ctx = ctxOf(req);
        return send(reply, 403, page(ctx, t(ctx.lang, 'forbidden'), html`<div class="alert" role="alert">${t(ctx.lang, 'csrf')}</div>`));
      }
    });
    routes(inner);
  });

  function routes(r: FastifyInstance): void {
    r.get('/app', async (req, reply) => see(reply, HOME[req.consoleSession!.role]));

    r.post('/app/sign-out', async (req, reply) => {
      await sessions.close(req.consoleSession!.id);
      setCookie(reply, req, SESSION_COOKIE, '', { maxAge: 0 });
      return see(reply, '/app/sign-in');
    });

    // --- My work -----------------------------------------------------------------------------------

    r.get<{ Querystring: { overdue?: string; fragment?: string } }>('/app/work', async (req, reply) => {
      const ctx = ctxOf(req);
      const overdue = req.query.overdue === 'true';
      const a = await api<Items<TaskRow>>(req, 'GET', `/tasks?state=open&limit=100${overdue ? '&overdue=true' : ''}`);
      if (a.status !== 200) return failure(req, reply, a);
      const list = html`<section
        id="work"
        hx-get="${req.url.includes('fragment') ? req.url : `${req.url}${req.url.includes('?') ? '&' : '?'}fragment=1`}"
        hx-trigger="every 30s"
        hx-swap="outerHTML"
        aria-live="polite"
      >
        ${taskList(ctx, a.body.items)}
      </section>`;
      if (req.query.fragment) return send(reply, 200, list.value);
      const filters = html`<p class="row">
        <a href="/app/work" ${attrs({ 'aria-current': overdue ? undefined : 'true' })}>${t(ctx.lang, 'all')}</a>
        <a href="/app/work?overdue=true" ${attrs({ 'aria-current': overdue ? 'true' : undefined })}>${t(ctx.lang, 'onlyOverdue')}</a>
      </p>`;
      return send(reply, 200, page(ctx, t(ctx.lang, 'work'), [filters, list]));
    });

    // --- the lead card --------------------------------------------------------------------------------

    r.get<{ Params: { id: string }; Querystring: { done?: string } }>('/app/leads/:id', async (req, reply) => {
      const ctx = ctxOf(req);
      const done = t(ctx.lang, req.query.done === 'attached' ? 'attached' : req.query.done === 'intake' ? 'takenIn' : 'done');
      const card = await leadCard(req, req.params.id, req.query.done ? html`<div class="ok" role="status">${done}</div>` : undefined);
      if ('fail' in card) return failure(req, reply, card.fail);
      return send(reply, 200, card.page);
    });

    r.post<{ Params: { id: string; action: string }; Body: Form }>('/app/leads/:id/act/:action', async (req, reply) => {
      const action = actionBySlug(req.params.action);
      if (!action) return failure(req, reply, { status: 404, body: { title: `no action ${req.params.action}` } });
      const forms = formsOf(action.schema);
      const variant = Math.min(forms.length - 1, Math.max(0, Number(req.body._variant ?? 0) || 0));
      const body = bodyOf(forms[variant]!, req.body);
      const idem: Record<string, string> =
        req.body._idem && /^[\w-]{1,100}$/.test(req.body._idem) ? { 'idempotency-key': req.body._idem } : {};
      const a = await api<ProblemBody>(req, 'POST', `/leads/${encodeURIComponent(req.params.id)}/${action.path}`, body, idem);
      if (a.status === 200)
        return see(
          reply,
          localPath(req.body._back) !== '/app'
            ? localPath(req.body._back)
            : `/app/leads/${encodeURIComponent(req.params.id)}?done=${action.slug}`,
        );
      if (a.status === 404) return failure(req, reply, a);
      // Refused or invalid: the card again, the API's reason on top, the form as it was posted.
      const ctx = ctxOf(req);
      const card = await leadCard(req, req.params.id, problemBox(ctx.lang, a.body, a.status), {
        slug: action.slug,
        variant,
        values: req.body,
        errors: fieldErrors(forms[variant]!, a.body?.errors),
      });
      if ('fail' in card) return failure(req, reply, a);
      return send(reply, a.status, card.page);
    });

    // --- leads list (staff) ------------------------------------------------------------------------------

    r.get<{ Querystring: { stage?: string; stale?: string } }>('/app/leads', async (req, reply) => {
      const ctx = ctxOf(req);
      const q = new URLSearchParams({ limit: '100' });
      if (req.query.stage) q.set('stage', req.query.stage);
      if (req.query.stale) q.set('stale', req.query.stale);
      const a = await api<Items<LeadRow>>(req, 'GET', `/leads?${q}`);
      if (a.status !== 200) return failure(req, reply, a);
      return send(reply, 200, page(ctx, t(ctx.lang, 'leads'), leadTable(ctx, a.body.items)));
    });

    // --- team lead ------------------------------------------------------------------------------------------

    r.get('/app/team', async (req, reply) => {
      const ctx = ctxOf(req);
      const s = req.consoleSession!;
      const [tasks, managers, stale] = await Promise.all([
        api<Items<TaskRow>>(req, 'GET', '/tasks?state=open&limit=200'),
        api<Items<ManagerRow>>(req, 'GET', '/managers?active=true'),
        api<Items<LeadRow>>(req, 'GET', '/leads?stale=true&limit=200'),
      ]);
      for (const a of [tasks, managers, stale]) if (a.status !== 200) return failure(req, reply, a);
      const team = new Set<string>(managers.body.items.map((m) => m.id));
      const mine = s.role === 'team_lead';
      const staleLeads = stale.body.items.filter((l) => !mine || (l.managerId && team.has(l.managerId)));
      const escalated = tasks.body.items.filter((x) => x.assignee === `team_lead:${s.subject}`);
      const reassign = actionBySlug('reassign')!;
      const choices = managerChoices(managers.body.items);
      const staleList = staleLeads.length
        ? html`<ul class="cards">
            ${staleLeads.map(
              (l) =>
                html`<li class="card">
                  <a href="/app/leads/${l.id}">${l.id.slice(0, 8)}</a>
                  <span class="badge stale">${t(ctx.lang, 'stale')}</span> ${nameOf(ctx.lang, l.stage)}
                  <div class="meta">${t(ctx.lang, 'manager')}: ${l.managerId ?? '—'} · ${l.topic ?? ''} ${l.region ?? ''}</div>
                  ${formView(ctx, formsOf(reassign.schema)[0]!, { id: `reassign-${l.id}`, action: `/app/leads/${l.id}/act/reassign`, legend: t(ctx.lang, 'reassign'), choices: { managerId: choices }, back: '/app/team' })}
                </li>`,
            )}
          </ul>`
        : html`<p>${t(ctx.lang, 'none')}</p>`;
      return send(
        reply,
        200,
        page(
          ctx,
          t(ctx.lang, 'team'),
          html`<h2>${t(ctx.lang, 'escalated')}</h2>
            ${taskList(ctx, escalated)}
            <h2>${t(ctx.lang, 'staleLeads')}</h2>
            ${staleList}
            <h2>${t(ctx.lang, 'teamQueue')}</h2>
            ${taskList(ctx, tasks.body.items, true)}`,
        ),
      );
    });

    // --- ops ------------------------------------------------------------------------------------------------------

    /** The ops page; after a roster form the API refused, with its reason on top and that form as posted. */
    async function opsPage(req: FastifyRequest, reply: FastifyReply, status = 200, banner?: Html, retry?: RosterRetry) {
      const ctx = ctxOf(req);
      const [teams, managers, partners, open, acked] = await Promise.all([
        api<Items<{ id: string; name: string }>>(req, 'GET', '/teams'),
        api<Items<ManagerRow>>(req, 'GET', '/managers'),
        api<Items<PartnerRow>>(req, 'GET', '/partners?limit=500'),
        api<Items<AlarmRow>>(req, 'GET', '/alarms?state=open&limit=100'),
        api<Items<AlarmRow>>(req, 'GET', '/alarms?state=acknowledged&limit=100'),
      ]);
      for (const a of [teams, managers, partners, open, acked]) if (a.status !== 200) return failure(req, reply, a);
      const alarms = [...open.body.items, ...acked.body.items];
      const alarmList = alarms.length
        ? html`<ul class="cards">
            ${alarms.map(
              (al) =>
                html`<li class="card" id="alarm-${al.id}">
                  <strong>${al.kind}</strong> · ${al.subject} <span class="badge${al.state === 'open' ? ' overdue' : ''}">${al.state}</span>
                  <div class="meta">${dateTime(ctx.lang, al.openedAt)}${al.acknowledgedBy ? ` · ${al.acknowledgedBy}` : ''}</div>
                  <details>
                    <summary>evidence</summary>
                    <pre class="scroll">${JSON.stringify(al.evidence, null, 1)}</pre>
                  </details>
                  <form method="post" action="/app/alarms/${al.id}/${al.state === 'open' ? 'acknowledge' : 'resolve'}" class="inline">
                    ${csrfField(ctx)} <button type="submit">${t(ctx.lang, al.state === 'open' ? 'acknowledge' : 'resolve')}</button>
                  </form>
                </li>`,
            )}
          </ul>`
        : html`<p>${t(ctx.lang, 'none')}</p>`;
      const teamName = new Map(teams.body.items.map((x) => [x.id, x.name]));
      const roster = html`<div class="scroll">
        <table id="managers">
          <thead>
            <tr>
              <th>${t(ctx.lang, 'manager')}</th>
              <th>${t(ctx.lang, 'team')}</th>
              <th>${t(ctx.lang, 'status')}</th>
              <th>${t(ctx.lang, 'openLeads')}</th>
            </tr>
          </thead>
          <tbody>
            ${managers.body.items.map(
              (m) =>
                html`<tr>
                  <td>${m.name} <span class="muted">(${m.id})</span></td>
                  <td>${m.teamId ? (teamName.get(m.teamId) ?? m.teamId) : '—'}</td>
                  <td>${m.active ? (m.away ? t(ctx.lang, 'away') : t(ctx.lang, 'active')) : t(ctx.lang, 'inactive')}</td>
                  <td>${m.openLeads ?? ''}</td>
                </tr>`,
            )}
          </tbody>
        </table>
      </div>`;
      const partnerTable = partners.body.items.length
        ? html`<div class="scroll">
            <table id="partners">
              <thead>
                <tr>
                  <th>${nameOf(ctx.lang, 'partnerId')}</th>
                  <th>${t(ctx.lang, 'expertise')}</th>
                  <th>${t(ctx.lang, 'grade')}</th>
                  <th>${t(ctx.lang, 'status')}</th>
                </tr>
              </thead>
              <tbody>
                ${partners.body.items.map(
                  (p) =>
                    html`<tr>
                      <td>${p.name} <span class="muted">(${p.id})</span></td>
                      <td>${p.expertise.join(', ')}</td>
                      <td>${p.grade}</td>
                      <td>${nameOf(ctx.lang, p.status)}</td>
                    </tr>`,
                )}
              </tbody>
            </table>
          </div>`
        : html`<p>${t(ctx.lang, 'none')}</p>`;
      const unlinked = unlinkedSubjects(opts.apiKeys, managers.body.items, partners.body.items);
      // Which printed credentials still lack their roster entry, as the person would sign in with them.
      const waiting = opts.apiKeys.filter((k) =>
        k.role === 'partner'
          ? unlinked.partners.includes(k.subject)
          : (k.role === 'sales' || k.role === 'team_lead') && unlinked.managers.includes(k.subject),
      );
      const list = waiting.map((k) => `${k.role}:${k.subject}`).join(', ');
      const hint = waiting.length ? html`<p class="muted" id="unlinked">${t(ctx.lang, 'unlinked', { list })}</p>` : '';
      const choice = (x: { id: string; name: string }) => ({ value: x.id, label: `${x.name} (${x.id})` });
      const forms = html`${managerForm(ctx, {
        unlinked: unlinked.managers,
        teams: teams.body.items.map(choice),
        managers: managers.body.items.map(choice),
        retry: retry?.kind === 'manager' ? retry : undefined,
      })}${partnerForm(ctx, { unlinked: unlinked.partners, retry: retry?.kind === 'partner' ? retry : undefined })}`;
      return send(
        reply,
        status,
        page(
          ctx,
          t(ctx.lang, 'ops'),
          html`${banner ?? ''}
            <p class="row">
              <a href="/app/funnel">${t(ctx.lang, 'funnel')}</a> <a href="/app/leads">${t(ctx.lang, 'leads')}</a
              ><a href="${uiBase}/namespaces/${namespace}/workflows" rel="noopener" target="_blank">Temporal UI</a>
            </p>
            <h2>${t(ctx.lang, 'alarms')}</h2>
            ${alarmList}
            <h2>${t(ctx.lang, 'roster')}</h2>
            ${roster}
            <h2>${t(ctx.lang, 'partners')}</h2>
            ${partnerTable}
            <h2 id="add">${t(ctx.lang, 'addManager')} · ${t(ctx.lang, 'addPartner')}</h2>
            ${hint}${forms}`,
        ),
      );
    }

    r.get<{ Querystring: { added?: string } }>('/app/ops', async (req, reply) => {
      const added = req.query.added;
      const banner = added ? html`<div class="ok" role="status">${t(ctxOf(req).lang, 'added', { who: added })}</div>` : undefined;
      return opsPage(req, reply, 200, banner);
    });

    /** A creating form posted through its API route; the answer, and the form as posted for a retry. */
    async function create(req: FastifyRequest<{ Body: Form }>, kind: EntryKind) {
      const { spec, apiPath } = ENTRY_FORMS[kind];
      const idem: Record<string, string> =
        req.body._idem && /^[\w-]{1,100}$/.test(req.body._idem) ? { 'idempotency-key': req.body._idem } : {};
      type Created = ProblemBody & { id?: string; leadId?: string; status?: string };
      const a = await api<Created>(req, 'POST', apiPath, bodyOf(spec, req.body), idem);
      return { a, retry: { kind, values: req.body, errors: fieldErrors(spec, a.body?.errors) } };
    }

    for (const kind of ['manager', 'partner'] as const) {
      r.post<{ Body: Form }>(ENTRY_FORMS[kind].consolePath, async (req, reply) => {
        const { a, retry } = await create(req, kind);
        if (a.status === 201) return see(reply, `/app/ops?added=${encodeURIComponent(`${kind} ${a.body.id}`)}#add`);
        if (a.status === 403) return failure(req, reply, a);
        // Invalid or refused (a taken id): the page again, the API's reason on top, the form as it was posted.
        return opsPage(req, reply, a.status, problemBox(ctxOf(req).lang, a.body, a.status), retry);
      });
    }

    // --- a new lead (intake) ------------------------------------------------------------------------------

    const newLeadPage = (ctx: Ctx, banner?: Html, retry?: EntryRetry) =>
      page(
        ctx,
        t(ctx.lang, 'newLead'),
        html`${banner ?? ''}
          <p class="muted">${t(ctx.lang, 'newLeadHelp')}</p>
          ${newLeadForm(ctx, retry)}`,
      );
    r.get('/app/leads/new', async (req, reply) => send(reply, 200, newLeadPage(ctxOf(req))));
    r.post<{ Body: Form }>('/app/leads/new', async (req, reply) => {
      const ctx = ctxOf(req);
      const { a, retry } = await create(req, 'lead');
      // Created (201), or a repeat inquiry attached to the contact's lead (200): that lead's card.
      if ((a.status === 201 || a.status === 200) && a.body.leadId) {
        return see(reply, `/app/leads/${encodeURIComponent(a.body.leadId)}?done=${a.body.status === 'attached' ? 'attached' : 'intake'}`);
      }
      if (a.status === 202 && a.body.leadId) {
        const link = html`<a href="/app/leads/${a.body.leadId}">${t(ctx.lang, 'lead')} ${a.body.leadId.slice(0, 8)}</a>`;
        return send(reply, 202, newLeadPage(ctx, html`<div class="ok" role="status">${t(ctx.lang, 'registered')} ${link}</div>`));
      }
      if (a.status === 403) return failure(req, reply, a);
      return send(reply, a.status, newLeadPage(ctx, problemBox(ctx.lang, a.body, a.status), retry));
    });

    r.post<{ Params: { id: string; move: string } }>('/app/alarms/:id/:move', async (req, reply) => {
      if (req.params.move !== 'acknowledge' && req.params.move !== 'resolve') return failure(req, reply, { status: 404, body: {} });
      const a = await api(req, 'POST', `/alarms/${encodeURIComponent(req.params.id)}/${req.params.move}`);
      if (a.status === 200) return see(reply, '/app/ops');
      return failure(req, reply, a);
    });

    r.get<{ Querystring: { period?: string } }>('/app/funnel', async (req, reply) => {
      const ctx = ctxOf(req);
      const period = req.query.period === 'week' ? 'week' : 'month';
      const now = new Date();
      const from =
        period === 'week'
          ? new Date(now.getTime() - 12 * 7 * 86_400_000)
          : new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 11, 1));
      const to = new Date(now.getTime() + 86_400_000);
      const a = await api<FunnelReport>(
        req,
        'GET',
        `/reports/funnel?groupBy=period&period=${period}&from=${from.toISOString().slice(0, 10)}&to=${to.toISOString().slice(0, 10)}`,
      );
      if (a.status !== 200) return failure(req, reply, a);
      const rep = a.body;
      const bars: ShareBar[] = rep.groups.map((g) => ({ key: g.key ?? '—', share: g.targetShare, reached: g.reached }));
      const tot = rep.total;
      const steps = [
        { label: nameOf(ctx.lang, 'leads'), count: tot.leads, fromPrevious: null },
        { label: nameOf(ctx.lang, 'reached'), count: tot.reached, fromPrevious: tot.conversion.reached.fromPrevious },
        { label: nameOf(ctx.lang, 'target'), count: tot.target, fromPrevious: tot.conversion.target.fromPrevious },
        { label: nameOf(ctx.lang, 'deals'), count: tot.deals, fromPrevious: tot.conversion.deals.fromPrevious },
        { label: nameOf(ctx.lang, 'contracts'), count: tot.contracts, fromPrevious: tot.conversion.contracts.fromPrevious },
      ];
      const pct = (x: number | null) => (x === null ? '—' : `${Math.round(x * 100)} %`);
      return send(
        reply,
        200,
        page(
          ctx,
          t(ctx.lang, 'funnel'),
          html`<p class="row">
              <a href="/app/funnel?period=week" ${attrs({ 'aria-current': period === 'week' ? 'true' : undefined })}
                >${t(ctx.lang, 'byWeek')}</a
              >
              <a href="/app/funnel?period=month" ${attrs({ 'aria-current': period === 'month' ? 'true' : undefined })}
                >${t(ctx.lang, 'byMonth')}</a
              >
            </p>
            <h2>${t(ctx.lang, 'targetShare')}</h2>
            <div class="chart">
              ${targetShareChart(bars, rep.targetShareAlarm, { title: t(ctx.lang, 'targetShare'), line: `${t(ctx.lang, 'line60')}` })}
            </div>
            <h2>${t(ctx.lang, 'conversion')}</h2>
            <div class="chart">${conversionChart(steps, t(ctx.lang, 'conversion'))}</div>
            <div class="scroll">
              <table>
                <thead>
                  <tr>
                    <th>${t(ctx.lang, 'step')}</th>
                    <th>${t(ctx.lang, 'count')}</th>
                    <th>${t(ctx.lang, 'fromPrevious')}</th>
                  </tr>
                </thead>
                <tbody>
                  ${steps.map(
                    (st) =>
                      html`<tr>
                        <td>${st.label}</td>
                        <td>${st.count}</td>
                        <td>${pct(st.fromPrevious)}</td>
                      </tr>`,
                  )}
                </tbody>
              </table>
            </div>`,
        ),
      );
    });

    // --- partner ------------------------------------------------------------------------------------------------

    r.get('/app/partner', async (req, reply) => {
      const ctx = ctxOf(req);
      const s = req.consoleSession!;
      const [offers, leads] = await Promise.all([
        api<Items<TaskRow>>(req, 'GET', '/tasks?kind=offer&state=open&limit=100'),
        api<Items<LeadRow>>(req, 'GET', '/leads?limit=200'),
      ]);
      for (const a of [offers, leads]) if (a.status !== 200) return failure(req, reply, a);
      const byId = new Map(leads.body.items.map((l) => [l.id, l]));
      const now = Date.now();
      const offerList = offers.body.items.length
        ? html`<ul class="cards">
            ${offers.body.items.map((o) => {
              const l = byId.get(o.leadId);
              const answer = (accepted: boolean) =>
                html`<form method="post" action="/app/leads/${o.leadId}/act/partner-response" class="inline">
                  ${csrfField(ctx)} <input type="hidden" name="partnerId" value="${s.subject}" /><input
                    type="hidden"
                    name="accepted"
                    value="${String(accepted)}"
                  />
                  <button type="submit" ${attrs({ class: accepted ? undefined : 'secondary' })}>
                    ${t(ctx.lang, accepted ? 'accept' : 'decline')}
                  </button>
                </form>`;
              return html`<li class="card">
                <a href="/app/leads/${o.leadId}">${o.title}</a>
                <div class="meta">
                  ${l?.topic ?? ''} ${l?.region ?? ''} · ${o.dueAt ? t(ctx.lang, 'answerBy', { t: dateTime(ctx.lang, o.dueAt) }) : ''}
                  ${clock(ctx.lang, o.dueAt, now)}
                </div>
                <div class="row">${answer(true)}${answer(false)}</div>
              </li>`;
            })}
          </ul>`
        : html`<p>${t(ctx.lang, 'none')}</p>`;
      const deals = leads.body.items.filter((l) => l.partnerId === s.subject && l.stage === 'deal');
      return send(
        reply,
        200,
        page(
          ctx,
          t(ctx.lang, 'partner'),
          html`<h2>${t(ctx.lang, 'offers')}</h2>
            ${offerList}
            <h2>${t(ctx.lang, 'deals')}</h2>
            ${deals.length ? leadTable(ctx, deals) : html`<p>${t(ctx.lang, 'none')}</p>`}`,
        ),
      );
    });

    r.get('/app/partner/money', async (req, reply) => {
      const ctx = ctxOf(req);
      const id = encodeURIComponent(req.consoleSession!.subject);
      const [st, pay] = await Promise.all([
        api<Statement>(req, 'GET', `/partners/${id}/statement`),
        api<Items<PayoutRow>>(req, 'GET', `/partners/${id}/payouts`),
      ]);
      for (const a of [st, pay]) if (a.status !== 200) return failure(req, reply, a);
      const b = st.body.balances;
      const money = (n: number) => (n / 100).toLocaleString(ctx.lang === 'ru' ? 'ru-RU' : 'en-GB', { minimumFractionDigits: 2 });
      return send(
        reply,
        200,
        page(
          ctx,
          t(ctx.lang, 'statement'),
          html`<h2>${t(ctx.lang, 'balances')} (${st.body.currency})</h2>
            <dl class="facts">
              ${Object.entries(b).map(
                ([k, v]) =>
                  html`<dt>${k}</dt>
                    <dd>${money(v)}</dd>`,
              )}
            </dl>
            <h2>${t(ctx.lang, 'entries')}</h2>
            <div class="scroll">
              <table>
                <thead>
                  <tr>
                    <th>${t(ctx.lang, 'when')}</th>
                    <th>${t(ctx.lang, 'kind')}</th>
                    <th>${t(ctx.lang, 'amount')}</th>
                    <th>${t(ctx.lang, 'lead')}</th>
                    <th>${t(ctx.lang, 'status')}</th>
                  </tr>
                </thead>
                <tbody>
                  ${st.body.entries.map(
                    (e) =>
                      html`<tr>
                        <td>${dateTime(ctx.lang, e.createdAt)}</td>
                        <td>${e.kind}</td>
                        <td>${money(Number(e.amountMinor))}</td>
                        <td>${e.leadId ? html`<a href="/app/leads/${e.leadId}">${String(e.leadId).slice(0, 8)}</a>` : ''}</td>
                        <td>${e.status}</td>
                      </tr>`,
                  )}
                </tbody>
              </table>
            </div>
            <h2>${t(ctx.lang, 'payouts')}</h2>
            ${
              pay.body.items.length
                ? html`<div class="scroll">
                    <table>
                      <thead>
                        <tr>
                          <th>${t(ctx.lang, 'period')}</th>
                          <th>${t(ctx.lang, 'amount')}</th>
                          <th>${t(ctx.lang, 'status')}</th>
                        </tr>
                      </thead>
                      <tbody>
                        ${pay.body.items.map(
                          (p) =>
                            html`<tr>
                              <td>${p.period}</td>
                              <td>${money(p.amountMinor)} ${p.currency}</td>
                              <td>${p.status}</td>
                            </tr>`,
                        )}
                      </tbody>
                    </table>
                  </div>`
                : html`<p>${t(ctx.lang, 'none')}</p>`
            }`,
        ),
      );
    });

    const uploadPage = (ctx: Ctx, message?: Html, csv = '') =>
      page(
        ctx,
        t(ctx.lang, 'upload'),
        html`${message ?? ''}
          <p>${t(ctx.lang, 'uploadHelp')}</p>
          <form class="action" method="post" action="/app/partner/upload">
            ${csrfField(ctx)} <label for="csv-file">${t(ctx.lang, 'csvFile')}</label
            ><input id="csv-file" type="file" accept=".csv,text/csv" data-into="csv" /> <label for="csv">${t(ctx.lang, 'csvText')}</label
            ><textarea id="csv" name="csv" required rows="8">${csv}</textarea> <button type="submit">${t(ctx.lang, 'uploadButton')}</button>
          </form>`,
      );
    r.get('/app/partner/upload', async (req, reply) => send(reply, 200, uploadPage(ctxOf(req))));
    r.post<{ Body: Form }>('/app/partner/upload', async (req, reply) => {
      const ctx = ctxOf(req);
      const csv = String(req.body.csv ?? '');
      const a = await api<{ received: number } & ProblemBody>(
        req,
        'POST',
        `/partners/${encodeURIComponent(req.consoleSession!.subject)}/sent-leads`,
        csv,
      );
      if (a.status === 200)
        return send(
          reply,
          200,
          uploadPage(ctx, html`<div class="ok" role="status">${t(ctx.lang, 'uploaded', { n: a.body.received })}</div>`),
        );
      return send(reply, a.status, uploadPage(ctx, problemBox(ctx.lang, a.body, a.status), csv));
    });
  }

  // --- pieces ------------------------------------------------------------------------------------------------------

  /** The SLA clock: working time left until the due date, or past it, in the lead policy's calendar. */
  function clock(lang: Lang, dueAt: string | null, now: number): Html {
    if (!dueAt) return html`<span class="clock">${t(lang, 'noDue')}</span>`;
    const left = businessTimeBetween(calOf(), now, Date.parse(dueAt));
    const late = Date.parse(dueAt) < now;
    return html`<span class="clock${late ? ' overdue' : ''}"
      >${late ? t(lang, 'overdueBy', { t: duration(lang, -left) }) : t(lang, 'dueIn', { t: duration(lang, left) })}</span
    >`;
  }

  function taskList(ctx: Ctx, items: TaskRow[], showAssignee = false): Html {
    if (!items.length) return html`<p>${t(ctx.lang, 'noTasks')}</p>`;
    const now = Date.now();
    return html`<ul class="cards tasks">
      ${items.map(
        (x) =>
          html`<li class="card task" data-lead="${x.leadId}">
            <a href="/app/leads/${x.leadId}"><strong>${x.title}</strong></a>
            ${x.overdue ? html`<span class="badge overdue">${t(ctx.lang, 'overdue')}</span>` : ''}
            <div class="meta">
              ${clock(ctx.lang, x.dueAt, now)}${x.dueAt ? ` · ${dateTime(ctx.lang, x.dueAt)}` : ''} · ${nameOf(ctx.lang, x.kind)} ·
              ${t(ctx.lang, 'lead')} ${x.leadId.slice(0, 8)}${showAssignee ? ` · ${x.assignee}` : ''}
            </div>
          </li>`,
      )}
    </ul>`;
  }

  function leadTable(ctx: Ctx, items: LeadRow[]): Html {
    if (!items.length) return html`<p>${t(ctx.lang, 'none')}</p>`;
    const staff = ctx.who?.role !== 'partner';
    return html`<ul class="cards">
      ${items.map(
        (l) =>
          html`<li class="card">
            <a href="/app/leads/${l.id}"><strong>${l.id.slice(0, 8)}</strong></a>
            ${nameOf(ctx.lang, l.stage)} ${l.stale ? html`<span class="badge stale">${t(ctx.lang, 'stale')}</span>` : ''}
            <div class="meta">
              ${l.sourceChannel} · ${l.topic ?? ''} ${l.region ?? ''} · ${t(ctx.lang, 'manager')}: ${l.managerId ?? '—'} ·
              ${dateTime(ctx.lang, l.createdAt)}
              ${staff ? html` · <a href="${temporalLink(l.id)}" rel="noopener" target="_blank">${t(ctx.lang, 'temporal')}</a>` : ''}
            </div>
          </li>`,
      )}
    </ul>`;
  }

  interface Retry {
    slug: string;
    variant: number;
    values: Form;
    errors: Record<string, string>;
  }

  /** The lead card: state, contact, next task, timeline and the actions the stage allows. */
  async function leadCard(req: FastifyRequest, id: string, banner?: Html, retry?: Retry): Promise<{ page: string } | { fail: Answer }> {
    const ctx = ctxOf(req);
    const s = req.consoleSession!;
    const enc = encodeURIComponent(id);
    const [state, firstHistory, contact, tasks] = await Promise.all([
      api<LeadBody>(req, 'GET', `/leads/${enc}`),
      api<Items<HistoryRow>>(req, 'GET', `/leads/${enc}/history`),
      api<Record<string, string | null>>(req, 'GET', `/leads/${enc}/contact`),
      api<Items<TaskRow>>(req, 'GET', `/tasks?leadId=${enc}&state=open&limit=5`),
    ]);
    if (state.status !== 200) return { fail: state };
    const v = state.body;
    let history = firstHistory;
    // The timeline is PostgreSQL's copy, written by the workflow's activity just after a change:
    // right after an action it may lag the state by a moment. Read your own write: wait a little.
    for (let i = 0; i < 15 && history.status === 200 && lastSeq(history.body) < Number(v.seq); i++) {
      await new Promise((r) => setTimeout(r, 100));
      history = await api<Items<HistoryRow>>(req, 'GET', `/leads/${enc}/history`);
    }
    const lead = stateOf(v);
    const staff = s.role !== 'partner';
    const managers =
      s.role === 'team_lead' || s.role === 'ops' || s.role === 'admin'
        ? await api<Items<ManagerRow>>(req, 'GET', '/managers?active=true')
        : undefined;
    const facts = html`<dl class="facts">
      <dt>${t(ctx.lang, 'stage')}</dt>
      <dd>
        <strong id="stage">${nameOf(ctx.lang, v.stage)}</strong>${
          v.stale ? html` <span class="badge stale">${t(ctx.lang, 'stale')}</span>` : ''
        }
      </dd>
      ${
        v.dealStage
          ? html`<dt>${t(ctx.lang, 'deal')}</dt>
              <dd>${nameOf(ctx.lang, v.dealStage)}</dd>`
          : ''
      }
      <dt>${t(ctx.lang, 'manager')}</dt>
      <dd>${v.managerId ?? '—'}</dd>
      <dt>${t(ctx.lang, 'source')}</dt>
      <dd>${v.sourceChannel}</dd>
      ${
        v.topic
          ? html`<dt>${t(ctx.lang, 'topic')}</dt>
              <dd>${v.topic}</dd>`
          : ''
      }${
        v.region
          ? html`<dt>${t(ctx.lang, 'region')}</dt>
              <dd>${v.region}</dd>`
          : ''
      }
      ${
        staff
          ? html`<dt>Temporal</dt>
              <dd><a href="${temporalLink(id)}" rel="noopener" target="_blank">${t(ctx.lang, 'temporal')}</a></dd>`
          : ''
      }
    </dl>`;
    const c = contact.body;
    const contactBox =
      contact.status === 200
        ? html`<dl class="facts" id="contact">
            ${(['personName', 'companyName', 'phone', 'email'] as const)
              .filter((k) => c[k])
              .map(
                (k) =>
                  html`<dt>${nameOf(ctx.lang, k)}</dt>
                    <dd>
                      ${
                        k === 'phone'
                          ? html`<a href="tel:${c[k]}">${c[k]}</a>`
                          : k === 'email'
                            ? html`<a href="mailto:${c[k]}">${c[k]}</a>`
                            : c[k]
                      }
                    </dd>`,
              )}
          </dl>`
        : html`<p class="muted" id="contact">${t(ctx.lang, 'contactHidden')}</p>`;
    const next = tasks.status === 200 ? tasks.body.items[0] : undefined;
    const nextBox = next
      ? html`<p id="next-task">
          <strong>${next.title}</strong
          ><br />${clock(ctx.lang, next.dueAt, Date.now())}${next.dueAt ? ` · ${dateTime(ctx.lang, next.dueAt)}` : ''}
        </p>`
      : html`<p id="next-task" class="muted">${t(ctx.lang, 'noNextTask')}</p>`;
    const items = history.status === 200 ? history.body.items : [];
    const timeline = html`<ol class="cards" id="timeline" reversed>
      ${[...items].reverse().map(
        (e) =>
          html`<li class="card">
            <strong>${nameOf(ctx.lang, e.type)}</strong> → ${nameOf(ctx.lang, e.stage)}
            <div class="meta">${dateTime(ctx.lang, e.at)} · ${e.actor}${e.reason ? html` · ${e.reason}` : ''}</div>
          </li>`,
      )}
    </ol>`;
    const actions = availableActions(lead, s);
    const choices = managers?.status === 200 ? { managerId: managerChoices(managers.body.items) } : undefined;
    const forms = actions.flatMap((a) => actionForms(ctx, id, a, lead, s, retry, choices));
    const title = `${t(ctx.lang, 'lead')} ${id.slice(0, 8)}`;
    return {
      page: page(
        ctx,
        title,
        html`${banner ?? ''}${facts}
          <h2>${t(ctx.lang, 'nextTask')}</h2>
          ${nextBox}
          <h2>${t(ctx.lang, 'contact')}</h2>
          ${contactBox}
          <h2 id="actions">${t(ctx.lang, 'actions')}</h2>
          ${forms.length ? forms : html`<p>${t(ctx.lang, 'noActions')}</p>`}
          <h2>${t(ctx.lang, 'timeline')}</h2>
          ${timeline}`,
      ),
    };
  }

  function actionForms(
    ctx: Ctx,
    leadId: string,
    a: LeadAction,
    lead: ReturnType<typeof stateOf>,
    who: Session,
    retry: Retry | undefined,
    choices: Record<string, Array<{ value: string; label: string }>> | undefined,
  ): Html[] {
    const specs = formsOf(a.schema);
    const path = `/app/leads/${leadId}/act/${a.slug}`;
    const legend = nameOf(ctx.lang, `action.${a.slug}`);
    if (a.path === 'partner-response') {
      // One form per pending offer: a partner answers its own; staff record a partner's answer.
      const offers = lead.offers.filter((o) => o.status === 'pending' && (who.role !== 'partner' || o.partnerId === who.subject));
      return offers.map((o) =>
        formView(
          ctx,
          { fields: specs[0]!.fields.map((f) => (f.name === 'partnerId' ? { name: f.name, kind: 'fixed', value: o.partnerId } : f)) },
          {
            id: `f-${a.slug}-${o.partnerId}`,
            action: path,
            legend: `${legend}: ${o.partnerId}`,
            ...(retry?.slug === a.slug && retry.values.partnerId === o.partnerId ? { values: retry.values, errors: retry.errors } : {}),
          },
        ),
      );
    }
    return specs.map((spec, i) =>
      formView(ctx, spec, {
        id: `f-${a.slug}-${i}`,
        action: path,
        variant: specs.length > 1 ? i : undefined,
        choices,
        legend: spec.variant ? `${legend}: ${nameOf(ctx.lang, `variant.${spec.variant.key}.${String(spec.variant.value)}`)}` : legend,
        ...(retry?.slug === a.slug && retry.variant === i ? { values: retry.values, errors: retry.errors } : {}),
      }),
    );
  }
};

// --- shapes the console reads from the API (the API's schemas are the contract) ---------------------------

interface TaskRow {
  key: string;
  leadId: string;
  assignee: string;
  kind: string;
  title: string;
  dueAt: string | null;
  overdue: boolean;
}
interface LeadRow {
  id: string;
  stage: string;
  sourceChannel: string;
  managerId: string | null;
  partnerId: string | null;
  topic: string | null;
  region: string | null;
  stale: boolean;
  createdAt: string;
}
interface AlarmRow {
  id: string;
  kind: string;
  subject: string;
  state: string;
  evidence: unknown;
  openedAt: string;
  acknowledgedBy: string | null;
}
interface ManagerRow {
  id: string;
  name: string;
  teamId: string | null;
  active: boolean;
  away?: boolean;
  openLeads?: number;
  apiSubject?: string | null;
}
type RosterRetry = EntryRetry & { kind: EntryKind };
interface PartnerRow {
  id: string;
  name: string;
  expertise: string[];
  grade: number;
  status: string;
}
interface FunnelStepRow {
  key?: string | null;
  leads: number;
  reached: number;
  target: number;
  deals: number;
  contracts: number;
  targetShare: number | null;
  conversion: Record<'reached' | 'target' | 'deals' | 'contracts', { fromPrevious: number | null }>;
}
interface HistoryRow {
  seq: number;
  at: string;
  type: string;
  actor: string;
  reason: string | null;
  stage: string;
}
/** The lead's state (LeadView): the fields the card shows; the rest goes to the lifecycle as it is. */
interface LeadBody {
  stage: string;
  seq: number;
  stale?: boolean;
  dealStage?: string;
  managerId?: string;
  sourceChannel: string;
  topic?: string;
  region?: string;
  [field: string]: unknown;
}
interface Statement {
  currency: string;
  balances: Record<string, number>;
  entries: Array<{ createdAt: string; kind: string; amountMinor: number; leadId: string | null; status: string }>;
}
interface PayoutRow {
  period: string;
  amountMinor: number;
  currency: string;
  status: string;
}
interface FunnelReport {
  targetShareAlarm: number;
  total: FunnelStepRow;
  groups: FunnelStepRow[];
}

const lastSeq = (h: Items<HistoryRow>) => h.items.at(-1)?.seq ?? 0;

const managerChoices = (items: ManagerRow[]) => items.map((m) => ({ value: m.id, label: `${m.name} (${m.id})` }));

/** The API's problem as a banner: the workflow's reason for a refusal, each bad field for a 400. */
function problemBox(lang: Lang, p: ProblemBody | null, status: number): Html {
  const head = status === 409 ? t(lang, 'refused') : status === 400 || status === 422 ? t(lang, 'invalid') : (p?.title ?? String(status));
  const why = p?.reason ?? p?.detail ?? (status === 409 ? p?.title : undefined);
  return html`<div class="alert" role="alert">
    <strong>${head}</strong>${why ? html`: <span class="reason">${why}</span>` : ''}${
      p?.errors?.length
        ? html`<ul>
            ${p.errors.map((e) => html`<li>${e.path.replace(/^body\.?/, '') || 'body'}: ${e.message}</li>`)}
          </ul>`
        : ''
    }
  </div>`;
}
