// The wait an open lead is on, and the moment it began (its anchor), read back from the read model
// (`leads`, `lead_events`) the way workflows/lead.ts arms it — so the what-if preview can ask
// domain/deadlines.ts when that wait falls due under the current and a proposed policy.
//
// The deal stage is not a column: it is derived from the events (the stage entry starts at the
// meeting, each deal move names its stage). Derived, it is right for every lead already running,
// where a new column would be empty until each lead's next transition.
import type { Db } from './db';
import { DealStage } from '../domain/actions';
import type { WaitKind } from '../domain/deadlines';

// Every wait kind, in the order the summary lists them; a kind added to WaitKind must be added here (it does not compile otherwise).
const KINDS: Record<WaitKind, true> = {
  sla_reminder: true,
  sla_escalation: true,
  stale: true,
  consent: true,
  partner_answer: true,
  deal_checkin: true,
  reengagement_touch: true,
  reengagement_reply: true,
};
export const WAIT_KINDS = Object.keys(KINDS) as [WaitKind, ...WaitKind[]];

/** The stages whose wait is the manager's SLA ladder (workflows/lead.ts awaitManager). */
export const LADDER_STAGES: readonly string[] = ['verification', 'awaiting_first_contact', 'qualifying'];
const LADDER: readonly WaitKind[] = ['sla_reminder', 'sla_escalation', 'stale'];
/** The ladder's events: which step a lead is on since its SLA anchor. */
const LADDER_EVENTS = ['sla_reminder', 'sla_escalated', 'stale', 'stale_parked'];
/** Events that start or restart a wait after the stage's entry (deal moves are `deal_<stage>`, see below). */
const ANCHOR_EVENTS = ['offered', 'contract_signed', 'payment_recorded', 'reengagement_touch', 'no_reply'];

export interface LeadRow {
  id: string;
  stage: string;
  slaFrom: Date | null;
  managerId: string | null;
}
/** A lead's event as `lead_events` has it; `entered`: the first event in its stage (the stage changed with it). */
export interface EventRow {
  seq: number;
  type: string;
  stage: string;
  at: Date;
  entered: boolean;
}
export interface Wait {
  kind: WaitKind;
  anchor: number;
  dealStage?: DealStage;
}

/** The stage a deal move leaves the deal in; undefined for a check-in (the stage stays) and for other events. */
function dealStageAfter(e: EventRow, entry: EventRow): DealStage | undefined {
  if (e === entry) return 'meeting'; // qualified → deal, partner_accepted → deal (lifecycle: dealStage = 'meeting')
  if (e.type === 'contract_signed') return 'contract';
  if (e.type === 'payment_recorded') return 'payment';
  const moved = e.type.startsWith('deal_') ? DealStage.safeParse(e.type.slice('deal_'.length)) : undefined;
  return moved?.success ? moved.data : undefined;
}

/** The last event matching `pred` (the events are in sequence order). */
function lastOf(events: readonly EventRow[], pred: (e: EventRow) => boolean): EventRow | undefined {
  for (let i = events.length - 1; i >= 0; i--) if (pred(events[i]!)) return events[i];
  return undefined;
}

/**
 * The wait `lead` is on, from its events in sequence order (those `loadEvents` returns), or
 * undefined: a lead with no deadline set by policy (waiting for a manager, parked stale, in a stage
 * with no timer) or whose events do not say where the wait began.
 */
export function waitOf(lead: LeadRow, events: readonly EventRow[]): Wait | undefined {
  if (LADDER_STAGES.includes(lead.stage)) {
    // The ladder counts from the last touch (`sla_from`); no manager yet: the lead waits for one, not on the ladder.
    if (!lead.slaFrom || !lead.managerId) return undefined;
    const from = lead.slaFrom.getTime();
    const seen = new Set(events.filter((e) => e.at.getTime() >= from && LADDER_EVENTS.includes(e.type)).map((e) => e.type));
    if (seen.has('stale_parked')) return undefined; // parked: nothing falls due until a touch
    const step = seen.has('sla_escalated') ? 2 : seen.has('sla_reminder') ? 1 : 0;
    return { kind: LADDER[step]!, anchor: from };
  }
  // Where the lead entered the stage it is in; what came before belongs to another wait.
  const entry = lastOf(events, (e) => e.entered && e.stage === lead.stage);
  if (!entry) return undefined;
  const last = (pred: (e: EventRow) => boolean) => lastOf(events, (e) => e.seq >= entry.seq && pred(e));
  switch (lead.stage) {
    case 'awaiting_consent':
      // The `qualified` event that asked for consent; the window runs from it.
      return { kind: 'consent', anchor: entry.at.getTime() };
    case 'partner_offer': {
      // The partners offered last are those the lead waits on (handOff offers again only when none is pending).
      const offered = last((e) => e.type === 'offered');
      return offered && { kind: 'partner_answer', anchor: offered.at.getTime() };
    }
    case 'deal': {
      // The silence clock restarts with each deal move (dealMoves) and after each check-in.
      const move = last((e) => !!dealStageAfter(e, entry));
      const anchor = last((e) => !!dealStageAfter(e, entry) || e.type === 'deal_checkin')!;
      return { kind: 'deal_checkin', anchor: anchor.at.getTime(), dealStage: dealStageAfter(move!, entry)! };
    }
    case 'reengagement': {
      // A cycle starts on entering the stage and after each unanswered touch (the run carries on);
      // a touch since then waits for the client's reply.
      const cycle = last((e) => e === entry || e.type === 'no_reply')!;
      const touch = last((e) => e.type === 'reengagement_touch' && e.seq > cycle.seq);
      return touch
        ? { kind: 'reengagement_reply', anchor: touch.at.getTime() }
        : { kind: 'reengagement_touch', anchor: cycle.at.getTime() };
    }
    default:
      return undefined;
  }
}

/**
 * The events `waitOf` reads, per lead, in sequence order: each stage entry (found against the
 * event before it, so every way into a stage counts) and the events that (re)start a wait.
 */
export async function loadEvents(db: Db, leadIds: readonly string[], chunk = 1000): Promise<Map<string, EventRow[]>> {
  const out = new Map<string, EventRow[]>(leadIds.map((id) => [id, []]));
  const types = [...LADDER_EVENTS, ...ANCHOR_EVENTS, 'deal_checkin'];
  for (let i = 0; i < leadIds.length; i += chunk) {
    const ids = leadIds.slice(i, i + chunk);
    const rows = await db.$queryRaw<Array<{ leadId: string } & EventRow>>`
      SELECT "leadId", seq, type, stage, at, entered FROM (
        SELECT lead_id AS "leadId", seq, type, stage, at,
               stage IS DISTINCT FROM lag(stage) OVER (PARTITION BY lead_id ORDER BY seq) AS entered
          FROM lead_events WHERE lead_id = ANY(${ids}::text[])
      ) e
      WHERE entered OR type = ANY(${types}::text[]) OR starts_with(type, 'deal_')
      ORDER BY "leadId", seq`;
    for (const { leadId, ...e } of rows) out.get(leadId)!.push(e);
  }
  return out;
}
