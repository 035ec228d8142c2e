// Paying partners exactly once. A payout is identified by partner, period and currency; its id is
// the bank's idempotency key, so a retried activity or a worker killed mid-payout can never send
// money twice. Refunds claw commission back as new entries, netted from the next payout.
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { Db } from '../platform/db';
import { REFERRAL_KINDS } from '../domain/commission';
import { agreementOf } from '../platform/repos/agreements';

/** Where transfer orders go. The default records them in `payout_transfers` for the bank export. */
export interface PaymentRail {
  /** Must be idempotent on `payoutId`: the same id never moves money twice. */
  transfer(order: { payoutId: string; partnerId: string; amountMinor: number; currency: string }): Promise<{ ref: string }>;
}

export function outboxRail(db: Db): PaymentRail {
  return {
    async transfer(order) {
      await db.payoutTransfer.createMany({
        data: [{ payoutId: order.payoutId, partnerId: order.partnerId, amountMinor: BigInt(order.amountMinor), currency: order.currency }],
        skipDuplicates: true,
      });
      return { ref: order.payoutId };
    },
  };
}

export interface PayoutRequest {
  partnerId: string;
  period: string;
  currency: string;
}
export interface PreparedPayout {
  payoutId: string;
  status: 'prepared' | 'paid' | 'skipped';
  amountMinor: number;
  entries: number;
  reason?: string;
}

/**
 * What we owe a partner: our payables less their clawbacks. Referrals between two partners are
 * settled between them (monthly netting), not paid by us.
 */
const PAYABLE = [{ kind: 'commission_payable' }, { kind: 'clawback', counterpartyId: null }];

export const payoutIdOf = (r: PayoutRequest) => `payout:${r.partnerId}:${r.period}:${r.currency}`;

/** First instant after the period `YYYY-MM` (UTC). */
export function periodEnd(period: string): Date {
  const m = /^(\d{4})-(\d{2})$/.exec(period);
  if (!m) throw ApplicationFailure.nonRetryable(`period ${period} is not YYYY-MM`, 'InvalidPeriod');
  return new Date(Date.UTC(Number(m[1]), Number(m[2]), 1));
}

