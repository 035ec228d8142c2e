// Which actions a lead card offers: those the lifecycle (domain/lifecycle.ts `refusal`) accepts
// in the lead's current state, for this person's role, each as the API's own input schema. The
// API and the workflow's validator still decide; this only keeps buttons off that cannot work.
import type { z } from 'zod';
import { ACTION_NAMES, LEAD_ACTIONS, type LeadActionRow } from '../../domain/actions';
import { type Action, type LeadState, refusal } from '../../domain/lifecycle';
import type { Role } from '../auth';

export interface LeadAction {
  /** The API path under /leads/:id/ (and, with / as -, the console's). */
  path: string;
  slug: string;
  schema: z.ZodType;
  /** A representative input: the lifecycle is asked whether the stage allows the action at all. */
  probe: (s: LeadState) => Action | undefined;
  roles: Role[];
}

/** One form per row of the action table (domain/actions.ts), for the roles the API lets take it (admin always). */
export const LEAD_ACTIONS_OFFERED: LeadAction[] = ACTION_NAMES.map((type) => {
  const row: LeadActionRow = LEAD_ACTIONS[type];
  return {
    path: row.path,
    slug: row.path.replace('/', '-'),
    schema: row.input,
    roles: [...row.roles, ...(row.partner ? (['partner'] as const) : []), 'admin'],
    probe: (s) => {
      const input = row.example(s);
      // The example is the row's own (checked against its schema where the table is written).
      return input === undefined ? undefined : ({ type, input } as Action);
    },
  };
});

export const actionBySlug = (slug: string) => LEAD_ACTIONS_OFFERED.find((a) => a.slug === slug);

/** The API's state view (LeadView) as the lifecycle's state, for `refusal`. */
export const stateOf = (view: Record<string, unknown>): LeadState =>
  ({ ...view, slaFrom: Date.parse(String(view.slaFrom)), history: [] }) as unknown as LeadState;

/** The actions this person may take on the lead now. */
export function availableActions(s: LeadState, who: { role: Role; subject: string }): LeadAction[] {
  const actor = `${who.role}:${who.subject}`;
  const ownsDeal = s.dealOwner?.kind === 'partner' && s.dealOwner.partnerId === who.subject;
  return LEAD_ACTIONS_OFFERED.filter((a) => {
    if (!a.roles.includes(who.role)) return false;
    if (who.role === 'partner') {
      if (a.path === 'partner-response') {
        const mine = s.offers.find((o) => o.partnerId === who.subject);
        return !!mine && !refusal(s, { type: 'partnerRespond', input: { partnerId: who.subject, accepted: false } }, actor);
      }
      if (!ownsDeal) return false;
    }
    const probe = a.probe(s);
    return !!probe && !refusal(s, probe, actor);
  });
}
