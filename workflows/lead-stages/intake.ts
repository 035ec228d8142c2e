// A lead comes in: its first transition says from where, and a contact who wrote again after their
// last lead ended is linked to it (README, "Repeat contacts").
import { transition } from '../../domain/lifecycle';
import { type LeadRun, SYSTEM } from '../lead-run';

/** The first run's first transitions: received (from the partner or the channel), and the episode before, if any. */
export function receive(run: LeadRun): void {
  const { s, input } = run;
  transition(s, {
    type: 'received',
    actor: input.partnerId ? `partner:${input.partnerId}` : input.sourceChannel,
    reason: input.kind,
    now: Date.now(),
  });
  // A contact who wrote again after their lead ended: this lead is the next episode, and the
  // manager sees which one came before — and whether the client had opted out of it (README,
  // "Repeat contacts"). Only leads started with these inputs do this: no running lead has them.
  if (input.previousLeadId) {
    transition(s, {
      type: input.returnedAfterOptOut ? 'returned_after_opt_out' : 'returning_contact',
      actor: SYSTEM,
      now: Date.now(),
      reason: input.returnedAfterOptOut
        ? `previous episode ${input.previousLeadId} ended with an opt-out; ` +
          'the client wrote again: consent to be contacted about this inquiry only'
        : `previous episode ${input.previousLeadId}`,
    });
  }
}
