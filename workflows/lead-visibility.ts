// What the world sees of a running lead, kept in step with it: its transitions appended to
// PostgreSQL's audit trail with the read model (idempotent by sequence), and what ops see in the
// Temporal Web UI — search attributes and a PII-free memo (upserted only when they change), its
// current details, the deadline it waits on (SlaDueAt) and when it went stale (StaleSince).
// Nothing here decides anything about the lead: the lead workflow calls these as it goes.
import * as wf from '@temporalio/workflow';
import type { SearchAttributePair, SearchAttributeUpdatePair } from '@temporalio/common';
import type { LeadActivities } from '../activities';
import type { LeadState, Stage, Transition } from '../domain/lifecycle';
import type { LeadView } from './messages';
import { currentDetailsOf, type LeadStartFacts, type SlaDue, staleSinceOf } from './ops-view';
import { LeadDealValue, LeadManager, LeadPartner, LeadSource, LeadStage, LeadStale, SlaDueAt, StaleSince } from './search-attributes';

/** Stages whose wait has a deadline for ops: the manager's SLA ladder, a partner's acceptance window. */
export const SLA_STAGES: ReadonlySet<Stage> = new Set<Stage>(['verification', 'awaiting_first_contact', 'qualifying', 'partner_offer']);

/**
 * The visibility of lead `s`. Call `persist` once the handlers are set: it runs in the background of
 * whatever the lead waits for. `input` is the lead's workflow input (read for its policy version as
 * it changes).
 */
export function leadVisibility(
  s: LeadState,
  input: LeadStartFacts & { policyVersion?: string; carried?: LeadState },
  acts: Pick<LeadActivities, 'recordTransitions'>,
  /** The lead's other writes of the step under way are done (workflows/lead-run.ts): flush then. */
  settled: () => boolean,
) {
  let flushed = input.carried ? s.seq : 0;
  // Since this patch the lead names its timers after what they wait for, and publishes the deadline
  // it waits on (SlaDueAt) and when it went stale (StaleSince). A named timer and the extra upserts
  // are commands a running lead's history does not have, hence the patch. Its current details
  // (stage, manager, SLA due) are not a command: every run keeps them up to date (publish).
  const opsView = () => wf.patched('ops-metadata');
  let sla: SlaDue | undefined;
  // What the last publish sent, so an action that changes nothing visible (a missed call, say)
  // adds no search-attribute or memo event: leads live for years and their histories with them.
  let published: { attributes?: string; memo?: string } = {};

  function publish(): void {
    const ops = opsView();
    const staleSince = staleSinceOf(s);
    wf.setCurrentDetails(currentDetailsOf(input, s, sla, staleSince));
    const { attributes, memo } = visibilityOf(s, ops ? { sla, staleSince } : undefined);
    if (!wf.patched('publish-only-changes')) {
      wf.upsertSearchAttributes(attributes);
      wf.upsertMemo(memo);
      return;
    }
    const next = { attributes: JSON.stringify(attributes.map((a) => a.value)), memo: JSON.stringify(memo) };
    if (next.attributes !== published.attributes) wf.upsertSearchAttributes(attributes);
    if (next.memo !== published.memo) wf.upsertMemo(memo);
    published = next;
  }

  return {
    opsView,
    publish,
    /** Options naming what a timer waits for (none for runs from before the patch). */
    named: (summary: string): wf.TimerOptions => (opsView() ? { summary } : {}),
    /** The deadline the lead waits on now (undefined: none), published at once. */
    slaDue(next: SlaDue | undefined): void {
      if (next?.at === sla?.at && next?.what === sla?.what) return;
      if (!opsView()) return;
      sla = next;
      publish();
    },
    /**
     * Appends new transitions to PostgreSQL with the read model, then publishes; for ever, in the
     * background, each time the lead's step under way has done its own writes.
     */
    async persist(): Promise<void> {
      for (;;) {
        await wf.condition(() => s.seq > flushed && settled());
        const upto = s.seq;
        const batch: Transition[] = s.history.filter((t) => t.seq > flushed);
        await acts.recordTransitions(s.leadId, batch, readModel(s, input.policyVersion));
        flushed = upto;
        publish();
      }
    },
    /** Everything written down and every handler finished: the run may end or continue as new. */
    async drain(): Promise<void> {
      await wf.condition(() => flushed === s.seq && wf.allHandlersFinished());
    },
    /** The memo and search attributes a continued run starts with (only those with a value). */
    carriedOver() {
      const { attributes, memo } = visibilityOf(s, opsView() ? { sla, staleSince: staleSinceOf(s) } : undefined);
      return { memo, typedSearchAttributes: attributes.filter((a) => a.value !== null) as SearchAttributePair[] };
    },
  };
}

/**
 * What ops see of a lead in the Temporal UI: search attributes and a memo, with no personal data;
 * `ops` (since the 'ops-metadata' patch): the deadline it waits on and when it went stale.
 */
function visibilityOf(s: LeadState, ops?: { sla?: SlaDue; staleSince?: string }) {
  const partner = partnerOf(s);
  const attributes: SearchAttributeUpdatePair[] = [
    { key: LeadStage, value: s.stage },
    { key: LeadManager, value: s.managerId ?? null },
    { key: LeadPartner, value: partner ?? null },
    { key: LeadSource, value: s.sourceChannel },
    { key: LeadStale, value: s.stale },
    { key: LeadDealValue, value: s.deal.valueMinor ?? null },
  ];
  if (ops) {
    attributes.push({ key: SlaDueAt, value: ops.sla ? new Date(ops.sla.at) : null });
    attributes.push({ key: StaleSince, value: ops.staleSince ? new Date(ops.staleSince) : null });
  }
  const memo = {
    summary: {
      stage: s.stage,
      dealStage: s.dealStage ?? null,
      manager: s.managerId ?? null,
      partner: partner ?? null,
      topic: s.topic ?? null,
      attempt: s.reengagement.attempt,
    },
  };
  return { attributes, memo };
}

function partnerOf(s: LeadState): string | undefined {
  if (s.dealOwner?.kind === 'partner') return s.dealOwner.partnerId;
  return s.offers.find((o) => o.status === 'pending')?.partnerId;
}

/** What readers see: the state without internal bookkeeping. */
export function view(s: LeadState): LeadView {
  const { history: _history, slaFrom, ...rest } = s;
  return { ...rest, slaFrom: new Date(slaFrom).toISOString() };
}

/** The lead's row in the read model (PostgreSQL `leads`). */
function readModel(s: LeadState, policyVersion: string | undefined) {
  return {
    slaFrom: new Date(s.slaFrom).toISOString(),
    ...(policyVersion ? { policyVersion } : {}),
    stage: s.stage,
    managerId: s.managerId,
    partnerId: partnerOf(s),
    stale: s.stale,
    dealValueMinor: s.deal.valueMinor,
    currency: s.deal.currency,
    optedOut: s.closedReason === 'opted_out' || s.closedReason === 'consent_withdrawn',
    topic: s.topic,
    closedReason: s.closedReason,
  };
}
