// reengagement: a refused or lost client is touched every 75 days (the policy's interval), with a
// reply window; one workflow run per cycle (continue-as-new). Out of attempts → closed.
import { close, transition } from '../../domain/lifecycle';
import { acts, type LeadRun, SYSTEM } from '../lead-run';
import { waitUntilDue } from './wait';

/** Refused or lost: a touch every 2–3 months until the client returns, opts out or attempts run out. */
export async function reengage(run: LeadRun): Promise<void> {
  const { s } = run;
  if (s.reengagement.attempt >= run.policy.reengagement.maxAttempts) {
    close(s, 'attempts_exhausted', SYSTEM, Date.now(), `${s.reengagement.attempt} re-engagement attempts`);
    return;
  }
  const left = () => s.stage !== 'reengagement';
  if (await waitUntilDue(run, 'reengagement_touch', Date.now(), left, () => `re-engagement in ${run.policy.reengagement.interval}`)) return;
  s.reengagement.attempt += 1;
  s.reengagement.touchedAt = new Date().toISOString();
  const attempt = `attempt ${s.reengagement.attempt} of ${run.policy.reengagement.maxAttempts}`;
  transition(s, { type: 'reengagement_touch', actor: SYSTEM, reason: `${attempt}${run.fromPolicy()}`, now: Date.now() });
  await acts.createTask({
    key: run.taskKey(),
    leadId: s.leadId,
    assignee: run.owner(),
    kind: 'reengagement',
    title: `Re-engage the client${s.topic ? ` about ${s.topic}` : ''} (attempt ${s.reengagement.attempt})`,
  });
  if (
    await waitUntilDue(
      run,
      'reengagement_reply',
      Date.now(),
      left,
      () => `client's reply to re-engagement within ${run.policy.reengagement.replyWindow}`,
    )
  )
    return;
  transition(s, { type: 'no_reply', actor: SYSTEM, reason: `attempt ${s.reengagement.attempt}`, now: Date.now() });
  await run.carryOn();
}
