// awaiting_consent: the manager asks the client whether we may pass their contacts to a partner;
// silence within the consent window (business days, the policy's) counts as no → re-engagement.
import * as wf from '@temporalio/workflow';
import { toReengagement } from '../../domain/lifecycle';
import { acts, type LeadRun, SYSTEM } from '../lead-run';
import { waitUntilDue } from './wait';

/** Ask the client's consent; silence within the window counts as no. */
export async function requestConsent(run: LeadRun): Promise<void> {
  const { s } = run;
  const { named } = run.visibility;
  await acts.createTask({
    key: run.taskKey(),
    leadId: s.leadId,
    assignee: run.owner(),
    kind: 'request_consent',
    title: 'Ask the client whether we may pass their contacts to a partner',
  });
  const answeredOrLeft = () => s.stage !== 'awaiting_consent';
  // Since this patch the window is counted in business days (see the policy for why).
  const answered = wf.patched('consent-window-business-days')
    ? await waitUntilDue(
        run,
        'consent',
        Date.now(),
        answeredOrLeft,
        () => `client's consent answer within ${run.policy.consentWindowBusinessDays} business days`,
      )
    : await wf.condition(answeredOrLeft, run.policy.consentWindow, named(`client's consent answer within ${run.policy.consentWindow}`));
  if (!answered) toReengagement(s, SYSTEM, `no consent within the consent window${run.fromPolicy()}`, Date.now(), 'consent_timeout');
}
