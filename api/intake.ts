// Intake: validate → de-duplicate → register → start the lead's workflow. Idempotent on the
// partner's external id (or the caller's Idempotency-Key); racing requests for the same contact
// are serialised by advisory locks on their de-duplication keys, so one lead is ever created.
//
// Repeat contacts (README, "Repeat contacts"): a known contact is matched to their latest lead
// (episode). While that lead is open the inquiry is attached to it (a signal to its workflow, one
// per burst from the same source: `deliverOnce`).
// Once it has ended — won, closed, opted out — its workflow is never run again under its id: the
// inquiry starts a new episode, a new lead linked to the one before. The read model may lag the
// workflow, so an open-looking lead is asked: Temporal's "workflow not found" means it has ended.
//
// Temporal unreachable (README, "During an outage"): a new lead is registered all the same and
// answered `202 registered`; the `intake-sweep` Schedule starts its workflow once Temporal is
// back. A repeat inquiry for an open lead cannot be delivered then: nothing is stored and the
// caller gets a 503 to retry.
import { randomUUID } from 'node:crypto';
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import { WorkflowIdReusePolicy } from '@temporalio/common';
import type { Pool } from 'pg';
import { poolOf, type Db } from '../platform/db';
import type { LeadKeyRing } from '../platform/lead-keys';
import { codecOf } from '../platform/payload-codec';
import { currentRequestDeadline } from './deadline';
import { leadWorkflowInput, type LeadStartRow, startLeadWorkflow } from '../platform/lead-start';
import { companyKey } from '../domain/contact';
import { dedupeKeys, leadKind, type LeadIntake } from '../domain/intake';
import { TERMINAL, type Stage } from '../domain/lifecycle';
import type { LeadPolicyInput } from '../domain/policy';
import { PolicyCache } from '../platform/policies';
import { type Lead, Prisma } from '../generated/prisma/client';
import { type leadWorkflow, leadWorkflowId } from '../workflows/lead';
import { repeatInquiry, type RepeatInquiry } from '../workflows/messages';
import { leadStartMetadata } from '../workflows/ops-view';
import { LeadSource, LeadStage } from '../workflows/search-attributes';

/**
 * created: a new lead (a first inquiry, or a new episode of a contact whose lead had ended) and
 * its workflow; attached: a repeat inquiry of an open lead; registered: a new lead whose
 * workflow could not be started yet (Temporal unreachable) — the sweeper starts it.
 */
export type IntakeStatus = 'created' | 'attached' | 'registered';
export interface IntakeResult {
  leadId: string;
  workflowId: string;
  status: IntakeStatus;
  replayed: boolean;
  matchedOn?: string;
  previousLeadId?: string;
  returnedAfterOptOut?: boolean;
  /** Why a registered lead's workflow could not be started (for the log, not the client). */
  startError?: unknown;
  /** The audit_log row written with the intake, and the status it recorded (api/auth.ts completes it if the answer differs). */
  audited?: { id: string; status: number };
}

/**
 * Who asked, for the request's audit_log row: intake writes it in its own transaction, so an
 * accepted lead and its audit row are committed together (no round trip of its own before or after).
 */
export interface IntakeAudit {
  actor: string;
  role: string;
  method: string;
  path: string;
  requestId: string;
}

/** The answer intake gives when the workflow start goes as expected: a new lead 201, anything else 200 (202 is corrected after). */
const expectedStatus = (d: { status: 'created' | 'attached'; replayed: boolean }) => (d.status === 'created' && !d.replayed ? 201 : 200);

