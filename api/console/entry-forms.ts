// The console's forms that create things rather than act on a lead: a manager and a partner on
// the roster (ops), and a new lead (intake, staff). Each is generated from the schema its API
// route validates with (POST /managers, POST /partners, POST /leads), so the console asks for
// exactly what the API takes and posts it through the API like every other form.
import type { ApiKey } from '../auth';
import { LeadIntake } from '../../domain/intake';
import { PartnerInput } from '../plugins/partners';
import { ManagerInput } from '../roster-schemas';
import { formView } from './form-view';
import { type FormSpec, formsOf } from './forms';
import type { Html } from './html';
import { t } from './i18n';
import type { Ctx } from './layout';

export type EntryKind = 'manager' | 'partner' | 'lead';

export const ENTRY_FORMS: Record<EntryKind, { spec: FormSpec; apiPath: string; consolePath: string }> = {
  manager: { spec: formsOf(ManagerInput)[0]!, apiPath: '/managers', consolePath: '/app/roster/managers' },
  partner: { spec: formsOf(PartnerInput)[0]!, apiPath: '/partners', consolePath: '/app/roster/partners' },
  lead: { spec: formsOf(LeadIntake)[0]!, apiPath: '/leads', consolePath: '/app/leads/new' },
};

/** A form posted back after the API said no: what was typed, and the API's reason per field. */
export interface Retry {
  values: Record<string, string>;
  errors: Record<string, string>;
}

/**
 * The credentials' subjects that no roster entry answers to yet: a sales or team-lead key whose
 * subject is no manager's id or API subject, a partner key whose subject is no partner. `npm start`
 * prints such keys (demo-sales, demo-partner); offering their subjects spares a newcomer a guess.
 */
export function unlinkedSubjects(
  keys: ApiKey[],
  managers: Array<{ id: string; apiSubject?: string | null }>,
  partners: Array<{ id: string }>,
) {
  const onRoster = new Set(managers.flatMap((m) => [m.id, m.apiSubject ?? '']));
  const registered = new Set(partners.map((p) => p.id));
  const uniq = (xs: string[]) => [...new Set(xs)];
  return {
    managers: uniq(keys.filter((k) => (k.role === 'sales' || k.role === 'team_lead') && !onRoster.has(k.subject)).map((k) => k.subject)),
    partners: uniq(keys.filter((k) => k.role === 'partner' && !registered.has(k.subject)).map((k) => k.subject)),
  };
}

type Choice = { value: string; label: string };

export function managerForm(ctx: Ctx, o: { unlinked: string[]; teams: Choice[]; managers: Choice[]; retry?: Retry }): Html {
  const { spec, consolePath } = ENTRY_FORMS.manager;
  return formView(ctx, spec, {
    id: 'add-manager',
    action: consolePath,
    legend: t(ctx.lang, 'addManager'),
    submit: t(ctx.lang, 'addManager'),
    values: o.retry?.values ?? (o.unlinked[0] ? { id: o.unlinked[0] } : undefined),
    errors: o.retry?.errors,
    suggestions: { id: o.unlinked, apiSubject: o.unlinked },
    choices: { teamId: o.teams, teamLeadId: o.managers },
    hints: { id: t(ctx.lang, 'managerIdHint') },
  });
}

export function partnerForm(ctx: Ctx, o: { unlinked: string[]; retry?: Retry }): Html {
  const { spec, consolePath } = ENTRY_FORMS.partner;
  return formView(ctx, spec, {
    id: 'add-partner',
    action: consolePath,
    legend: t(ctx.lang, 'addPartner'),
    submit: t(ctx.lang, 'addPartner'),
    values: o.retry?.values ?? (o.unlinked[0] ? { id: o.unlinked[0] } : undefined),
    errors: o.retry?.errors,
    suggestions: { id: o.unlinked },
    hints: { id: t(ctx.lang, 'partnerIdHint'), expertise: t(ctx.lang, 'partnerExpertiseHint') },
  });
}

/** The intake form; a lead typed in by staff most often came by phone, so that channel is chosen. */
export function newLeadForm(ctx: Ctx, retry?: Retry): Html {
  const { spec, consolePath } = ENTRY_FORMS.lead;
  return formView(ctx, spec, {
    id: 'new-lead',
    action: consolePath,
    legend: t(ctx.lang, 'newLead'),
    submit: t(ctx.lang, 'takeIn'),
    values: retry?.values ?? { 'source.channel': 'phone' },
    errors: retry?.errors,
    hints: { topic: t(ctx.lang, 'topicHint') },
  });
}
