// Custom search attributes: what ops filter leads by in the Temporal Web UI and CLI.
// Registered by the dev server launcher (scripts/lib/temporal.ts) and by ops on a real cluster
// (`temporal operator search-attribute create`, see README).
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const LeadStage = defineSearchAttributeKey('LeadStage', SearchAttributeType.KEYWORD);
export const LeadManager = defineSearchAttributeKey('LeadManager', SearchAttributeType.KEYWORD);
export const LeadPartner = defineSearchAttributeKey('LeadPartner', SearchAttributeType.KEYWORD);
export const LeadSource = defineSearchAttributeKey('LeadSource', SearchAttributeType.KEYWORD);
export const LeadStale = defineSearchAttributeKey('LeadStale', SearchAttributeType.BOOL);
export const LeadDealValue = defineSearchAttributeKey('LeadDealValue', SearchAttributeType.INT);
/** When the deadline the lead waits on falls due: its manager's next SLA step, or a partner's answer to an offer. */
export const SlaDueAt = defineSearchAttributeKey('SlaDueAt', SearchAttributeType.DATETIME);
/** When the lead last went stale (set while LeadStale is true). */
export const StaleSince = defineSearchAttributeKey('StaleSince', SearchAttributeType.DATETIME);

export const allSearchAttributes = [LeadStage, LeadManager, LeadPartner, LeadSource, LeadStale, LeadDealValue, SlaDueAt, StaleSince];
