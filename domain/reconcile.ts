// Weekly reconciliation (DOMAIN: leads lost between a partner's form and our CRM "at thousands a
// month"): the partner's own list of leads it sent, matched against what we received from it.
// Pure: the activity gathers both sides, this decides what disagrees.
import { normalizeEmail, normalizePhone } from './contact';
import { DAY } from './time';

/** A sent lead and a received one may be this far apart before the dates count as a mismatch. */
export const DATE_TOLERANCE_MS = 2 * DAY;

export interface Period {
  from: Date;
  to: Date;
}

/** One row of the partner's list. */
export interface SentLead {
  externalId: string;
  sentAt: Date;
  phone?: string | null;
  email?: string | null;
}

/** What reached us from the partner: a lead it created, or an inquiry attached to a known lead. */
export interface ReceivedLead {
  externalId: string | null;
  leadId: string;
  receivedAt: Date;
  phone?: string | null;
  email?: string | null;
}

export type Difference = 'phone' | 'email' | 'date';

export interface Reconciliation {
  /** Rows of the partner's list dated inside the period. */
  submitted: number;
  matched: number;
  /** Sent, never received. */
  missing: Array<{ externalId: string; sentAt: string }>;
  /** Received inside the period, absent from the partner's list. */
  extra: Array<{ externalId: string | null; leadId: string; receivedAt: string }>;
  /** On both sides, but the contact or the date disagree. Which fields, not their values: PII stays on the lead. */
  mismatched: Array<{ externalId: string; leadId: string; sentAt: string; receivedAt: string; differs: Difference[] }>;
}

/** Code-point order: the same on every machine, whatever its locale. */
const byCode = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

const inPeriod = (at: Date, p: Period) => at.getTime() >= p.from.getTime() && at.getTime() < p.to.getTime();

/** Contacts compare after normalisation; what does not normalise compares as typed, lower-cased. */
const phoneKey = (raw?: string | null) => (raw ? (normalizePhone(raw) ?? raw.trim().toLowerCase()) : undefined);
const emailKey = (raw?: string | null) => (raw ? (normalizeEmail(raw) ?? raw.trim().toLowerCase()) : undefined);

/** A field differs only when both sides have it: a list without e-mails is not a dispute. */
function differs(a: string | undefined, b: string | undefined): boolean {
  return a !== undefined && b !== undefined && a !== b;
}

/**
 * Matches the partner's list against what we received.
 *
 * A sent row is judged in the period of its `sentAt`; its lead may have arrived at any time
 * (pass every received lead with a listed external id). A received lead counts as extra when its
 * arrival is in the period and the partner's list — all of it, not only this period — does not
 * have it (pass every listed row matching a received external id). Judging each pair once, in
 * the sender's period, keeps a lead from being counted in two weekly reports.
 */
export function reconcile(input: { period: Period; sent: SentLead[]; received: ReceivedLead[]; dateToleranceMs?: number }): Reconciliation {
  const tolerance = input.dateToleranceMs ?? DATE_TOLERANCE_MS;
  // The first arrival of an external id is the one that counts (a lead, then its repeats).
  const received = new Map<string, ReceivedLead>();
  for (const r of [...input.received].sort((a, b) => a.receivedAt.getTime() - b.receivedAt.getTime())) {
    if (r.externalId !== null && !received.has(r.externalId)) received.set(r.externalId, r);
  }
  const listed = new Set(input.sent.map((s) => s.externalId));

  const out: Reconciliation = { submitted: 0, matched: 0, missing: [], extra: [], mismatched: [] };
  const seen = new Set<string>();
  for (const s of [...input.sent].sort((a, b) => byCode(a.externalId, b.externalId))) {
    if (!inPeriod(s.sentAt, input.period) || seen.has(s.externalId)) continue;
    seen.add(s.externalId);
    out.submitted += 1;
    const r = received.get(s.externalId);
    if (!r) {
      out.missing.push({ externalId: s.externalId, sentAt: s.sentAt.toISOString() });
      continue;
    }
    const diff: Difference[] = [];
    if (differs(phoneKey(s.phone), phoneKey(r.phone))) diff.push('phone');
    if (differs(emailKey(s.email), emailKey(r.email))) diff.push('email');
    if (Math.abs(s.sentAt.getTime() - r.receivedAt.getTime()) > tolerance) diff.push('date');
    if (diff.length === 0) out.matched += 1;
    else
      out.mismatched.push({
        externalId: s.externalId,
        leadId: r.leadId,
        sentAt: s.sentAt.toISOString(),
        receivedAt: r.receivedAt.toISOString(),
        differs: diff,
      });
  }

  const extraSeen = new Set<string>();
  for (const r of [...input.received].sort((a, b) => a.receivedAt.getTime() - b.receivedAt.getTime() || byCode(a.leadId, b.leadId))) {
    if (!inPeriod(r.receivedAt, input.period)) continue;
    if (r.externalId !== null && listed.has(r.externalId)) continue;
    const key = r.externalId ?? `lead:${r.leadId}`;
    if (extraSeen.has(key)) continue;
    extraSeen.add(key);
    out.extra.push({ externalId: r.externalId, leadId: r.leadId, receivedAt: r.receivedAt.toISOString() });
  }
  // Listed ids first, in order; then leads that came without an id.
  out.extra.sort(
    (a, b) => Number(a.externalId === null) - Number(b.externalId === null) || byCode(a.externalId ?? a.leadId, b.externalId ?? b.leadId),
  );
  return out;
}

/**
 * The period a sweep started at `nowMs` reconciles: the `periodDays` whole UTC days before
 * today. Whole days make the period — and so the report and dispute ids — the same for every
 * run on the same day: a retried or repeated sweep rewrites one report instead of adding one.
 */
export function sweepPeriod(nowMs: number, periodDays: number): Period {
  const to = Math.floor(nowMs / DAY) * DAY;
  return { from: new Date(to - periodDays * DAY), to: new Date(to) };
}

/** Deterministic ids: the same partner and period is the same report, however often it runs. */
export const reportIdOf = (partnerId: string, p: Period) => `recon:${partnerId}:${p.from.toISOString()}:${p.to.toISOString()}`;
export const disputeIdOf = (reportId: string, d: { externalId: string | null; leadId?: string | null }) =>
  `${reportId}:${d.externalId ?? `lead:${d.leadId}`}`;
