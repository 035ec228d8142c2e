// A lead taken in through the API and brought to the offer stage by a sales caller: contacted,
// qualified for a partner, the client's consent recorded. Shared by the API tests that go on from
// there (notifications to partners, a withdrawn consent).
import type { Client } from '@temporalio/client';
import { leadWorkflowId } from '../../workflows/lead';
import { leadBody, type ApiStack } from './api';
import { act, until, waitFor, type LeadHandle } from './lead';

const anna = { actor: 'sales:anna' };
const consent = {
  given: true,
  askedBy: 'sales:anna',
  channel: 'phone' as const,
  wording: 'May a colleague call you? The consultation is free.',
};

/** The partners with `topic` among their expertise are offered it (`compare` of them). */
export async function offeredLead(
  on: { inject: ApiStack['inject']; temporal: Client; db: ApiStack['db'] },
  topic: string,
  compare = 1,
): Promise<{ leadId: string; handle: LeadHandle }> {
  const res = await on.inject({ method: 'POST', url: '/leads', payload: leadBody({ topic }) });
  expect(res.statusCode).toBe(201);
  const { leadId } = res.json() as { leadId: string };
  const handle: LeadHandle = on.temporal.workflow.getHandle(leadWorkflowId(leadId));
  await until(handle, (x) => x.stage === 'awaiting_first_contact' || x.stage === 'qualifying');
  await act(handle, 'recordContact', { outcome: 'reached' }, anna);
  const qualified = { target: true as const, route: 'partner' as const, reason: 'not our expertise', budgetMinor: 600_000_00, compare };
  await act(handle, 'qualify', qualified, anna);
  await act(handle, 'recordConsent', consent, anna);
  await until(handle, (x) => x.offers.length === compare);
  await waitFor(async () => (await on.db.task.count({ where: { leadId, kind: 'offer' } })) === compare);
  return { leadId, handle };
}
