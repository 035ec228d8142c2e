// Every duration of the lifecycle is policy, passed into the workflow. Defaults are the trade's
// own figures (first call within hours, stale after 2–3 untouched days, re-engagement every 2–3
// months, deals of 3–4 months); tests run them unchanged under time-skipping.
import { z } from 'zod';
import { BusinessCalendar } from './calendar';
import { STALE_AFTER_BUSINESS_DAYS } from './staleness';
import { Duration } from './time';

// Each default is written once, in its field: a section left out whole is its own fields' defaults
// (parsed from `{}`, as the calendar is).

const FirstContactPolicy = z.object({
  /** Reminder to the owner when the first call has not happened (business hours). */
  reminderAfterBusinessHours: z.number().positive().default(4),
  /** Escalation to the team lead (business hours): one working day. */
  escalateAfterBusinessHours: z.number().positive().default(9),
  /** Untouched this long, a lead is stale (domain/staleness.ts) and is reassigned. */
  staleAfterBusinessDays: z.number().positive().default(STALE_AFTER_BUSINESS_DAYS),
  /** Unanswered calls before the lead counts as unreachable and goes to re-engagement. */
  maxNoAnswerAttempts: z.number().int().positive().default(5),
  /**
   * Stale reassignments before the lead stops moving between managers: it stays stale with
   * its owner and ops are told once, until someone touches it.
   */
  maxStaleReassignments: z.number().int().nonnegative().default(3),
});

/** Deal stage timeouts: each expiry creates a check-in task for the owner. */
const DealStageTimeouts = z.object({
  meeting: Duration.default('14 days'),
  proposal: Duration.default('21 days'),
  negotiation: Duration.default('30 days'),
  contract: Duration.default('30 days'),
  payment: Duration.default('30 days'),
});

const ReengagementPolicy = z.object({
  /** Stay in touch every 2–3 months. */
  interval: Duration.default('75 days'),
  /** How long a touch waits for the client's reply before the next cycle. */
  replyWindow: Duration.default('14 days'),
  maxAttempts: z.number().int().positive().default(12),
  /** A returning client keeps the original partner's credit within this window. */
  partnerCreditWindow: Duration.default('180 days'),
});

export const LeadPolicy = z.object({
  calendar: BusinessCalendar.default(BusinessCalendar.parse({})),
  firstContact: FirstContactPolicy.default(FirstContactPolicy.parse({})),
  /**
   * Business days the client has to answer the consent question; silence counts as "no". In
   * business days because the manager asks and follows up in working time: a lead qualified on a
   * Friday would otherwise lose most of a 3-calendar-day window to the weekend.
   */
  consentWindowBusinessDays: z.number().positive().default(3),
  /** The window in calendar time, as leads started before 'consent-window-business-days' count it. */
  consentWindow: Duration.default('3 days'),
  /**
   * With no manager free, a lead waits for a roster change (a signal); this re-check is only the
   * safety net for a change that signalled nobody (a manager added by hand in the database).
   */
  assignmentRecheck: Duration.default('7 days'),
  /** Time a partner has to accept or decline an offered lead (business days). */
  partnerAcceptanceBusinessDays: z.number().positive().default(2),
  /**
   * Business days a partner has to confirm a stop-contact order (the client withdrew consent):
   * that it stopped all contact and deleted the client's data. The order's task is due then, and
   * the hourly alarm sweep raises `stop_contact_overdue` for it once past. One business day
   * because stopping is immediate work (a call made after the withdrawal is a breach and a
   * complaint), the confirmation is a reply to a message the partner's desk reads the same
   * working day, and a silent partner found within a day leaves ops the rest of the statutory
   * period for destroying the data (152-FZ, art. 21) to chase it — not the other way round.
   */
  stopContactConfirmBusinessDays: z.number().positive().default(1),
  dealStageTimeouts: DealStageTimeouts.default(DealStageTimeouts.parse({})),
  reengagement: ReengagementPolicy.default(ReengagementPolicy.parse({})),
});
export type LeadPolicy = z.infer<typeof LeadPolicy>;
export type LeadPolicyInput = z.input<typeof LeadPolicy>;

export const defaultPolicy = (): LeadPolicy => LeadPolicy.parse({});

/**
 * How long personal data is kept (152-FZ, GDPR: no longer than its purpose needs). Read by the
 * retention sweep (activities/retention.ts), not by the lead workflow, so changing it needs no patch.
 */
export const PrivacyPolicy = z.object({
  /** After the client opts out or withdraws consent, the data is kept this long (claims, disputes), then erased. */
  erasureAfterOptOutDays: z.number().int().nonnegative().default(30),
  /** A lead with no activity this long (about 3 years) has its personal data erased. */
  erasureAfterInactiveDays: z
    .number()
    .int()
    .positive()
    .default(3 * 365),
  /** Ops are told this long before a lead is erased by the sweep (a task, and its e-mail). */
  noticeDays: z.number().int().nonnegative().default(14),
});
export type PrivacyPolicy = z.infer<typeof PrivacyPolicy>;
export const defaultPrivacyPolicy = (): PrivacyPolicy => PrivacyPolicy.parse({});
