// Policy as data (README, "Policy"): the versions ops store, the policy in force for a team's
// leads, saving a version (one transaction, its rollout started inside it) and the fan-out that
// tells the running leads. Shared by the API and the worker's activities.
import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import { WorkflowIdReusePolicy } from '@temporalio/common';
import type { Db } from './db';
import type { PolicyVersion } from '../generated/prisma/client';
import { TERMINAL } from '../domain/lifecycle';
import { LeadPolicy } from '../domain/policy';
import { type Checked, checkPolicy, mergePolicy } from '../domain/policy-rules';
import { leadWorkflowId } from '../workflows/lead';
import { policyChanged } from '../workflows/messages';

/** The policy a lead runs on, resolved, and the name of its version(s): what policyChanged carries. */
export interface PolicyInForce {
  version: string;
  policy: LeadPolicy;
}
export const DEFAULT_SCOPE = 'default';
export const teamScope = (teamId: string) => `team:${teamId}`;
export const teamOfScope = (scope: string) => (scope.startsWith('team:') ? scope.slice(5) : undefined);

/** Each scope's version in force at `at`: the highest version that has taken effect (one query for all). */
export async function versionsInForce(db: Db, scopes: string[], at = new Date()): Promise<PolicyVersion[]> {
  return db.policyVersion.findMany({
    where: { scope: { in: scopes }, effectiveFrom: { lte: at } },
    orderBy: [{ scope: 'asc' }, { version: 'desc' }],
    distinct: ['scope'],
  });
}

/** The scope's version in force at `at`. */
export async function versionInForce(db: Db, scope: string, at = new Date()): Promise<PolicyVersion | null> {
  return (await versionsInForce(db, [scope], at))[0] ?? null;
}

/**
 * The policy a team's leads run on (no team: the default's): the default version with the team's
 * merged over it, named after both ("default v3 + team vlad v1").
 */
export async function policyInForce(db: Db, teamId: string | null | undefined, at = new Date()): Promise<PolicyInForce> {
  // Both scopes in one query: every lead's assignment asks this.
  const rows = await versionsInForce(db, teamId ? [DEFAULT_SCOPE, teamScope(teamId)] : [DEFAULT_SCOPE], at);
  const of = (scope: string) => rows.find((r) => r.scope === scope) ?? null;
  return resolved(of(DEFAULT_SCOPE), teamId ? of(teamScope(teamId)) : null, teamId);
}

type Versioned = Pick<PolicyVersion, 'version' | 'body'>;

export function resolved(d: Versioned | null, t: Versioned | null, teamId?: string | null): PolicyInForce {
  const version = `${d ? `default v${d.version}` : 'code defaults'}${t ? ` + team ${teamId} v${t.version}` : ''}`;
  return { version, policy: LeadPolicy.parse(mergePolicy(d?.body ?? {}, t?.body ?? {})) };
}

/** Open leads of a scope (a team's: those of its managers), by id after `after`, with each one's team. */
export async function openLeadsOf(
  db: Db,
  scope: string,
  after: string | undefined,
  limit: number,
): Promise<Array<{ id: string; teamId: string | null }>> {
  const team = teamOfScope(scope);
  const managers = team ? (await db.manager.findMany({ where: { teamId: team }, select: { id: true } })).map((m) => m.id) : undefined;
  const rows = await db.lead.findMany({
    where: {
      stage: { notIn: [...TERMINAL] },
      ...(after ? { id: { gt: after } } : {}),
      ...(managers ? { managerId: { in: managers } } : {}),
    },
    select: { id: true, managerId: true },
    orderBy: { id: 'asc' },
    take: limit,
  });
  const ids = [...new Set(rows.map((r) => r.managerId).filter((m): m is string => !!m))];
  const rowsOfManagers = await db.manager.findMany({ where: { id: { in: ids } }, select: { id: true, teamId: true } });
  const teams = new Map(rowsOfManagers.map((m) => [m.id, m.teamId]));
  return rows.map((r) => ({ id: r.id, teamId: (r.managerId && teams.get(r.managerId)) || null }));
}

/** A cache of `policyInForce` per team for one pass over many leads. */
export function policyResolver(db: Db, at = new Date()): (teamId: string | null) => Promise<PolicyInForce> {
  const memo = new Map<string, Promise<PolicyInForce>>();
  return (teamId) => {
    const key = teamId ?? '';
    if (!memo.has(key)) memo.set(key, policyInForce(db, teamId, at));
    return memo.get(key)!;
  };
}

/**
 * A scope's next version as it would be stored — the proposed fields merged over the scope's
 * version in force — checked as its leads will run it (a team's over the default's).
 */
