// A partner leaving on 40 days' written notice: no new offers from the moment the notice is
// recorded, rotated out when the notice period ends. The production '40 days' under time-skipping.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Db } from '../../platform/db';
import { handoffActivities } from '../../activities/handoff';
import { givePartnerNotice, type NoticeDeps } from '../../api/partner-notice';
import { partnerExitWorkflow } from '../../workflows/partner-exit';
import { seedPartner, testDb, uid } from '../helpers/db';
import { skip } from '../helpers/lead';
import { runWorker, testCodec, timeSkippingEnv, type RunningWorker } from '../helpers/temporal';

let env: TestWorkflowEnvironment;
let db: Db;
let worker: RunningWorker;
let deps: NoticeDeps;

beforeAll(async () => {
  db = testDb();
  const codec = testCodec(db);
  env = await timeSkippingEnv(codec);
  worker = await runWorker(env.nativeConnection, db, 'default', { codec });
  deps = { db, temporal: env.client, taskQueue: worker.taskQueue };
});

afterAll(async () => {
  await worker?.stop();
  await env?.teardown();
  await db?.$disconnect();
});

const DAY = 86_400_000;
const pick = (topic: string) => handoffActivities(db).pickPartners({ leadId: uid('lead'), topic, exclude: [], count: 5 });
const statusOf = async (id: string) => (await db.partner.findUniqueOrThrow({ where: { id } })).status;

test('notice stops new offers at once; 40 days later the partner is rotated out', async () => {
  const topic = uid('erp');
  const leaving = await seedPartner(db, { expertise: [topic], grade: 5 });
  const reserve = await seedPartner(db, { expertise: [topic], grade: 3 });
  expect(await pick(topic)).toEqual([leaving, reserve]);

  const notice = await givePartnerNotice(deps, leaving);
  expect(notice).toMatchObject({ status: 'leaving', workflowId: `partner-exit-${leaving}`, replayed: false });
  // No waiting for the workflow: the very next pick has only the reserve partner.
  expect(await pick(topic)).toEqual([reserve]);

  const handle = env.client.workflow.getHandle<typeof partnerExitWorkflow>(notice!.workflowId);
  const startedAt = (await handle.describe()).startTime.getTime();
  await skip(env, handle, '39 days');
  expect(await statusOf(leaving)).toBe('leaving');
  expect((await handle.describe()).status.name).toBe('RUNNING');

  await skip(env, handle, '1 day');
  const out = await handle.result();
  expect(out).toMatchObject({ partnerId: leaving, status: 'rotated_out' });
  const row = await db.partner.findUniqueOrThrow({ where: { id: leaving } });
  expect(row.status).toBe('rotated_out');
  expect(row.closedAt?.toISOString()).toBe(out.closedAt);
  // Closed on the cluster's clock, when the 40 days ended.
  expect(row.closedAt!.getTime() - startedAt).toBeGreaterThanOrEqual(40 * DAY);
  expect(row.closedAt!.getTime() - startedAt).toBeLessThan(40 * DAY + 60_000);
  expect(await pick(topic)).toEqual([reserve]);
});

test('a second notice returns the first and starts no second exit, before or after the partner left', async () => {
  const partnerId = await seedPartner(db, { expertise: [uid('bi')] });
  const first = await givePartnerNotice(deps, partnerId);
  const handle = env.client.workflow.getHandle(first!.workflowId);
  const run = (await handle.describe()).runId;

  const second = await givePartnerNotice(deps, partnerId);
  expect(second).toEqual({ ...first, replayed: true });
  expect((await handle.describe()).runId).toBe(run);

  await skip(env, handle, '40 days');
  await handle.result();
  const third = await givePartnerNotice(deps, partnerId);
  expect(third).toMatchObject({ status: 'rotated_out', noticeAt: first!.noticeAt, replayed: true });
  expect(await handle.describe()).toMatchObject({ runId: run, status: { name: 'COMPLETED' } });
  expect(await givePartnerNotice(deps, uid('nobody'))).toBeUndefined();
});
