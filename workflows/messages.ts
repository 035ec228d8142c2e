// Every message of the lead workflow, in one module shared by the API and the workflow.
// Updates: staff actions accepted or refused now (validators give the reason).
// Signals: fire-and-forget events from outside. Queries: state for readers.
import type { LeadPolicyInput } from '../domain/policy';
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type * as A from '../domain/actions';
import type { LeadState, Transition } from '../domain/lifecycle';

/** Who is acting and what they ask for. */
export interface Command<T> { actor: string; input: T }

/** What readers see: the state without internal bookkeeping. */
export type LeadView = Omit<LeadState, 'history' | 'slaFrom'> & { slaFrom: string };

export const verifyInterest = defineUpdate<LeadView, [Command<A.VerifyInterest>]>('verifyInterest');
export const recordContact = defineUpdate<LeadView, [Command<A.RecordContact>]>('recordContact');
export const qualify = defineUpdate<LeadView, [Command<A.Qualify>]>('qualify');
export const recordConsent = defineUpdate<LeadView, [Command<A.RecordConsent>]>('recordConsent');
export const withdrawConsent = defineUpdate<LeadView, [Command<A.WithdrawConsent>]>('withdrawConsent');
export const partnerRespond = defineUpdate<LeadView, [Command<A.PartnerRespond>]>('partnerRespond');
export const advanceDeal = defineUpdate<LeadView, [Command<A.AdvanceDeal>]>('advanceDeal');
export const markLost = defineUpdate<LeadView, [Command<A.MarkLost>]>('markLost');
export const recordPayment = defineUpdate<LeadView, [Command<A.RecordPayment>]>('recordPayment');
export const reengagementOutcome = defineUpdate<LeadView, [Command<A.ReengagementOutcome>]>('reengagementOutcome');
export const reassign = defineUpdate<LeadView, [Command<A.Reassign>]>('reassign');
export const optOut = defineUpdate<LeadView, [Command<A.OptOut>]>('optOut');

/** The same contact asked again (another form, another partner): attached to this lead. */
export interface RepeatInquiry { intakeKey: string; sourceChannel: string; partnerId?: string; matchedOn: string }
export const repeatInquiry = defineSignal<[RepeatInquiry]>('repeatInquiry');

/** A partner's webhook reporting its answer to an offer; invalid ones are recorded and ignored. */
export const partnerWebhook = defineSignal<[A.PartnerRespond]>('partnerWebhook');

/** The roster changed (a manager added, back from leave, freed): a lead waiting for one tries again. */
export const rosterChanged = defineSignal('rosterChanged');

export const getState = defineQuery<LeadView>('state');
export const getHistory = defineQuery<Transition[]>('history');

/** The lead's manager was deactivated or is away: the lead is reassigned, with `reason` in its history. */
export interface ManagerUnavailable { managerId: string; reason: string }
export const managerUnavailable = defineSignal<[ManagerUnavailable]>('managerUnavailable');

/**
 * The policy in force for this lead changed (README, "Policy"): the version's name and the policy
 * resolved for the lead's team. A lead re-arms the deadline it waits on when it moves.
 */
export interface PolicyInForce { version: string; policy: LeadPolicyInput }
export const policyChanged = defineSignal<[PolicyInForce]>('policyChanged');