export async function proposedVersion(
  db: Db,
  teamId: string | undefined,
  proposed: Record<string, unknown>,
  now: Date,
): Promise<{ scope: string; checked: Checked }> {
  const scope = teamId ? teamScope(teamId) : DEFAULT_SCOPE;
  const current = await versionInForce(db, scope, now);
  const merged = mergePolicy(current?.body ?? {}, proposed) as Record<string, unknown>;
  // A new time zone without an offset: the offset follows the zone, not the old version's.
  const cal = proposed.calendar as Record<string, unknown> | undefined;
  if (cal && typeof cal === 'object' && cal.timeZone !== undefined && cal.utcOffsetMinutes === undefined && merged.calendar) {
    const { utcOffsetMinutes: _old, ...rest } = merged.calendar as Record<string, unknown>;
    merged.calendar = rest;
  }
  const base = teamId ? ((await versionInForce(db, DEFAULT_SCOPE, now))?.body ?? {}) : {};
  return { scope, checked: checkPolicy(merged, base, now) };
}

export interface NewVersion {
  scope: string;
  body: unknown;
  effectiveFrom: Date;
  createdBy: string;
  reason: string;
}

export const rolloutWorkflowId = (scope: string, version: number) => `policy-rollout-${scope}-v${version}`;

/**
 * Stores a version and starts its rollout in one transaction: the workflow is started before the
 * commit, so a version is never stored without its rollout (a failed start rolls the row back). A
 * rollout whose commit then failed finds the scope's version in force unchanged and tells each
 * lead what it already runs on: nothing moves.
 */
export async function saveVersion(db: Db, temporal: Client, taskQueue: string, v: NewVersion): Promise<PolicyVersion> {
  return db.$transaction(
    async (tx) => {
      // One writer per scope at a time: versions are numbered without gaps or races.
      await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`policy:${v.scope}`}))`;
      const last = await tx.policyVersion.findFirst({ where: { scope: v.scope }, orderBy: { version: 'desc' }, select: { version: true } });
      const row = await tx.policyVersion.create({
        data: {
          scope: v.scope,
          teamId: teamOfScope(v.scope) ?? null,
          version: (last?.version ?? 0) + 1,
          body: v.body as object,
          effectiveFrom: v.effectiveFrom,
          createdBy: v.createdBy,
          reason: v.reason,
        },
      });
      await temporal.workflow.start('policyRolloutWorkflow', {
        workflowId: rolloutWorkflowId(v.scope, row.version),
        taskQueue,
        workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
        args: [{ scope: v.scope, version: row.version, effectiveFrom: v.effectiveFrom.toISOString() }],
      });
      return row;
    },
    { timeout: 15_000 },
  );
}

export interface RolloutBatch {
  leads: number;
  told: number;
  next?: string;
}

/**
 * Tells one batch of a scope's open leads the policy in force for each (its team's), by a plain
 * signal to lead-<id>: a lead that already runs on that version ignores it, so a retried batch
 * changes nothing twice. A lead whose workflow ended or is not started yet is skipped.
 */
export async function rolloutBatch(
  db: Db,
  temporal: Client,
  scope: string,
  after: string | undefined,
  limit: number,
): Promise<RolloutBatch> {
  const leads = await openLeadsOf(db, scope, after, limit);
  const policyOf = policyResolver(db);
  let told = 0;
  const queue = [...leads];
  // A few signals in flight at once: a batch of 100 is a fraction of a second, not 100 round trips in a row.
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      for (let l = queue.shift(); l; l = queue.shift()) {
        const p = await policyOf(l.teamId);
        try {
          await temporal.workflow.getHandle(leadWorkflowId(l.id)).signal(policyChanged, p);
          told += 1;
        } catch (err) {
          if (!(err instanceof WorkflowNotFoundError)) throw err;
        }
      }
    }),
  );
  return { leads: leads.length, told, ...(leads.length === limit ? { next: leads[leads.length - 1]!.id } : {}) };
}

/**
 * The default policy in force, as the API's intake gives it to each new lead — from memory, so an
 * intake costs no extra statement: read when the app is built, again every `refreshMs` in the
 * background, and at once after a version is saved in this process. A lead taken in with a
 * version a moment old is in the rollout's list all the same (it lists leads from PostgreSQL), and
 * takes its team's at assignment.
 */
export class PolicyCache {
  private last?: PolicyInForce;
  private inflight?: Promise<PolicyInForce>;
  private timer?: NodeJS.Timeout;
  constructor(
    private readonly db: Db,
    private readonly refreshMs = 30_000,
  ) {}

  /** Reads it now; later reads are answered from memory, refreshed in the background until `stop`. */
  async start(): Promise<void> {
    this.timer ??= setInterval(() => void this.refresh().catch(() => undefined), this.refreshMs).unref();
    // PostgreSQL down at start-up: the API comes up anyway, and the first intake reads it.
    await this.refresh().catch(() => undefined);
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  current(): Promise<PolicyInForce> {
    return this.last ? Promise.resolve(this.last) : this.refresh();
  }

  /** The last policy read (undefined before the first): for the console's SLA clocks. */
  latest(): PolicyInForce | undefined {
    return this.last;
  }

  refresh(): Promise<PolicyInForce> {
    this.inflight ??= policyInForce(this.db, null)
      .then((p) => (this.last = p))
      .finally(() => {
        this.inflight = undefined;
      });
    return this.inflight;
  }
}
