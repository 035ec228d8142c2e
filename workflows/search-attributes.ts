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

export const allSearchAttributes = [LeadStage, LeadManager, LeadPartner, LeadSource, LeadStale, LeadDealValue];
