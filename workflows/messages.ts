// Every message of the lead workflow, in one module shared by the API and the workflow.
// Updates: staff actions accepted or refused now (validators give the reason).
// Signals: fire-and-forget events from outside. Queries: state for readers.
import type { LeadPolicyInput } from '../domain/policy';
import type { UpdateDefinition } from '@temporalio/common';
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import { ACTION_NAMES, type ActionName, type ActionRequest } from '../domain/actions';
import type { LeadState, Transition } from '../domain/lifecycle';

/** Who is acting and what they ask for. */
export interface Command<T> {
  actor: string;
  input: T;
}

/** What readers see: the state without internal bookkeeping. */
export type LeadView = Omit<LeadState, 'history' | 'slaFrom'> & { slaFrom: string };

/** The Update of each staff action, named after its row in the action table (domain/actions.ts). */
export type ActionUpdate<N extends ActionName> = UpdateDefinition<LeadView, [Command<ActionRequest<N>>], N>;
export const actionUpdates = Object.fromEntries(ACTION_NAMES.map((name) => [name, defineUpdate(name)])) as {
  [N in ActionName]: ActionUpdate<N>;
};
/** Any action's Update, for code that serves every action alike (the API's routes, the workflow's handlers). */
export const actionUpdate = (name: ActionName): UpdateDefinition<LeadView, [Command<unknown>], ActionName> => actionUpdates[name];
// Named exports for callers that send one action (tests, benches, scripts).
export const {
  verifyInterest,
  recordContact,
  qualify,
  recordConsent,
  withdrawConsent,
  partnerRespond,
  advanceDeal,
  markLost,
  recordPayment,
  reengagementOutcome,
  reassign,
  optOut,
} = actionUpdates;

/** The same contact asked again (another form, another partner): attached to this lead. */
export interface RepeatInquiry {
  intakeKey: string;
  sourceChannel: string;
  partnerId?: string;
  matchedOn: string;
}
export const repeatInquiry = defineSignal<[RepeatInquiry]>('repeatInquiry');

/** A partner's webhook reporting its answer to an offer; invalid ones are recorded and ignored. */
export const partnerWebhook = defineSignal<[ActionRequest<'partnerRespond'>]>('partnerWebhook');

/** The roster changed (a manager added, back from leave, freed): a lead waiting for one tries again. */
export const rosterChanged = defineSignal('rosterChanged');

export const getState = defineQuery<LeadView>('state');
export const getHistory = defineQuery<Transition[]>('history');

/** The lead's manager was deactivated or is away: the lead is reassigned, with `reason` in its history. */
export interface ManagerUnavailable {
  managerId: string;
  reason: string;
}
export const managerUnavailable = defineSignal<[ManagerUnavailable]>('managerUnavailable');

/**
 * The policy in force for this lead changed (README, "Policy"): the version's name and the policy
 * resolved for the lead's team. A lead re-arms the deadline it waits on when it moves.
 */
export interface PolicyInForce {
  version: string;
  policy: LeadPolicyInput;
}
export const policyChanged = defineSignal<[PolicyInForce]>('policyChanged');
