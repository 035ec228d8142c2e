// Work queues: which open tasks a lead's own transitions complete. A task that stands for a lead
// action (call the lead, verify the interest, ask consent, answer an offer, re-engage) is done
// by that action itself, so nobody has to tick it off twice; what is left open is real work.

/** Tasks that ask someone to reach the client: any recorded contact with the client does them. */
export const CONTACT_TASKS = ['first_contact', 'sla_reminder', 'sla_escalation', 'repeat_inquiry', 'reengagement', 'reassigned'] as const;

/** A follow-up a person set when completing a task (POST /tasks/:key/complete with `next`). */
export const FOLLOW_UP = 'follow_up';

export interface TasksDone {
  kinds: readonly string[];
  /** Only this assignee's tasks (a partner's answer does only its own offer). */
  assignee?: string;
}

/**
 * The open tasks of the lead a transition completes, by the transition's type (see
 * domain/lifecycle.ts `apply`): recordContact → contacted | no_answer | refused | unreachable;
 * verifyInterest → verified; recordConsent → consent_given | consent_refused; partnerRespond →
 * partner_accepted | partner_declined (reason starts with the partner id); reengagementOutcome →
 * returned | reengagement_declined (a repeat inquiry that brings the client back is `returned` too).
 */
export function tasksDoneBy(t: { type: string; reason?: string | null }): TasksDone | undefined {
  switch (t.type) {
    case 'contacted':
    case 'no_answer':
    case 'refused':
    case 'unreachable':
    case 'verified':
    case 'returned':
    case 'reengagement_declined':
      return { kinds: CONTACT_TASKS };
    case 'consent_given':
    case 'consent_refused':
      return { kinds: ['request_consent'] };
    case 'partner_accepted':
    case 'partner_declined': {
      // reason: `<partnerId>` or `<partnerId>: <why>` (lifecycle.ts).
      const partnerId = t.reason?.split(': ')[0];
      return partnerId ? { kinds: ['offer'], assignee: `partner:${partnerId}` } : undefined;
    }
    default:
      return undefined;
  }
}

/**
 * The key of the follow-up set on completing `key`: deterministic, so it is made once, and it
 * keeps the lead's sequence number that workflow keys (`<leadId>:<seq>[:…]`) carry.
 */
export function followUpKey(key: string): string {
  const m = /^(.*):next(\d+)$/.exec(key);
  return m ? `${m[1]}:next${Number(m[2]) + 1}` : `${key}:next1`;
}

/** A task as the lead workflow and the API create it: idempotent on its key. */
export interface NewTask {
  key: string;
  leadId: string;
  assignee: string;
  kind: string;
  title: string;
  dueAt?: string;
}
