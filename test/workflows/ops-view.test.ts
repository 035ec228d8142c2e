// What ops see of a lead in the Temporal Web UI: a summary and details fixed at start (source ·
// topic · region, no personal data), current details (stage, manager, SLA due), timers named by
// what they wait for, and the SlaDueAt / StaleSince search attributes a visibility query filters on.
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { NativeConnection } from '@temporalio/worker';
import { leadWorkflowInput, startLeadWorkflow } from '../../platform/lead-start';
import { addBusinessTime, businessDayMs } from '../../domain/calendar';
import { defaultPolicy } from '../../domain/policy';
import { type leadWorkflow, leadWorkflowId } from '../../workflows/lead';
import * as M from '../../workflows/messages';
import { LeadStale, SlaDueAt, StaleSince } from '../../workflows/search-attributes';
import { seedLead, seedTeam } from '../helpers/db';
import { act, idle, skip, until, waitFor } from '../helpers/lead';
import { runWorker, testCodec, testDataConverter, timeSkippingStack } from '../helpers/temporal';

// Assignment compares all managers: this file keeps other files' managers out.
const t = timeSkippingStack({ isolated: true, seed: (db) => seedTeam(db, 2) });

const policy = defaultPolicy();
const HOUR = 3_600_000;
const PHONE = '+7 916 123-45-67';
const EMAIL = 'ivan.petrov@example.ru';

/** A lead registered as intake registers it (with contact data in PostgreSQL), started as intake starts it. */
async function startAsIntake(client: Client, taskQueue: string): Promise<{ leadId: string; handle: WorkflowHandle<typeof leadWorkflow> }> {
  // A client who typed their phone and e-mail into the topic: the free text is masked for the UI.
  const leadId = await seedLead(t.db, { topic: `crm, call me at ${PHONE} or ${EMAIL}` });
  const row = await t.db.lead.update({
    where: { id: leadId },
    data: { region: 'Moscow', personName: 'Ivan Petrov', phone: '+79161234567', email: EMAIL },
  });
  await startLeadWorkflow(client, taskQueue, leadWorkflowInput(row));
  const handle = client.workflow.getHandle<typeof leadWorkflow>(leadWorkflowId(leadId));
  await until(handle, (s) => !!s.managerId);
  return { leadId, handle };
}

/** The current details the Web UI reads (the SDK's built-in metadata query). */
async function currentDetails(handle: WorkflowHandle): Promise<string> {
  return (await handle.query<{ currentDetails?: string }>('__temporal_workflow_metadata')).currentDetails ?? '';
}

/** Every timer's summary, in the order the timers were started. */
async function timerSummaries(handle: WorkflowHandle): Promise<string[]> {
  const events = (await handle.fetchHistory()).events ?? [];
  // Timer summaries go through the payload codec like every payload (the Web UI decodes them
  // through the codec server): decoded here with the tests' codec.
  const codec = testCodec(t.db);
  return Promise.all(
    events
      .filter((e) => e.timerStartedEventAttributes)
      .map(async (e) => {
        const p = e.userMetadata?.summary;
        if (!p) return '(unnamed)';
        const [plain] = await codec.decode([p as Payload]);
        return defaultPayloadConverter.fromPayload<string>(plain!);
      }),
  );
}

type Description = Awaited<ReturnType<WorkflowHandle['describe']>>;

/** A value read from the workflow's description once `ok` holds (visibility follows the workflow). */
async function attribute<T>(handle: WorkflowHandle, read: (d: Description) => T, ok: (v: T) => boolean): Promise<T> {
  let v: T | undefined;
  await waitFor(async () => ok((v = read(await handle.describe()))));
  return v as T;
}

function expectNoPersonalData(text: string | undefined): void {
  expect(text).toBeDefined();
  for (const pii of ['Ivan', 'Petrov', PHONE, '916', '123-45-67', '79161234567', EMAIL, 'example.ru']) expect(text).not.toContain(pii);
}

