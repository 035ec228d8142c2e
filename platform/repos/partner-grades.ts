// Regrading a partner: gathers the grade inputs from PostgreSQL, computes the grade
// (domain/grade.ts) and records it with its inputs. Run after every client feedback and every
// conflict change: by the API (api/plugins/partner-grades.ts) and, for workflows, by the partner
// activities (activities/partners.ts).
import { ApplicationFailure } from '@temporalio/common';
import { computeGrade } from '../../domain/grade';
import type { Db } from '../db';
import { HOUR } from '../../domain/time';

type Tx = Parameters<Parameters<Db['$transaction']>[0]>[0];

export interface Regraded {
  partnerId: string;
  /** The grade in force: the manual one when set, else the computed one. */
  grade: number;
  computed: number;
  overridden: boolean;
  /** false: too few client feedbacks to move the grade. */
  sampled: boolean;
}

/** Offers the partner answered: accepted, declined, or let expire (which counts as its slowest answer). */
const ANSWERED = ['accepted', 'declined', 'expired'];
const UNRESOLVED = ['open', 'discussed'];

export async function regradePartner(db: Db, partnerId: string, actor: string): Promise<Regraded> {
  return db.$transaction(async (tx) => {
    // One regrade at a time per partner: two feedbacks at once must not write grades out of order.
    await tx.$queryRaw`SELECT 1 AS locked FROM (SELECT pg_advisory_xact_lock(hashtextextended(${`grade:${partnerId}`}, 0))) AS l`;
    const partner = await tx.partner.findUnique({ where: { id: partnerId } });
    if (!partner) throw ApplicationFailure.nonRetryable(`unknown partner ${partnerId}`, 'UnknownPartner');

    const overridden = partner.gradeOverride !== null;
    const current = await computedBaseline(tx, partner);

    const feedback = await tx.partnerFeedback.findMany({ where: { partnerId }, select: { score: true, deadlinesKept: true } });
    const answered = await tx.partnerOffer.findMany({
      where: { partnerId, status: { in: ANSWERED }, respondedAt: { not: null } },
      select: { offeredAt: true, respondedAt: true },
    });
    const accepted = await tx.partnerOffer.count({ where: { partnerId, status: 'accepted' } });
    const won = await tx.lead.count({ where: { partnerId, stage: 'won' } });
    const unresolvedConflicts = await tx.partnerConflict.count({ where: { partnerId, status: { in: UNRESOLVED } } });

    const result = computeGrade({
      current,
      feedback,
      accepted,
      won,
      unresolvedConflicts,
      answerHours: answered.map((o) => Math.max(0, o.respondedAt!.getTime() - o.offeredAt.getTime()) / HOUR),
    });
    const grade = overridden ? partner.gradeOverride! : result.grade;
    if (!overridden && partner.grade !== grade) await tx.partner.update({ where: { id: partnerId }, data: { grade } });
    await tx.partnerGrade.create({
      data: {
        partnerId,
        grade: result.grade,
        source: 'computed',
        actor,
        // JSON round trip: the history keeps numbers and drops what was not measured.
        inputs: JSON.parse(
          JSON.stringify({
            ...result.measures,
            accepted,
            won,
            components: result.components,
            score: result.score,
            sampled: result.sampled,
          }),
        ),
        reason: !result.sampled
          ? 'fewer than 3 client feedbacks: the grade stays'
          : overridden
            ? `computed only: the manual grade ${partner.gradeOverride} stays in force`
            : null,
      },
    });
    return { partnerId, grade, computed: result.grade, overridden, sampled: result.sampled };
  });
}

/**
 * The grade the formula last settled on. Without an override it is the partner's grade; under
 * one, the computed grade lives on in the history only — the last computed row, else the grade
 * the partner had when the override was first set.
 */
async function computedBaseline(tx: Tx, partner: { id: string; grade: number; gradeOverride: number | null }): Promise<number> {
  if (partner.gradeOverride === null) return partner.grade;
  const lastComputed = await tx.partnerGrade.findFirst({ where: { partnerId: partner.id, source: 'computed' }, orderBy: { id: 'desc' } });
  if (lastComputed) return lastComputed.grade;
  const lastOverride = await tx.partnerGrade.findFirst({ where: { partnerId: partner.id, source: 'override' }, orderBy: { id: 'desc' } });
  return (lastOverride?.inputs as { previous?: number } | null)?.previous ?? partner.grade;
}

/**
 * A partner manager's grade, with the reason, wins over the computed one until lifted (`null`):
 * then the computed grade applies again at once. Both are kept in the grade history.
 */
export async function overrideGrade(db: Db, partnerId: string, grade: number | null, reason: string, actor: string): Promise<void> {
  await db.$transaction(async (tx) => {
    await tx.$queryRaw`SELECT 1 AS locked FROM (SELECT pg_advisory_xact_lock(hashtextextended(${`grade:${partnerId}`}, 0))) AS l`;
    const partner = await tx.partner.findUnique({ where: { id: partnerId } });
    if (!partner) throw ApplicationFailure.nonRetryable(`unknown partner ${partnerId}`, 'UnknownPartner');
    const previous = await computedBaseline(tx, partner);
    if (grade === null) {
      await tx.partner.update({ where: { id: partnerId }, data: { gradeOverride: null, gradeOverrideReason: null, grade: previous } });
      await tx.partnerGrade.create({
        data: {
          partnerId,
          grade: previous,
          source: 'override',
          reason: `override lifted: ${reason}`,
          actor,
          inputs: { previous, lifted: partner.gradeOverride },
        },
      });
    } else {
      await tx.partner.update({ where: { id: partnerId }, data: { gradeOverride: grade, gradeOverrideReason: reason, grade } });
      await tx.partnerGrade.create({ data: { partnerId, grade, source: 'override', reason, actor, inputs: { previous } } });
    }
  });
  if (grade === null) await regradePartner(db, partnerId, actor);
}