/** A repeat inquiry could not be delivered to its open lead: nothing was stored, retry later. */
export class TemporalUnavailable extends Error {
  constructor(
    readonly leadId: string,
    cause: unknown,
  ) {
    super(`the workflow of lead ${leadId} could not be reached: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

export function intakeKeyOf(body: LeadIntake, idempotencyKey?: string): string {
  if (body.source.partnerId && body.source.externalId) return `partner:${body.source.partnerId}:${body.source.externalId}`;
  if (idempotencyKey) return `key:${idempotencyKey}`;
  return `auto:${randomUUID()}`;
}

type Tx = Prisma.TransactionClient;
type LeadRow = Lead;
/** What intake needs of the lead it decided on: its workflow's input, and whether that workflow is known to exist. */
type DecidedLead = LeadStartRow & Pick<Lead, 'workflowStartedAt' | 'lastSeq'>;
interface Decided {
  lead: DecidedLead;
  status: 'created' | 'attached';
  replayed: boolean;
  matchedOn?: string;
  audited?: { id: string; status: number };
}

/**
 * A repeat inquiry this soon after one from the same source was signalled to the lead is folded
 * into it (`deliverOnce`). Short: a lead's read model shows it ended within a second of its
 * workflow ending, and only an open-looking lead is attached to at all.
 */
export const REPEAT_COALESCE_MS = 60_000;

/**
 * Takes the transaction's advisory locks on `keys`, in the order given (unnest keeps array order),
 * in one statement. (Wrapped in a count: Prisma cannot read the function's void result.)
 */
async function lockInTx(tx: Tx, keys: string[]): Promise<void> {
  await tx.$queryRaw`SELECT count(*) AS locked FROM (SELECT pg_advisory_xact_lock(hashtextextended(k, 0)) FROM unnest(${keys}::text[]) AS k) AS l`;
}

/** The advisory-lock keys of an intake, sorted: two requests sharing keys take them in the same order (no deadlock). */
function lockKeysOf(intakeKey: string, keys: { phone?: string; email?: string }): string[] {
  return [intakeKey, keys.phone && `phone:${keys.phone}`, keys.email && `email:${keys.email}`].filter((k): k is string => !!k).sort();
}

export interface IntakeOptions {
  /** How long one call to Temporal may take before intake answers without it (ms). */
  temporalDeadlineMs?: number;
  /** The client new workflows are started with when it is up (api/core-starts.ts); else the API's own. */
  startClient?: () => Client | undefined;
}

/** A workflow start that had not answered by intake's deadline: the lead stays registered for the sweep. */
class StartDeadlineExceeded extends Error {
  constructor(ms: number) {
    super(`the workflow start had not answered after ${ms} ms`);
  }
}

/**
 * `start` bounded by `deadline` (epoch ms) whatever its transport does: the core connection retries
 * an unavailable server past any deadline (api/core-starts.ts). A start still running is left to
 * finish or fail on its own (it is idempotent: USE_EXISTING); its outcome is not waited for.
 */
async function startBy(deadline: number, start: Promise<void>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const ms = Math.max(0, deadline - Date.now());
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new StartDeadlineExceeded(ms)), ms);
  });
  start.catch(() => undefined); // lost the race: its failure is no one's to handle
  try {
    await Promise.race([start, late]);
  } finally {
    clearTimeout(timer);
  }
}

export class IntakeService {
  private readonly deadlineMs: number;
  private readonly pool: Pool;
  /** The API client's lead keys: a new lead's key is stored by its registering statement. */
  private readonly keys?: LeadKeyRing;
  private readonly startClient: () => Client | undefined;

  constructor(
    private readonly db: Db,
    private readonly temporal: Client,
    private readonly taskQueue: string,
    /** A fixed policy (tests), or the versions in PostgreSQL (README, "Policy"). */
    private readonly policy?: LeadPolicyInput | PolicyCache,
    opts: IntakeOptions = {},
  ) {
    this.deadlineMs = opts.temporalDeadlineMs ?? 3_000;
    this.startClient = opts.startClient ?? (() => undefined);
    this.pool = poolOf(db);
    this.keys = codecOf(temporal)?.keys;
  }

  /** The new lead's workflow input, with the default policy in force and its version. */
  private async workflowInput(lead: LeadStartRow) {
    if (!(this.policy instanceof PolicyCache)) return leadWorkflowInput(lead, this.policy);
    const p = await this.policy.current();
    return leadWorkflowInput(lead, p.policy, p.version);
  }

  async intake(body: LeadIntake, idempotencyKey?: string, audit?: IntakeAudit): Promise<IntakeResult> {
    const intakeKey = intakeKeyOf(body, idempotencyKey);
    // Most intakes are a contact never seen before: one statement registers it. Anything known
    // (a replay, a repeat contact) is decided in the interactive transaction below.
    let decided = await this.registerNew(body, intakeKey, audit);
    try {
      decided ??= await this.attachToOpen(body, intakeKey, audit);
      decided ??= await this.decide(body, intakeKey, audit);
    } catch (err) {
      // Two requests that matched the same ended lead through different keys (one by phone, one
      // by e-mail) raced to open its next episode: the loser attaches to the winner's.
      if (!(err instanceof Prisma.PrismaClientKnownRequestError && err.code === 'P2002')) throw err;
      decided = await this.decide(body, intakeKey, audit);
    }

    const { lead, audited, ...outcome } = decided;
    const result: IntakeResult = {
      leadId: lead.id,
      workflowId: leadWorkflowId(lead.id),
      ...outcome,
      ...(lead.previousLeadId ? { previousLeadId: lead.previousLeadId, returnedAfterOptOut: lead.returnedAfterOptOut } : {}),
      ...(audited ? { audited } : {}),
    };
    // Also on a replay: if the first attempt registered the lead while Temporal was down, this heals
    // it. A lead whose workflow has written its first transition (lastSeq) has one: nothing to start.
    if (decided.status === 'created' && !lead.workflowStartedAt && lead.lastSeq === 0) {
      try {
        const input = await this.workflowInput(lead);
        // Within the request's deadline too: the core connection's calls are not cut to it by the
        // API connection's interceptor (api/deadline.ts).
        const deadline = Math.min(Date.now() + this.deadlineMs, currentRequestDeadline() ?? Infinity);
        const client = this.startClient() ?? this.temporal;
        await startBy(
          deadline,
          client.withDeadline(deadline, () => startLeadWorkflow(client, this.taskQueue, input)),
        );
      } catch (err) {
        return { ...result, status: 'registered', startError: err };
      }
      // Not marked here (`workflow_started_at`): that was a round trip on every intake. The
      // workflow's first read-model write marks it (activities/registry.ts); until then the lead
      // looks unstarted, and the sweeper, for one older than its interval, starts it again with
      // USE_EXISTING — which finds it running and only marks it.
    }
    return result;
  }

  /**
   * A contact and intake key never seen before, registered in one round trip: the SQL function
   * `intake_register_new` (migration 20261201030000) takes the same locks, makes the same checks
   * and writes the same rows as `decide` → `register`, with the audit row, in its statement's own
   * transaction. Undefined when anything is known: nothing was written, and `decide` takes over.
   * With the payload codec, the statement stores the lead's data key too (migration
   * 20261207010000): the workflow start that follows encrypts from the key cache, with no INSERT
   * of its own on the key store's pool.
   */
  private async registerNew(body: LeadIntake, intakeKey: string, audit?: IntakeAudit): Promise<Decided | undefined> {
    const keys = dedupeKeys(body);
    const lead: DecidedLead = {
      id: randomUUID(),
      kind: leadKind(body),
      sourceChannel: body.source.channel,
      sourcePartnerId: body.source.partnerId ?? null,
      region: body.region ?? null,
      topic: body.topic ?? null,
      previousLeadId: null,
      returnedAfterOptOut: false,
      workflowStartedAt: null,
      lastSeq: 0,
    };
    const status = expectedStatus({ status: 'created', replayed: false });
    const minted = this.keys?.mint(lead.id);
    const { rows } = await this.pool.query<{ created: boolean; audit_id: string | null }>({
      name: 'intake-register-new',
      text:
        'SELECT created, audit_id::text AS audit_id FROM intake_register_new(' +
        '$1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25)',
      values: [
        lockKeysOf(intakeKey, keys),
        intakeKey,
        keys.phone ?? null,
        keys.email ?? null,
        lead.id,
        lead.kind,
        lead.sourceChannel,
        lead.sourcePartnerId,
        body.source.campaign ?? null,
        body.source.externalId ?? null,
        body.person?.name ?? null,
        body.company?.name ?? null,
        body.company ? (companyKey(body.company.name) ?? null) : null,
        lead.region,
        lead.topic,
        body.budgetMinor === undefined ? null : String(body.budgetMinor),
        body.currency,
        audit?.actor ?? null,
        audit?.role ?? null,
        audit?.method ?? null,
        audit?.path ?? null,
        audit?.requestId ?? null,
        status,
        minted?.stored.masterKeyId ?? null,
        minted?.stored.wrapped ?? null,
      ],
    });
    const row = rows[0];
    if (!row?.created) return undefined;
    if (minted) this.keys!.adopt(lead.id, minted.key);
    return { lead, status: 'created', replayed: false, ...(row.audit_id ? { audited: { id: row.audit_id, status } } : {}) };
  }

  /** One transaction under the contact's locks: replay, attach to the open episode, or register a lead; and its audit row. */
  /**
   * A known contact whose latest episode is open: the inquiry is attached to it under its own
   * intake key's lock only, not the contact's. Under the contact's locks, a burst of inquiries from
   * one phone would signal its lead one after another, each waiting for the one before (100 at
   * once took longer than the request deadline); here they signal side by side. Exclusive per
   * intake key, so a replay of the same request still finds the first. Undefined when the contact
   * is new, its latest episode has ended (by the read model, or by Temporal when it is asked), or
   * anything else needs the contact's locks: `decide` takes over, and nothing was written.
   */
  private async attachToOpen(body: LeadIntake, intakeKey: string, audit?: IntakeAudit): Promise<Decided | undefined> {
    const found = await this.latestEpisode(this.db, body);
    if (!found || TERMINAL.has(found.latest.stage as Stage)) return undefined;
    const { latest, matchedOn } = found;
    return this.db.$transaction(
      async (tx) => {
        await lockInTx(tx, [intakeKey]);
        if (await tx.inquiry.findUnique({ where: { intakeKey }, select: { intakeKey: true } })) return undefined; // a replay
        const inquiry: RepeatInquiry = { intakeKey, sourceChannel: body.source.channel, partnerId: body.source.partnerId, matchedOn };
        const told = await this.deliverOnce(tx, latest, inquiry);
        if (!told) return undefined; // ended after all
        const decided: Decided = await this.attach(tx, body, latest, intakeKey, matchedOn, told.coalescedInto);
        if (audit) decided.audited = await auditIn(tx, audit, latest.id, expectedStatus(decided));
        return decided;
      },
      { maxWait: 10_000, timeout: this.deadlineMs + 10_000 },
    );
  }

  /** The contact's latest episode (earlier ones have ended), and which key matched it; undefined for a new contact. */
  private async latestEpisode(q: Tx, body: LeadIntake): Promise<{ match: LeadRow; latest: LeadRow; matchedOn: string } | undefined> {
    const keys = dedupeKeys(body);
    const or = [keys.phone ? { phone: keys.phone } : undefined, keys.email ? { email: keys.email } : undefined].filter(
      (x) => x !== undefined,
    );
    const match = or.length ? await q.lead.findFirst({ where: { OR: or }, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }] }) : null;
    if (!match) return undefined;
    const matchedOn = keys.phone && match.phone === keys.phone ? 'phone' : 'email';
    // A later episode may carry other contact details (a new e-mail), so the chain is followed
    // from the lead that matched.
    let latest = match;
    const nextOf = (id: string) => q.lead.findUnique({ where: { previousLeadId: id } });
    for (let next = await nextOf(latest.id); next; next = await nextOf(next.id)) latest = next;
    return { match, latest, matchedOn };
  }

  /** The inquiry recorded as a repeat of the open `lead`. */
  private async attach(
    tx: Tx,
    body: LeadIntake,
    lead: LeadRow,
    intakeKey: string,
    matchedOn: string,
    coalescedInto?: string,
  ): Promise<Decided> {
    await tx.inquiry.create({
      data: {
        intakeKey,
        leadId: lead.id,
        sourceChannel: body.source.channel,
        partnerId: body.source.partnerId ?? null,
        duplicate: true,
        matchedOn,
        // Set here, not by the column's default: `deliverOnce` compares it with this process's clock.
        receivedAt: new Date(),
        coalescedInto: coalescedInto ?? null,
      },
    });
    return { lead, status: 'attached', replayed: false, matchedOn };
  }

  private decide(body: LeadIntake, intakeKey: string, audit?: IntakeAudit): Promise<Decided> {
    // The transaction may wait on one call to Temporal (the repeat-inquiry signal), bounded by the deadline.
    return this.db.$transaction(
      async (tx) => {
        const decided = await this.decideIn(tx, body, intakeKey);
        if (audit) decided.audited = await auditIn(tx, audit, decided.lead.id, expectedStatus(decided));
        return decided;
      },
      { maxWait: 10_000, timeout: this.deadlineMs + 10_000 },
    );
  }

  private async decideIn(tx: Tx, body: LeadIntake, intakeKey: string): Promise<Decided> {
    const keys = dedupeKeys(body);
    const lockKeys = lockKeysOf(intakeKey, keys);
    // Every lock in the keys' sorted order, so two requests sharing keys never deadlock.
    await lockInTx(tx, lockKeys);
    const seen = await tx.inquiry.findUnique({ where: { intakeKey }, include: { lead: true } });
    if (seen) {
      return { lead: seen.lead, status: seen.duplicate ? 'attached' : 'created', replayed: true, matchedOn: seen.matchedOn ?? undefined };
    }

    const found = await this.latestEpisode(tx, body);
    if (!found) return { lead: await this.register(tx, body, intakeKey), status: 'created', replayed: false };
    const { latest, matchedOn } = found;

    const inquiry: RepeatInquiry = { intakeKey, sourceChannel: body.source.channel, partnerId: body.source.partnerId, matchedOn };
    const told = TERMINAL.has(latest.stage as Stage) ? false : await this.deliverOnce(tx, latest, inquiry);
    if (told) return this.attach(tx, body, latest, intakeKey, matchedOn, told.coalescedInto);
    // Ended: the read model as it is now (a workflow completes only once its transitions are written).
    const ended = await tx.lead.findUniqueOrThrow({ where: { id: latest.id } });
    const lead = await this.register(tx, body, intakeKey, { previousLeadId: ended.id, returnedAfterOptOut: ended.optedOut }, matchedOn);
    return { lead, status: 'created', replayed: false, matchedOn };
  }

  /**
   * Tells the open lead once per burst: a repeat inquiry from the same source (channel and
   * partner) as one signalled to this lead less than `REPEAT_COALESCE_MS` ago is folded into that
   * one — recorded and answered `attached` like any other, but not signalled again. Temporal
   * serialises every change of one workflow under a lock and answers a stream of signals to one
   * execution with RESOURCE_EXHAUSTED (BUSY_WORKFLOW): 100 form submissions from one phone at once
   * got three 503s that way on a loaded CI machine. And for the lead's owner, a client who pressed
   * "send" five times asked again once: one history event, one call-back task. A different source
   * is always signalled (a partner's inquiry may earn it credit). The lead's own lock serialises
   * the choice, so a burst signals exactly once; the others wait only for that one signal.
   * Returns false when Temporal says the workflow has ended (as `deliver`).
   */
  private async deliverOnce(tx: Tx, lead: LeadRow, inquiry: RepeatInquiry): Promise<{ coalescedInto?: string } | false> {
    await lockInTx(tx, [`inquiries:${lead.id}`]);
    const told = await tx.inquiry.findFirst({
      where: {
        leadId: lead.id,
        duplicate: true,
        coalescedInto: null,
        sourceChannel: inquiry.sourceChannel,
        partnerId: inquiry.partnerId ?? null,
        receivedAt: { gt: new Date(Date.now() - REPEAT_COALESCE_MS) },
      },
      orderBy: { receivedAt: 'desc' },
      select: { intakeKey: true },
    });
    if (told) return { coalescedInto: told.intakeKey };
    return (await this.deliver(tx, lead, inquiry)) && {};
  }

  /**
   * Tells the open lead's workflow that its client asked again; false when Temporal says the
   * workflow has ended (the read model had not caught up).
   */
  private async deliver(tx: Tx, lead: LeadRow, inquiry: RepeatInquiry): Promise<boolean> {
    const workflowId = leadWorkflowId(lead.id);
    const deadline = Date.now() + this.deadlineMs;
    try {
      if (lead.workflowStartedAt || lead.lastSeq > 0) {
        // Never signal-with-start here: on an ended lead that would run its workflow again.
        await this.temporal.withDeadline(deadline, () => this.temporal.workflow.getHandle(workflowId).signal(repeatInquiry, inquiry));
      } else {
        // Registered while Temporal was down and not swept yet: its id has no history, so it is
        // started with the inquiry (and REJECT_DUPLICATE would refuse to run a closed one again).
        const input = await this.workflowInput(lead);
        const start = () =>
          this.temporal.workflow.signalWithStart<typeof leadWorkflow, [RepeatInquiry]>('leadWorkflow', {
            workflowId,
            taskQueue: this.taskQueue,
            args: [input],
            ...leadStartMetadata(input),
            workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
            signal: repeatInquiry,
            signalArgs: [inquiry],
            typedSearchAttributes: [
              { key: LeadStage, value: 'received' },
              { key: LeadSource, value: lead.sourceChannel },
            ],
          });
        await this.temporal.withDeadline(deadline, start);
        await tx.lead.updateMany({ where: { id: lead.id, workflowStartedAt: null }, data: { workflowStartedAt: new Date() } });
      }
      return true;
    } catch (err) {
      if (err instanceof WorkflowNotFoundError || err instanceof WorkflowExecutionAlreadyStartedError) return false;
      if (err instanceof Error && /already completed/i.test(err.message)) return false;
      throw new TemporalUnavailable(lead.id, err);
    }
  }

  /** A new lead row (a new episode when it follows an ended one) and its first inquiry. */
  private async register(
    tx: Tx,
    body: LeadIntake,
    intakeKey: string,
    episode?: { previousLeadId: string; returnedAfterOptOut: boolean },
    matchedOn?: string,
  ): Promise<LeadRow> {
    const keys = dedupeKeys(body);
    const leadId = randomUUID();
    const lead = await tx.lead.create({
      data: {
        id: leadId,
        intakeKey,
        kind: leadKind(body),
        sourceChannel: body.source.channel,
        sourcePartnerId: body.source.partnerId ?? null,
        campaign: body.source.campaign ?? null,
        externalId: body.source.externalId ?? null,
        personName: body.person?.name ?? null,
        companyName: body.company?.name ?? null,
        companyKey: body.company ? (companyKey(body.company.name) ?? null) : null,
        phone: keys.phone ?? null,
        email: keys.email ?? null,
        region: body.region ?? null,
        topic: body.topic ?? null,
        stage: 'received',
        dealValueMinor: body.budgetMinor === undefined ? null : BigInt(body.budgetMinor),
        currency: body.currency,
        previousLeadId: episode?.previousLeadId ?? null,
        returnedAfterOptOut: episode?.returnedAfterOptOut ?? false,
      },
    });
    await tx.inquiry.create({
      data: {
        intakeKey,
        leadId,
        sourceChannel: body.source.channel,
        partnerId: body.source.partnerId ?? null,
        matchedOn: matchedOn ?? null,
      },
    });
    if (episode?.returnedAfterOptOut) {
      // The rule for a client who had opted out (README, "Repeat contacts"): writing to us again
      // is their own request, recorded as consent to be contacted about this inquiry only. It
      // says nothing about a partner hand-off, which still asks its own consent.
      await tx.consent.create({
        data: {
          id: `${leadId}:returned`,
          leadId,
          purpose: 'contact',
          given: true,
          askedBy: 'client',
          channel: body.source.channel,
          recordedAt: new Date(),
          wording:
            `The client opted out in lead ${episode.previousLeadId} and wrote to us again by themselves ` +
            `(${body.source.channel}): contact about this inquiry only.`,
        },
      });
    }
    return lead;
  }
}

/**
 * The request's audit_log row, in intake's transaction and with the status intake expects to
 * answer: if the row cannot be written, nothing is registered (the request is a 503), and an
 * accepted lead is never without its row. The same columns as api/auth.ts writes for every other change.
 */
async function auditIn(tx: Tx, a: IntakeAudit, leadId: string, status: number): Promise<{ id: string; status: number }> {
  const rows = await tx.$queryRaw<Array<{ id: string }>>`
    INSERT INTO audit_log (at, actor, role, method, path, status, request_id, lead_id)
    VALUES (now() AT TIME ZONE 'UTC', ${a.actor}, ${a.role}, ${a.method}, ${a.path}, ${status}, ${a.requestId}, ${leadId})
    RETURNING id::text AS id`;
  return { id: rows[0]!.id, status };
}
