// GET /metrics: the program in Prometheus text format, for the monitoring people already run.
// Business gauges are read from PostgreSQL at scrape time (one grouped query each), so every API
// replica reports the same numbers; request-path figures (Update latency and refusals) are
// counted in this process. The worker exports Temporal's own metrics on WORKER_METRICS_ADDRESS.
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Db } from '../../platform/db';

export interface Metrics {
  registry: Registry;
  updateSeconds: Histogram<'action' | 'outcome'>;
  updateRefusals: Counter<'action' | 'reason'>;
}

export function createMetrics(db: Db): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'leads_api_' });

  new Gauge({
    name: 'leads_by_stage',
    help: 'Leads in each lifecycle stage (read model)',
    labelNames: ['stage'],
    registers: [registry],
    async collect() {
      this.reset();
      const rows = await db.lead.groupBy({ by: ['stage'], _count: { _all: true } });
      for (const r of rows) this.set({ stage: r.stage }, r._count._all);
    },
  });
  new Gauge({
    name: 'leads_stale',
    help: 'Leads flagged stale (untouched past the SLA)',
    registers: [registry],
    async collect() {
      this.set(await db.lead.count({ where: { stale: true } }));
    },
  });
  new Gauge({
    name: 'leads_sla_breaches',
    help: 'SLA events recorded so far, by kind (reminder, escalation, stale)',
    labelNames: ['kind'],
    registers: [registry],
    async collect() {
      this.reset();
      const rows = await db.leadEvent.groupBy({
        by: ['type'],
        where: { type: { in: ['sla_reminder', 'sla_escalated', 'stale'] } },
        _count: { _all: true },
      });
      for (const r of rows) this.set({ kind: r.type }, r._count._all);
    },
  });
  new Gauge({
    name: 'alarms_open',
    help: 'Alarms not yet resolved, by kind',
    labelNames: ['kind'],
    registers: [registry],
    async collect() {
      this.reset();
      const rows = await db.alarm.groupBy({ by: ['kind'], where: { state: { not: 'resolved' } }, _count: { _all: true } });
      for (const r of rows) this.set({ kind: r.kind }, r._count._all);
    },
  });
  new Gauge({
    name: 'commission_amount_minor',
    help: 'Ledger totals in minor units, by entry kind, status and currency',
    labelNames: ['kind', 'status', 'currency'],
    registers: [registry],
    async collect() {
      this.reset();
      const rows = await db.ledgerEntry.groupBy({ by: ['kind', 'status', 'currency'], _sum: { amountMinor: true } });
      for (const r of rows) this.set({ kind: r.kind, status: r.status, currency: r.currency }, Number(r._sum.amountMinor ?? 0n));
    },
  });

  return {
    registry,
    updateSeconds: new Histogram({
      name: 'lead_update_seconds',
      help: 'Staff actions (Workflow Updates) through the API, by action and outcome',
      labelNames: ['action', 'outcome'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    updateRefusals: new Counter({
      name: 'lead_update_refusals_total',
      help: 'Staff actions refused by the lead workflow (stage mismatch, invalid input)',
      labelNames: ['action', 'reason'],
      registers: [registry],
    }),
  };
}

export const metricsPlugin: FastifyPluginAsync<{ metrics: Metrics }> = async (app: FastifyInstance, { metrics }) => {
  app.get('/metrics', { schema: { hide: true } }, async (_req, reply) => {
    const body = await metrics.registry.metrics();
    return reply.type(metrics.registry.contentType).send(body);
  });
};
