// Consent and partner hand-off. The contact data leaves us only through `releaseContact`, which
// checks the client's recorded, unwithdrawn consent in PostgreSQL itself — not the caller's word.
import { ApplicationFailure } from '@temporalio/common';
import type { Stage } from '../domain/vocabulary';
import type { Db } from '../platform/db';
import { decideOnce } from '../platform/decisions';

/** Stages in which an accepted offer is still live: the hand-off, and the deal the partner works. */
const OPEN_DEAL_STAGES: Stage[] = ['partner_offer', 'deal'];

export function handoffActivities(db: Db) {
  return {
    async recordConsent(c: {
      leadId: string;
      seq: number;
      given: boolean;
      askedBy: string;
      channel: string;
      wording: string;
      at: string;
    }): Promise<void> {
      await db.consent.upsert({
        where: { id: `${c.leadId}:${c.seq}` },
        create: {
          id: `${c.leadId}:${c.seq}`,
          leadId: c.leadId,
          purpose: 'handoff',
          given: c.given,
          askedBy: c.askedBy,
          channel: c.channel,
          wording: c.wording,
          recordedAt: new Date(c.at),
        },
        update: {},
      });
    },

    async withdrawConsent(leadId: string, at: string): Promise<void> {
      await db.consent.updateMany({ where: { leadId, withdrawnAt: null }, data: { withdrawnAt: new Date(at) } });
      await db.partnerOffer.updateMany({
        where: { leadId, status: { in: ['pending', 'accepted'] } },
        data: { status: 'withdrawn', reason: 'consent withdrawn' },
      });
    },

    /**
     * The partners a lead is offered to next (pickAmong). `decision` names this pick among the
     * lead's: a second run of its workflow step (its workflow task was lost with the worker) gets
     * the partners picked the first time, already offered the lead (platform/decisions.ts).
     */
    async pickPartners(req: PartnerPickRequest & { decision?: string }): Promise<string[]> {
      return decideOnce(db, req.leadId, req.decision, () => pickAmong(db, req));
    },

    async recordOffer(o: { leadId: string; partnerId: string; status: string; at: string; reason?: string }): Promise<void> {
      await db.partnerOffer.upsert({
        where: { leadId_partnerId: { leadId: o.leadId, partnerId: o.partnerId } },
        create: { leadId: o.leadId, partnerId: o.partnerId, status: o.status, offeredAt: new Date(o.at), reason: o.reason ?? null },
        update: { status: o.status, respondedAt: o.status === 'pending' ? null : new Date(o.at), reason: o.reason ?? null },
      });
    },

    /** Releases the client's contacts to a partner that accepted. Refuses without consent. */
    async releaseContact(req: { leadId: string; partnerId: string }): Promise<{ releasedAt: string }> {
      const consent = await db.consent.findFirst({
        where: { leadId: req.leadId, purpose: 'handoff', given: true, withdrawnAt: null },
        orderBy: { recordedAt: 'desc' },
      });
      if (!consent) throw ApplicationFailure.nonRetryable(`no recorded consent to pass lead ${req.leadId} to a partner`, 'NoConsent');
      const offer = await db.partnerOffer.findUnique({ where: { leadId_partnerId: req } });
      if (!offer || offer.status !== 'accepted')
        throw ApplicationFailure.nonRetryable(`partner ${req.partnerId} has not accepted lead ${req.leadId}`, 'NotAccepted');
      if (offer.releasedAt) return { releasedAt: offer.releasedAt.toISOString() };
      const releasedAt = new Date();
      await db.partnerOffer.update({ where: { leadId_partnerId: req }, data: { releasedAt } });
      return { releasedAt: releasedAt.toISOString() };
    },
  };
}

/** What the workflow asks of a partner pick. */
interface PartnerPickRequest {
  leadId: string;
  topic?: string;
  region?: string;
  budgetMinor?: number;
  exclude: string[];
  count: number;
}

/**
 * Partners for a lead, best first: active (not leaving), with the expertise, with free capacity,
 * never one that was already asked; by grade, then "a project to grow" (the lead's budget a little
 * above the partner's usual niche), then load. Reserve partners last.
 */
async function pickAmong(db: Db, req: PartnerPickRequest): Promise<string[]> {
  const candidates = await db.partner.findMany({
    where: { status: 'active', id: { notIn: req.exclude }, ...(req.topic ? { expertise: { has: req.topic } } : {}) },
  });
  if (candidates.length === 0) return [];
  const loads = await db.partnerOffer.groupBy({
    by: ['partnerId'],
    // An offer holds capacity while it is open (pending, the lead still on offer) or accepted
    // (the deal is worked). A pending offer on a lead already in a deal is a rival the client
    // did not pick, left pending by a run from before those were withdrawn: it holds nothing.
    where: {
      partnerId: { in: candidates.map((p) => p.id) },
      OR: [
        { status: 'pending', lead: { stage: 'partner_offer' } },
        { status: 'accepted', lead: { stage: { in: OPEN_DEAL_STAGES } } },
      ],
    },
    _count: { _all: true },
  });
  const load = new Map(loads.map((l) => [l.partnerId, l._count._all]));
  const growth = (niche: bigint | null) => {
    if (!req.budgetMinor || !niche) return 1;
    const ratio = req.budgetMinor / Number(niche);
    return ratio >= 1 && ratio <= 1.5 ? 0 : ratio < 1 ? 1 : 2; // slightly above the niche is best
  };
  const isReserve = (p: { reserveFor: string[] }) => (req.topic ? p.reserveFor.includes(req.topic) : false);
  return candidates
    .filter((p) => (load.get(p.id) ?? 0) < p.capacity)
    .filter((p) => !req.region || p.regions.length === 0 || p.regions.includes(req.region))
    .sort(
      (a, b) =>
        Number(isReserve(a)) - Number(isReserve(b)) ||
        b.grade - a.grade ||
        growth(a.priceNicheMinor) - growth(b.priceNicheMinor) ||
        (load.get(a.id) ?? 0) - (load.get(b.id) ?? 0) ||
        a.id.localeCompare(b.id),
    )
    .slice(0, req.count)
    .map((p) => p.id);
}
