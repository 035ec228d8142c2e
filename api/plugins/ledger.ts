// Money: refunds (clawbacks), payouts per partner and period, statements, settlements.
// Each write runs as a workflow whose id is the business key, so repeating a request repeats
// nothing.
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { text } from '../../domain/text';
import type { Db } from '../../platform/db';
import * as M from '../../workflows/messages';
import { payoutWorkflow, payoutWorkflowId } from '../../workflows/payout';
import { refundWorkflow, refundWorkflowId } from '../../workflows/refund';
import { allow, ownPartnerOnly } from '../auth';
import { DEFAULT_TERMS, REFERRAL_KINDS, Tier } from '../../domain/commission';
import { Currency } from '../../domain/money';
import { agreementOf } from '../../platform/repos/agreements';
import { startOnce } from '../../platform/start-once';
import { PLAUSIBLE_YEAR } from '../../domain/time';
import { leadWorkflowId } from '../../workflows/lead';
import { conflict, notFound, problemResponses } from '../problem';
import { LeadIdParams } from '../schemas';

export interface LedgerPluginOptions {
  db: Db;
  temporal: Client;
  taskQueue: string;
}

const problems = problemResponses;
const Period = z
  .string()
  .regex(new RegExp(`^${PLAUSIBLE_YEAR}-(0[1-9]|1[0-2])$`), 'YYYY-MM, a year from 1900 to 2999')
  .describe('YYYY-MM');
const PartnerParams = z.object({ id: z.string().min(1).max(64) });

const Refund = z.object({
  refundId: text(100, 1).describe('The refund’s own id: a refund is counted once'),
  paymentId: text(100, 1),
  amountMinor: z.number().int().positive().max(Number.MAX_SAFE_INTEGER),
  currency: Currency,
});
const Clawbacks = z.object({ clawbacks: z.array(z.object({ key: z.string(), amountMinor: z.number().int() })) });

const PayoutResult = z.object({
  payoutId: z.string(),
  status: z.enum(['prepared', 'paid', 'skipped']),
  amountMinor: z.number().int(),
  entries: z.number().int(),
  reason: z.string().optional(),
  transferRef: z.string().optional(),
});

const Entry = z.object({
  key: z.string(),
  kind: z.string(),
  status: z.string(),
  amountMinor: z.number().int(),
  currency: z.string(),
  partnerId: z.string().describe('Whose entry it is: the partner owed a referral, for one this partner owes'),
  leadId: z.string().nullable(),
  counterpartyId: z.string().nullable().describe('Referral: the partner that owes it'),
  payoutId: z.string().nullable(),
  settlementId: z.string().nullable().describe('Referral: the netting settlement that settled it'),
  availableAt: z.string().nullable(),
  createdAt: z.string(),
  memo: z.string().nullable(),
});

const Balances = z.object({
  owedToPartner: z.number().int().describe('What we owe and have not paid out yet'),
  paidToPartner: z.number().int(),
  owedByPartner: z.number().int().describe('What the partner owes us'),
  referralsOwedToPartner: z.number().int().describe('Referral commissions other partners owe it, not yet settled'),
  referralsOwedByPartner: z.number().int().describe('Referral commissions it owes other partners, not yet settled'),
});

const Terms = z.object({
  source: z.enum(['agreement', 'default']),
  label: z.string().describe('"default terms" when the partner has no agreement on record'),
  model: z.string(),
  percentBps: z.number().int().optional(),
  fixedFeeMinor: z.number().int().optional(),
  tiers: z.array(Tier).optional(),
  currency: z.string(),
  holdingDays: z.number().int(),
  minPayoutMinor: z.number().int(),
});

const PartnerSettlement = z.object({
  id: z.string(),
  period: z.string(),
  counterpartyId: z.string(),
  amountMinor: z.number().int().describe('positive: the counterparty pays this partner'),
});

