// Erasing a person's data (152-FZ, GDPR "right to erasure"), on request (POST /leads/:id/erase)
// or by the retention sweep (activities/retention.ts). One lead and every other episode of the
// same contact (linked by previous_lead_id) is erased.
//
// In Temporal: the lead's running workflow is terminated (nothing could run it any more), then its
// payload data key is destroyed (platform/lead-keys.ts): every payload of its history, memo and
// activities was encrypted with that key alone, so the history stays in Temporal until its
// retention period ends, but nobody can read it ("crypto-shredding"). Deleting the executions
// instead would leave no trace of what happened to the lead and would not reach copies (archival,
// exports); a destroyed key does.
//
// In PostgreSQL: the person's name, phone, e-mail and company, free text (event reasons, task
// notes, feedback comments, conflict descriptions, consent wording), the partners' sent-lead rows
// and reconciliation evidence naming their phone or e-mail, and stored API answers about the lead
// are removed. Kept: the lead row (stage, source, partner, manager, region, topic, dates), its
// events' types and times, offers, tasks and the ledger — the facts the funnel and money need,
// about a lead id that no longer points at anyone.
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { Prisma } from '../generated/prisma/client';
import type { Db } from './db';
import { leadWorkflowId } from '../workflows/lead';
import type { LeadKeyRing } from './lead-keys';

export type ErasureReason = 'request' | 'opt_out_retention' | 'inactive';

export interface ErasureResult {
  leadIds: string[];
  workflowsTerminated: number;
}

const ERASED = '[erased]';

/** The lead and every episode of the same contact before and after it. */
async function episodesOf(db: Db, leadId: string): Promise<string[]> {
  const rows = await db.$queryRaw<Array<{ id: string }>>`
    WITH RECURSIVE chain(id) AS (
      SELECT ${leadId}::text
      UNION
      -- the next episode (its previous is in the chain) or the previous one (of a lead in the chain)
      SELECT CASE WHEN l.previous_lead_id = c.id THEN l.id ELSE l.previous_lead_id END
      FROM leads l JOIN chain c ON l.previous_lead_id = c.id OR (l.id = c.id AND l.previous_lead_id IS NOT NULL)
    ) SELECT id FROM chain`;
  return rows.map((r) => r.id);
}

export async function eraseLead(
  deps: { db: Db; temporal: Client; keys: LeadKeyRing },
  leadId: string,
  reason: ErasureReason,
): Promise<ErasureResult> {
  const { db, temporal, keys } = deps;
  const leadIds = await episodesOf(db, leadId);
  // Terminate first: a running lead whose key is gone could not take its next workflow task. A
  // retry after a failure below terminates nothing twice (a closed workflow is left as it is).
  let workflowsTerminated = 0;
  for (const id of leadIds) {
    try {
      await temporal.workflow.getHandle(leadWorkflowId(id)).terminate(`personal data erased (${reason})`);
      workflowsTerminated++;
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err; // not found: never started, or already closed
    }
  }
  await db.$transaction(async (tx) => {
    const contacts = await tx.lead.findMany({
      where: { id: { in: leadIds } },
      select: { phone: true, email: true, sourcePartnerId: true, externalId: true },
    });
    const phones = contacts.map((c) => c.phone).filter((v): v is string => !!v);
    const emails = contacts.map((c) => c.email).filter((v): v is string => !!v);
    const sent = contacts
      .filter((c) => c.sourcePartnerId && c.externalId)
      .map((c) => ({ partnerId: c.sourcePartnerId!, externalId: c.externalId! }));
    await tx.lead.updateMany({
      where: { id: { in: leadIds } },
      data: {
        personName: null,
        phone: null,
        email: null,
        companyName: null,
        companyKey: null,
        // The sweeper must not start a workflow for it (it would need the erased key).
        workflowStartedAt: new Date(),
        erasedAt: new Date(),
        erasureReason: reason,
      },
    });
    await tx.leadEvent.updateMany({ where: { leadId: { in: leadIds } }, data: { reason: null, data: Prisma.DbNull } });
    await tx.task.updateMany({ where: { leadId: { in: leadIds }, note: { not: null } }, data: { note: null } });
    await tx.consent.updateMany({ where: { leadId: { in: leadIds } }, data: { wording: ERASED } });
    await tx.partnerFeedback.updateMany({ where: { leadId: { in: leadIds }, comment: { not: null } }, data: { comment: null } });
    await tx.partnerConflict.updateMany({ where: { leadId: { in: leadIds } }, data: { description: ERASED } });
    // A partner's own list of what it sent us: the rows of this person lose their contact.
    if (phones.length || emails.length || sent.length) {
      await tx.partnerSentLead.updateMany({
        where: { OR: [{ phone: { in: phones } }, { email: { in: emails } }, ...sent] },
        data: { phone: null, email: null },
      });
    }
    // Reconciliation evidence quotes both sides' contacts.
    for (const value of [...phones, ...emails]) {
      await tx.$executeRaw`
        UPDATE reconciliation_reports SET
          missing = replace(missing::text, ${JSON.stringify(value)}, ${JSON.stringify(ERASED)})::jsonb,
          extra = replace(extra::text, ${JSON.stringify(value)}, ${JSON.stringify(ERASED)})::jsonb,
          mismatched = replace(mismatched::text, ${JSON.stringify(value)}, ${JSON.stringify(ERASED)})::jsonb
        WHERE (missing::text || extra::text || mismatched::text) LIKE ${`%${value}%`}`;
    }
    // Answers kept for Idempotency-Key replays may quote the lead (an Update's view of it).
    for (const id of leadIds) await tx.idempotentRequest.deleteMany({ where: { path: { startsWith: `/leads/${id}` } } });
  });
  // Last, the keys: should the database fail above, the erasure is repeated whole, keys included.
  for (const id of leadIds) await keys.erase(id);
  return { leadIds, workflowsTerminated };
}