test('a lead shows ops source, topic and region, its stage, manager and SLA due, and names its timers — no personal data', async () => {
  const { leadId, handle } = await startAsIntake(t.env.client, t.worker.taskQueue);
  const first = await handle.query(M.getState);
  const from = Date.parse(first.slaFrom);
  const reminderAt = addBusinessTime(policy.calendar, from, policy.firstContact.reminderAfterBusinessHours * HOUR);

  // Fixed at start: source · topic · region, with what the client typed into the topic masked.
  const described = await handle.describe();
  const summary = await described.staticSummary();
  const details = await described.staticDetails();
  expect(summary).toBe('web_form · crm, call me at … or … · Moscow · lead');
  expect(details).toContain(`**Lead** \`${leadId}\``);
  expect(details).toContain('- Source: web_form');
  expect(details).toContain('- Region: Moscow');
  expectNoPersonalData(summary);
  expectNoPersonalData(details);

  // Now: the stage, the manager and when the first-contact SLA's next step falls due.
  await waitFor(async () => (await currentDetails(handle)).includes('SLA reminder'));
  const now = await currentDetails(handle);
  expect(now).toContain(`**Lead:** ${summary}`);
  expect(now).toContain('**Stage:** awaiting_first_contact');
  expect(now).toContain(`**Manager:** ${first.managerId}`);
  expect(now).toContain(`**SLA due:** ${new Date(reminderAt).toISOString()} (first contact SLA reminder after 4 working hours)`);
  expectNoPersonalData(now);

  // The same deadline as a Datetime search attribute; not stale, so no StaleSince.
  const due = await attribute(
    handle,
    (d) => d.typedSearchAttributes.get(SlaDueAt),
    (v) => v !== undefined,
  );
  expect(due?.getTime()).toBe(reminderAt);
  expect((await handle.describe()).typedSearchAttributes.get(StaleSince)).toBeUndefined();
  expect(await timerSummaries(handle)).toEqual(['first contact SLA reminder after 4 working hours']);

  // Two business days untouched: stale (StaleSince), reassigned, and the ladder starts again.
  const staleAt = addBusinessTime(policy.calendar, from, policy.firstContact.staleAfterBusinessDays * businessDayMs(policy.calendar));
  await idle(handle);
  await t.env.sleep(staleAt + 60_000 - (await t.env.currentTimeMs()));
  const stale = await until(handle, (s) => s.stale && s.managerId !== first.managerId);
  const wentStale = (await handle.query(M.getHistory)).find((h) => h.type === 'stale')!.at;
  const since = await attribute(
    handle,
    (d) => d.typedSearchAttributes.get(StaleSince),
    (v) => v !== undefined,
  );
  expect(since?.toISOString()).toBe(wentStale);
  expect((await handle.describe()).typedSearchAttributes.get(LeadStale)).toBe(true);
  await waitFor(async () => (await currentDetails(handle)).includes(`**Manager:** ${stale.managerId}`));
  expect(await currentDetails(handle)).toContain(`**Stale since:** ${wentStale}`);
  expect(await timerSummaries(handle)).toEqual([
    'first contact SLA reminder after 4 working hours',
    'first contact SLA escalation to the team lead after 9 working hours',
    'first contact SLA: stale after 2 business days, reassigned',
    'first contact SLA reminder after 4 working hours', // the new manager's ladder
  ]);

  // Refused: re-engagement has no SLA — SlaDueAt and StaleSince are cleared, the wait is named.
  await act(handle, 'recordContact', { outcome: 'refused' }, `sales:${stale.managerId}`);
  await attribute(
    handle,
    (d) => d.typedSearchAttributes.get(SlaDueAt),
    (v) => v === undefined,
  );
  expect((await handle.describe()).typedSearchAttributes.get(StaleSince)).toBeUndefined();
  await waitFor(async () => (await timerSummaries(handle)).includes('re-engagement in 75 days'));
  await waitFor(async () => (await currentDetails(handle)).includes('**Stage:** reengagement'));
  expect(await currentDetails(handle)).toContain('**SLA due:** nothing due');

  // No reply to the touch: the lead continues as new. The new run has no static summary (the SDK
  // cannot pass one on and the server does not carry it over), so its current details repeat it.
  const firstRun = (await handle.describe()).runId;
  await skip(t.env, handle, policy.reengagement.interval);
  await until(handle, (s) => s.reengagement.attempt === 1);
  await skip(t.env, handle, policy.reengagement.replyWindow);
  await waitFor(async () => (await handle.describe()).runId !== firstRun);
  await waitFor(async () => (await currentDetails(handle)).includes('**Stage:** reengagement'));
  expect(await currentDetails(handle)).toContain(`**Lead:** ${summary}`);
  await waitFor(async () => (await timerSummaries(handle)).includes('re-engagement in 75 days'));
});

test('ops find the leads whose SLA falls due before a given instant with a visibility query (dev server)', async () => {
  // The time-skipping server has no visibility queries: this runs on the dev server of the test run.
  const address = process.env.TEMPORAL_ADDRESS!;
  const native = await NativeConnection.connect({ address });
  const worker = await runWorker(native, t.db);
  const connection = await Connection.connect({ address });
  const client = new Client({ connection, dataConverter: testDataConverter(t.db) });
  try {
    const { handle } = await startAsIntake(client, worker.taskQueue);
    const due = await attribute(
      handle,
      (d) => d.typedSearchAttributes.get(SlaDueAt),
      (v) => v !== undefined,
    );
    const found = async (before: number) => {
      const ids: string[] = [];
      const query = `WorkflowId = '${handle.workflowId}' AND SlaDueAt < '${new Date(before).toISOString()}'`;
      for await (const w of client.workflow.list({ query })) ids.push(w.workflowId);
      return ids;
    };
    await waitFor(async () => (await found(due!.getTime() + 1000)).length === 1);
    expect(await found(due!.getTime() + 1000)).toEqual([handle.workflowId]);
    expect(await found(due!.getTime() - 1000)).toEqual([]);
    // The dev server keeps the start summary too (the Web UI's list shows it).
    const described = await handle.describe();
    expect(await described.staticSummary()).toBe('web_form · crm, call me at … or … · Moscow · lead');
    await handle.terminate('test over');
  } finally {
    await worker.stop();
    await native.close();
    await connection.close();
  }
});