export function payoutActivities(db: Db, rail: PaymentRail = outboxRail(db)) {
  return {
    /**
     * Approves what finished its holding period by the end of the period, and gathers every
     * approved, unsettled entry into one payout (or skips it below the agreement's minimum).
     * Idempotent: a payout that exists is returned as it is.
     */
    async preparePayout(req: PayoutRequest): Promise<PreparedPayout> {
      const payoutId = payoutIdOf(req);
      const until = periodEnd(req.period);
      const { minPayoutMinor } = await agreementOf(db, req.partnerId);
      return db.$transaction(async (tx) => {
        await tx.$queryRaw`SELECT 1 AS locked FROM (SELECT pg_advisory_xact_lock(hashtextextended(${payoutId}, 0))) AS l`;
        const existing = await tx.payout.findUnique({ where: { id: payoutId } });
        if (existing) {
          const entries = await tx.ledgerEntry.count({ where: { payoutId, kind: { not: 'payout' } } });
          return { payoutId, status: existing.status as PreparedPayout['status'], amountMinor: Number(existing.amountMinor), entries };
        }
        await tx.ledgerEntry.updateMany({
          where: { partnerId: req.partnerId, currency: req.currency, OR: PAYABLE, status: 'pending', availableAt: { lt: until } },
          data: { status: 'approved' },
        });
        const due = await tx.ledgerEntry.findMany({
          where: {
            partnerId: req.partnerId,
            currency: req.currency,
            OR: PAYABLE,
            status: 'approved',
            payoutId: null,
            createdAt: { lt: until },
          },
        });
        const amount = due.reduce((sum, e) => sum + e.amountMinor, 0n);
        if (due.length === 0 || amount <= 0n || amount < BigInt(minPayoutMinor)) {
          const reason =
            due.length === 0
              ? 'nothing due'
              : amount <= 0n
                ? 'clawbacks exceed what is due; carried forward'
                : `below the minimum payout of ${minPayoutMinor}`;
          await tx.payout.create({
            data: {
              id: payoutId,
              partnerId: req.partnerId,
              period: req.period,
              currency: req.currency,
              amountMinor: amount,
              status: 'skipped',
            },
          });
          return { payoutId, status: 'skipped' as const, amountMinor: Number(amount), entries: 0, reason };
        }
        await tx.payout.create({
          data: {
            id: payoutId,
            partnerId: req.partnerId,
            period: req.period,
            currency: req.currency,
            amountMinor: amount,
            status: 'prepared',
          },
        });
        await tx.ledgerEntry.updateMany({ where: { id: { in: due.map((e) => e.id) } }, data: { payoutId } });
        return { payoutId, status: 'prepared' as const, amountMinor: Number(amount), entries: due.length };
      });
    },

    /**
     * Hands the transfer to the payment rail; the payout id is its idempotency key. Heartbeats
     * while the bank answers, so a worker that dies here is noticed in seconds and the retry
     * (on another worker) asks the bank again with the same key.
     */
    async sendPayout(payoutId: string): Promise<{ ref: string }> {
      const payout = await db.payout.findUniqueOrThrow({ where: { id: payoutId } });
      if (payout.status === 'paid' && payout.transferRef) return { ref: payout.transferRef };
      const ctx = Context.current();
      const beat = setInterval(() => ctx.heartbeat(), 1000);
      try {
        return await rail.transfer({
          payoutId,
          partnerId: payout.partnerId,
          amountMinor: Number(payout.amountMinor),
          currency: payout.currency,
        });
      } finally {
        clearInterval(beat);
      }
    },

    /** Marks the payout and its entries paid, and books the payout itself in the ledger. */
    async markPayoutPaid(payoutId: string, ref: string): Promise<void> {
      const payout = await db.payout.findUniqueOrThrow({ where: { id: payoutId } });
      await db.$transaction([
        db.payout.updateMany({
          where: { id: payoutId, status: 'prepared' },
          data: { status: 'paid', transferRef: ref, paidAt: new Date() },
        }),
        db.ledgerEntry.updateMany({ where: { payoutId, status: 'approved' }, data: { status: 'paid' } }),
        db.ledgerEntry.createMany({
          data: [
            {
              idempotencyKey: payoutId,
              partnerId: payout.partnerId,
              kind: 'payout',
              status: 'paid',
              amountMinor: -payout.amountMinor,
              currency: payout.currency,
              payoutId,
              memo: `transfer ${ref}`,
            },
          ],
          skipDuplicates: true,
        }),
      ]);
    },

    /** Partners owed something in a currency by the end of a period (for the monthly payout run). */
    async partnersDue(period: string): Promise<Array<{ partnerId: string; currency: string }>> {
      const rows = await db.ledgerEntry.groupBy({
        by: ['partnerId', 'currency'],
        where: { OR: PAYABLE, status: { in: ['pending', 'approved'] }, payoutId: null, createdAt: { lt: periodEnd(period) } },
      });
      return rows.map((r) => ({ partnerId: r.partnerId, currency: r.currency }));
    },

    /**
     * A client refund claws back the commissions booked on that payment, pro rata, as new
     * negative entries (never edits). Unpaid or paid, the clawback nets against the next payout.
     */
    async bookClawbacks(req: {
      leadId: string;
      paymentId: string;
      refundId: string;
      amountMinor: number;
    }): Promise<Array<{ key: string; amountMinor: number }>> {
      const originals = await db.ledgerEntry.findMany({
        where: { leadId: req.leadId, kind: { startsWith: 'commission_' }, idempotencyKey: { endsWith: `:${req.paymentId}` } },
      });
      const out: Array<{ key: string; amountMinor: number }> = [];
      for (const orig of originals) {
        const base = orig.baseMinor ?? 0n;
        if (base <= 0n) continue;
        const clawedSoFar = await db.ledgerEntry.aggregate({
          where: { reversesKey: orig.idempotencyKey, kind: 'clawback' },
          _sum: { amountMinor: true },
        });
        const remaining = orig.amountMinor + (clawedSoFar._sum.amountMinor ?? 0n); // clawbacks are negative
        const pro = (orig.amountMinor * BigInt(req.amountMinor) * 2n + base) / (2n * base); // round half up
        const amount = pro > remaining ? remaining : pro;
        const key = `clawback:${orig.idempotencyKey}:${req.refundId}`;
        if (amount > 0n) {
          // A clawback on a receivable reduces what the partner owes us; on what we owe, it nets
          // against the partner's next payout.
          await db.ledgerEntry.createMany({
            data: [
              {
                idempotencyKey: key,
                partnerId: orig.partnerId,
                leadId: req.leadId,
                kind: orig.kind === 'commission_receivable' ? 'clawback_receivable' : 'clawback',
                status: 'approved',
                amountMinor: -amount,
                currency: orig.currency,
                reversesKey: orig.idempotencyKey,
                counterpartyId: orig.counterpartyId,
                baseMinor: BigInt(req.amountMinor),
                memo: `refund ${req.refundId} of ${req.amountMinor} on payment ${req.paymentId}`,
              },
            ],
            skipDuplicates: true,
          });
        }
        const booked = await db.ledgerEntry.findUnique({ where: { idempotencyKey: key } });
        if (booked) out.push({ key, amountMinor: Number(booked.amountMinor) });
      }
      return out;
    },

    /**
     * Monthly settlement of referrals between partners: what A earned on leads B won, against
     * what B earned on leads A won, as one settlement per pair and currency — a one-way pair too,
     * for the amount one owes the other (we never hold that money, so it is settled between them,
     * not paid out by us). It takes every referral entry not yet settled that was booked before
     * the period's end (a late clawback is carried into the next settlement) and marks each with
     * its settlement. Idempotent: a settlement that exists is kept as it was.
     */
    async netReferrals(period: string): Promise<Array<{ id: string; amountMinor: number }>> {
      const until = periodEnd(period);
      return db.$transaction(
        async (tx) => {
          await tx.$queryRaw`SELECT 1 AS locked FROM (SELECT pg_advisory_xact_lock(hashtextextended('netting', 0))) AS l`;
          const rows = await tx.ledgerEntry.findMany({
            where: { kind: { in: REFERRAL_KINDS }, counterpartyId: { not: null }, settlementId: null, createdAt: { lt: until } },
            select: { id: true, partnerId: true, counterpartyId: true, currency: true, amountMinor: true },
          });
          // gross[pair][currency] = { aToB, bToA } with a < b; an entry under P with counterparty Q means Q owes P.
          const pairs = new Map<string, { a: string; b: string; currency: string; aToB: bigint; bToA: bigint; entries: bigint[] }>();
          for (const r of rows) {
            const payee = r.partnerId;
            const payer = r.counterpartyId!;
            const [a, b] = [payee, payer].sort() as [string, string];
            const id = `settlement:${a}:${b}:${period}:${r.currency}`;
            const p = pairs.get(id) ?? { a, b, currency: r.currency, aToB: 0n, bToA: 0n, entries: [] };
            if (payer === a) p.aToB += r.amountMinor;
            else p.bToA += r.amountMinor;
            p.entries.push(r.id);
            pairs.set(id, p);
          }
          for (const [id, p] of pairs) {
            // Settled already for this period: what came later waits for the next settlement.
            if (await tx.settlement.findUnique({ where: { id }, select: { id: true } })) continue;
            await tx.settlement.create({
              data: {
                id,
                partnerA: p.a,
                partnerB: p.b,
                period,
                currency: p.currency,
                amountMinor: p.aToB - p.bToA,
                grossAToB: p.aToB,
                grossBToA: p.bToA,
              },
            });
            await tx.ledgerEntry.updateMany({
              where: { id: { in: p.entries }, settlementId: null },
              data: { settlementId: id, status: 'settled' },
            });
          }
          const settled = await tx.settlement.findMany({ where: { period }, orderBy: { id: 'asc' } });
          return settled.map((x) => ({ id: x.id, amountMinor: Number(x.amountMinor) }));
        },
        { timeout: 60_000 },
      );
    },
  };
}
