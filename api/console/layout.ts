// The page shell: navigation for the person's role, the language switch, sign-out, and a skip
// link for the keyboard. Every page is complete HTML that works without JavaScript.
import type { Role } from '../auth';
import { attrs, html, type Html } from './html';
import { type Lang, LANGS, t } from './i18n';

export interface Ctx {
  lang: Lang;
  /** The path asked for (marks the current navigation entry, and where the language switch returns). */
  path: string;
  who?: { role: Role; subject: string; csrf: string };
}

type NavKey = 'work' | 'team' | 'ops' | 'leads' | 'newLead' | 'funnel' | 'partner' | 'money' | 'upload';
const NAV: Record<NavKey, string> = {
  work: '/app/work',
  team: '/app/team',
  ops: '/app/ops',
  leads: '/app/leads',
  newLead: '/app/leads/new',
  funnel: '/app/funnel',
  partner: '/app/partner',
  money: '/app/partner/money',
  upload: '/app/partner/upload',
};
const MENU: Record<Role, NavKey[]> = {
  sales: ['work', 'leads', 'newLead'],
  team_lead: ['work', 'team', 'leads', 'newLead', 'funnel'],
  ops: ['ops', 'leads', 'newLead', 'funnel', 'work'],
  admin: ['ops', 'team', 'leads', 'newLead', 'funnel', 'work'],
  partner: ['partner', 'money', 'upload'],
};

/** Where each role starts. */
export const HOME: Record<Role, string> = {
  sales: '/app/work',
  team_lead: '/app/team',
  ops: '/app/ops',
  admin: '/app/ops',
  partner: '/app/partner',
};

export const csrfField = (ctx: Ctx): Html => html`<input type="hidden" name="_csrf" value="${ctx.who?.csrf ?? ''}" />`;

export function page(ctx: Ctx, title: string, main: Html | Html[]): string {
  const here = ctx.path.split('?')[0];
  const nav = ctx.who
    ? html`<nav aria-label="main">
          ${MENU[ctx.who.role].map((k) => html`<a href="${NAV[k]}" ${attrs({ 'aria-current': here === NAV[k] ? 'page' : undefined })}>${t(ctx.lang, k)}</a>`)}
        </nav>
        <span class="who">${t(ctx.lang, 'signedInAs')} ${ctx.who.role}:${ctx.who.subject}</span>
        <form method="post" action="/app/sign-out">${csrfField(ctx)}<button type="submit">${t(ctx.lang, 'signOut')}</button></form>`
    : html`<nav aria-label="main"></nav>`;
  const langs = html`<span class="row" aria-label="${t(ctx.lang, 'language')}"
    >${LANGS.filter((l) => l !== ctx.lang).map(
      (l) =>
        html`<a href="/app/lang/${l}?back=${encodeURIComponent(ctx.path)}" lang="${l}" hreflang="${l}"
          >${l === 'ru' ? 'Русский' : 'English'}</a
        >`,
    )}</span
  >`;
  return `<!doctype html>${html`<html lang="${ctx.lang}">
    <head>
      <meta charset="utf-8" />
      <meta name="viewport" content="width=device-width, initial-scale=1" />
      <title>${title} · ${t(ctx.lang, 'title')}</title>
      <link rel="stylesheet" href="/app/assets/console.css" />
      <script src="/app/assets/htmx.min.js" defer></script>
      <script src="/app/assets/console.js" defer></script>
    </head>
    <body>
      <a class="skip" href="#main">${t(ctx.lang, 'skip')}</a>
      <header>
        <strong><a href="/app" style="text-decoration:none">${t(ctx.lang, 'title')}</a></strong
        >${nav}${langs}
      </header>
      <main id="main" tabindex="-1">
        <h1>${title}</h1>
        ${main}
      </main>
    </body>
  </html>`}`;
}