export const ledgerPlugin: FastifyPluginAsyncZod<LedgerPluginOptions> = async (app, { db, temporal, taskQueue }) => {
  app.post(
    '/leads/:id/refunds',
    {
      schema: {
        tags: ['money'],
        summary: 'Record a client refund: commissions on that payment are clawed back pro rata',
        params: LeadIdParams,
        body: Refund,
        response: { 200: Clawbacks, ...problems },
      },
      preHandler: allow('ops'),
    },
    async (req) => {
      const leadId = req.params.id;
      if (!(await db.lead.findUnique({ where: { id: leadId }, select: { id: true } }))) throw notFound(`lead ${leadId}`);
      let state: M.LeadView;
      try {
        state = await temporal.workflow.getHandle(leadWorkflowId(leadId)).query(M.getState);
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) throw notFound(`lead ${leadId}`);
        throw err;
      }
      const payment = state.deal.payments.find((p) => p.paymentId === req.body.paymentId);
      if (!payment) throw conflict(`lead ${leadId} has no payment ${req.body.paymentId}`);
      if (payment.currency !== req.body.currency) throw conflict(`payment ${payment.paymentId} was in ${payment.currency}`);
      if (req.body.amountMinor > payment.amountMinor)
        throw conflict(`the refund exceeds payment ${payment.paymentId} (${payment.amountMinor} minor units)`);
      const input = { leadId, ...req.body };
      const workflowId = refundWorkflowId(input);
      // Repeated, the refund's workflow is found (running or done) and its clawbacks answered again.
      const clawbacks = await (await startOnce(temporal, refundWorkflow, { workflowId, taskQueue, args: [input] })).result();
      return { clawbacks };
    },
  );

  app.post(
    '/partners/:id/payouts',
    {
      schema: {
        tags: ['money'],
        summary: 'Pay a partner what is due for a period (exactly once per partner, period and currency)',
        params: PartnerParams,
        body: z.object({ period: Period, currency: Currency.default('RUB') }),
        response: { 200: PayoutResult, ...problems },
      },
      preHandler: allow('ops'),
    },
    async (req) => {
      const input = { partnerId: req.params.id, period: req.body.period, currency: req.body.currency };
      if (!(await db.partner.findUnique({ where: { id: input.partnerId }, select: { id: true } })))
        throw notFound(`partner ${input.partnerId}`);
      const workflowId = payoutWorkflowId(input);
      return (await startOnce(temporal, payoutWorkflow, { workflowId, taskQueue, args: [input] })).result();
    },
  );

  app.get(
    '/partners/:id/payouts',
    {
      schema: {
        tags: ['money'],
        summary: "A partner's payouts",
        params: PartnerParams,
        response: {
          200: z.object({
            items: z.array(
              z.object({
                id: z.string(),
                period: z.string(),
                currency: z.string(),
                amountMinor: z.number().int(),
                status: z.string(),
                transferRef: z.string().nullable(),
                paidAt: z.string().nullable(),
              }),
            ),
          }),
          ...problems,
        },
      },
      preHandler: allow('ops', 'partner'),
    },
    async (req) => {
      ownPartnerOnly(req.principal!, req.params.id);
      const rows = await db.payout.findMany({ where: { partnerId: req.params.id }, orderBy: { createdAt: 'desc' } });
      return {
        items: rows.map((r) => ({
          id: r.id,
          period: r.period,
          currency: r.currency,
          amountMinor: Number(r.amountMinor),
          status: r.status,
          transferRef: r.transferRef,
          paidAt: r.paidAt?.toISOString() ?? null,
        })),
      };
    },
  );

  app.get(
    '/partners/:id/statement',
    {
      schema: {
        tags: ['money'],
        summary: "A partner's statement: every ledger entry and the balances",
        params: PartnerParams,
        querystring: z.object({ currency: Currency.default('RUB') }),
        response: {
          200: z.object({
            partnerId: z.string(),
            currency: z.string(),
            terms: Terms,
            balances: Balances,
            entries: z.array(Entry),
            settlements: z.array(PartnerSettlement),
          }),
          ...problems,
        },
      },
      preHandler: allow('ops', 'partner'),
    },
    async (req) => {
      ownPartnerOnly(req.principal!, req.params.id);
      const partnerId = req.params.id;
      const { currency } = req.query;
      // Its own entries, and the referral entries of other partners that it owes.
      const entries = await db.ledgerEntry.findMany({
        where: { currency, OR: [{ partnerId }, { counterpartyId: partnerId, kind: { in: REFERRAL_KINDS } }] },
        orderBy: { id: 'asc' },
      });
      const sum = (pred: (e: (typeof entries)[number]) => boolean) => entries.filter(pred).reduce((a, e) => a + Number(e.amountMinor), 0);
      const mine = (e: (typeof entries)[number]) => e.partnerId === partnerId;
      const referral = (e: (typeof entries)[number]) => REFERRAL_KINDS.includes(e.kind) && !!e.counterpartyId && e.settlementId === null;
      const terms = await agreementOf(db, partnerId);
      const settlements = await db.settlement.findMany({
        where: { currency, OR: [{ partnerA: partnerId }, { partnerB: partnerId }] },
        orderBy: { id: 'asc' },
      });
      return {
        partnerId,
        currency,
        terms: {
          source: terms.source,
          label: terms.source === 'default' ? DEFAULT_TERMS.label : 'agreement',
          ...terms.agreement,
          holdingDays: terms.holdingDays,
          minPayoutMinor: terms.minPayoutMinor,
        },
        balances: {
          owedToPartner: sum(
            (e) => mine(e) && (e.kind === 'commission_payable' || (e.kind === 'clawback' && !e.counterpartyId)) && e.payoutId === null,
          ),
          paidToPartner: -sum((e) => mine(e) && e.kind === 'payout'),
          owedByPartner: sum((e) => mine(e) && (e.kind === 'commission_receivable' || e.kind === 'clawback_receivable')),
          referralsOwedToPartner: sum((e) => mine(e) && referral(e)),
          referralsOwedByPartner: sum((e) => e.counterpartyId === partnerId && referral(e)),
        },
        entries: entries.map((e) => ({
          key: e.idempotencyKey,
          kind: e.kind,
          status: e.status,
          amountMinor: Number(e.amountMinor),
          currency: e.currency,
          partnerId: e.partnerId,
          leadId: e.leadId,
          counterpartyId: e.counterpartyId,
          payoutId: e.payoutId,
          settlementId: e.settlementId,
          availableAt: e.availableAt?.toISOString() ?? null,
          createdAt: e.createdAt.toISOString(),
          memo: e.memo,
        })),
        settlements: settlements.map((x) => {
          const isA = x.partnerA === partnerId;
          // amountMinor > 0 means A pays B.
          return {
            id: x.id,
            period: x.period,
            counterpartyId: isA ? x.partnerB : x.partnerA,
            amountMinor: isA ? -Number(x.amountMinor) : Number(x.amountMinor),
          };
        }),
      };
    },
  );

  app.get(
    '/settlements',
    {
      schema: {
        tags: ['money'],
        summary: 'Monthly netting between partners who refer to each other',
        querystring: z.object({ period: Period }),
        response: {
          200: z.object({
            items: z.array(
              z.object({
                id: z.string(),
                partnerA: z.string(),
                partnerB: z.string(),
                currency: z.string(),
                amountMinor: z.number().int().describe('positive: A pays B'),
                grossAToB: z.number().int(),
                grossBToA: z.number().int(),
              }),
            ),
          }),
          ...problems,
        },
      },
      preHandler: allow('ops'),
    },
    async (req) => {
      const rows = await db.settlement.findMany({ where: { period: req.query.period }, orderBy: { id: 'asc' } });
      return {
        items: rows.map((r) => ({
          id: r.id,
          partnerA: r.partnerA,
          partnerB: r.partnerB,
          currency: r.currency,
          amountMinor: Number(r.amountMinor),
          grossAToB: Number(r.grossAToB),
          grossBToA: Number(r.grossBToA),
        })),
      };
    },
  );
};
