// Which actions a lead card offers: those the lifecycle (domain/lifecycle.ts `refusal`) accepts
// in the lead's current state, for this person's role, each as the API's own input schema. The
// API and the workflow's validator still decide; this only keeps buttons off that cannot work.
import type { z } from 'zod';
import * as A from '../../domain/actions';
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

const STAFF: Role[] = ['sales', 'team_lead', 'ops', 'admin'];
const DEAL_ORDER = A.DealStage.options;

type Def = Omit<LeadAction, 'slug'>;

const DEFS: Def[] = [
  { path: 'verify', schema: A.VerifyInterest, roles: STAFF, probe: () => ({ type: 'verifyInterest', input: { personFound: true } }) },
  { path: 'contact', schema: A.RecordContact, roles: STAFF, probe: () => ({ type: 'recordContact', input: { outcome: 'reached' } }) },
  { path: 'qualify', schema: A.Qualify, roles: STAFF, probe: () => ({ type: 'qualify', input: { target: false, reason: '-' } }) },
  {
    path: 'consent', schema: A.RecordConsent, roles: STAFF,
    probe: () => ({ type: 'recordConsent', input: { given: true, askedBy: '-', channel: 'phone', wording: '-' } }),
  },
  { path: 'consent/withdraw', schema: A.WithdrawConsent, roles: STAFF, probe: () => ({ type: 'withdrawConsent', input: {} }) },
  {
    // One form per pending offer (lead card); whether one is pending is asked per partner.
    path: 'partner-response', schema: A.PartnerRespond, roles: [...STAFF, 'partner'],
    probe: (s) => {
      const o = s.offers.find((x) => x.status === 'pending');
      return o && { type: 'partnerRespond', input: { partnerId: o.partnerId, accepted: false } };
    },
  },
  {
    path: 'deal', schema: A.AdvanceDeal, roles: [...STAFF, 'partner'],
    probe: (s) => {
      const next = DEAL_ORDER[DEAL_ORDER.indexOf(s.dealStage ?? 'meeting') + 1];
      return next && { type: 'advanceDeal', input: { to: next, valueMinor: 1 } };
    },
  },
  { path: 'lost', schema: A.MarkLost, roles: [...STAFF, 'partner'], probe: () => ({ type: 'markLost', input: { reason: '-' } }) },
  {
    path: 'payments', schema: A.RecordPayment, roles: [...STAFF, 'partner'],
    probe: (s) => ({ type: 'recordPayment', input: { paymentId: '\u0001probe', amountMinor: 1, currency: s.deal.currency ?? 'RUB' } }),
  },
  { path: 'reengagement', schema: A.ReengagementOutcome, roles: STAFF, probe: () => ({ type: 'reengagementOutcome', input: { outcome: 'declined' } }) },
  {
    path: 'reassign', schema: A.Reassign, roles: ['team_lead', 'ops', 'admin'],
    probe: () => ({ type: 'reassign', input: { managerId: '\u0001nobody', reason: '-' } }),
  },
  { path: 'opt-out', schema: A.OptOut, roles: STAFF, probe: () => ({ type: 'optOut', input: {} }) },
];

export const LEAD_ACTIONS: LeadAction[] = DEFS.map((a) => ({ ...a, slug: a.path.replace('/', '-') }));

export const actionBySlug = (slug: string) => LEAD_ACTIONS.find((a) => a.slug === slug);

/** The API's state view (LeadView) as the lifecycle's state, for `refusal`. */
export const stateOf = (view: Record<string, unknown>): LeadState =>
  ({ ...view, slaFrom: Date.parse(String(view.slaFrom)), history: [] }) as unknown as LeadState;

/** The actions this person may take on the lead now. */
export function availableActions(s: LeadState, who: { role: Role; subject: string }): LeadAction[] {
  const actor = `${who.role}:${who.subject}`;
  const ownsDeal = s.dealOwner?.kind === 'partner' && s.dealOwner.partnerId === who.subject;
  return LEAD_ACTIONS.filter((a) => {
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
