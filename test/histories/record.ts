// Records workflow histories of the lead lifecycle's main paths into test/histories/*.json.
// test/replay/replay.test.ts replays them against the current workflow code: a change that
// would break leads already running fails there (and needs patched() or a new workflow type).
// Run after a deliberate, compatible change of behaviour: `HISTORY_VERSION=v5 npm run histories:record`.
// It lives beside the tests because it drives leads with their helpers (the parts that need no jest
// runtime); that keeps it, like them, out of the production build (tsconfig.build.json).
// Existing files are kept — histories of old code are exactly what must keep replaying.
// A dry run writes elsewhere: `HISTORY_VERSION=vtest HISTORY_OUT=$(mktemp -d) npm run histories:record`.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import globalSetup from '../setup/global-setup';
import globalTeardown from '../setup/global-teardown';
import { seedLead, seedManager, seedPartner, testDb, uid } from '../helpers/db';
import { act, skip, startLead, until, type LeadHandle } from '../helpers/lead';
import { runWorker, testCodec, timeSkippingEnv } from '../helpers/temporal';
import { wakeLeadsWaitingForManager } from '../../platform/roster';
import { leadWorkflow } from '../../workflows/lead';

const OUT = process.env.HISTORY_OUT ?? __dirname;
const version = process.env.HISTORY_VERSION ?? 'v1';

async function main(): Promise<void> {
  await globalSetup();
  // Recorded encrypted, as leads run now: the tests' fixed key wraps each lead's data key, which
  // is saved beside its history (lead-keys/) so that the replay test can decrypt it.
  const db = testDb();
  const codec = testCodec(db);
  const env = await timeSkippingEnv(codec);
  const worker = await runWorker(env.nativeConnection, db, 'default', { codec });
  const by = { actor: 'sales:recorder' };
  try {
    await seedManager(db);
    await seedManager(db);
    const save = async (name: string, handle: LeadHandle, runId?: string) => {
      const file = join(OUT, `${version}-${name}.json`);
      if (existsSync(file)) return console.log(`kept ${file}`);
      const h = env.client.workflow.getHandle(handle.workflowId, runId);
      writeFileSync(file, historyToJSON(await h.fetchHistory()));
      // The lead's data key, wrapped by the tests' fixed key: the replay test's key store.
      const leadId = handle.workflowId.slice('lead-'.length);
      const key = await db.leadDataKey.findUnique({ where: { leadId } });
      if (key?.wrapped) {
        mkdirSync(join(OUT, 'lead-keys'), { recursive: true });
        writeFileSync(join(OUT, 'lead-keys', `${version}-${name}.json`), JSON.stringify({ [leadId]: { masterKeyId: key.masterKeyId, wrapped: Buffer.from(key.wrapped).toString('base64') } }, null, 2) + '\n');
      }
      console.log(`wrote ${file}`);
    };

    // Won by us, referred by a partner, paid in two parts.
    {
      const referrer = await seedPartner(db, { expertise: [uid('t')] });
      const { handle } = await startLead(env, db, worker.taskQueue, { partnerId: referrer, topic: 'crm' });
      await act(handle, 'recordContact', { outcome: 'reached' }, by);
      await act(handle, 'qualify', { target: true, route: 'ours', reason: 'fits', compare: 1 }, by);
      await skip(env, handle, '20 days');
      await act(handle, 'advanceDeal', { to: 'contract', valueMinor: 100_000_00, currency: 'RUB' }, by);
      await act(handle, 'recordPayment', { paymentId: 'a', amountMinor: 40_000_00, currency: 'RUB' }, by);
      await act(handle, 'recordPayment', { paymentId: 'b', amountMinor: 60_000_00, currency: 'RUB' }, by);
      await handle.result();
      await save('won-directly', handle);
    }
    // Handed off with consent: first partner declines, second accepts and wins.
    {
      const topic = uid('mobile');
      const p1 = await seedPartner(db, { expertise: [topic], grade: 5 });
      const p2 = await seedPartner(db, { expertise: [topic], grade: 4 });
      const { handle } = await startLead(env, db, worker.taskQueue, { topic });
      await act(handle, 'recordContact', { outcome: 'reached' }, by);
      await act(handle, 'qualify', { target: true, route: 'partner', reason: 'not ours', compare: 1 }, by);
      await act(handle, 'recordConsent', { given: true, askedBy: 'sales:recorder', channel: 'phone', wording: 'May we pass your contacts to a colleague?' }, by);
      await until(handle, (s) => s.offers.length === 1);
      await act(handle, 'partnerRespond', { partnerId: p1, accepted: false }, `partner:${p1}`);
      await until(handle, (s) => s.offers.length === 2);
      await act(handle, 'partnerRespond', { partnerId: p2, accepted: true }, `partner:${p2}`);
      await act(handle, 'advanceDeal', { to: 'contract', valueMinor: 500_000_00, currency: 'RUB' }, by);
      await act(handle, 'recordPayment', { paymentId: 'x', amountMinor: 500_000_00, currency: 'RUB' }, by);
      await handle.result();
      await save('handed-off-won', handle);
    }
    // Referred by one partner, handed off to another who wins: the referral commission (patched).
    {
      const topic = uid('erp');
      const referrer = await seedPartner(db, { expertise: [uid('own')] });
      const winner = await seedPartner(db, { expertise: [topic], grade: 5 });
      const { handle } = await startLead(env, db, worker.taskQueue, { partnerId: referrer, topic });
      await act(handle, 'recordContact', { outcome: 'reached' }, by);
      await act(handle, 'qualify', { target: true, route: 'partner', reason: 'theirs', compare: 1 }, by);
      await act(handle, 'recordConsent', { given: true, askedBy: 'sales:recorder', channel: 'phone', wording: 'May we pass your contacts to a colleague?' }, by);
      await until(handle, (s) => s.offers.length === 1);
      await act(handle, 'partnerRespond', { partnerId: winner, accepted: true }, `partner:${winner}`);
      await act(handle, 'advanceDeal', { to: 'contract', valueMinor: 300_000_00, currency: 'RUB' }, by);
      await act(handle, 'recordPayment', { paymentId: 'r', amountMinor: 300_000_00, currency: 'RUB' }, by);
      await handle.result();
      await save('referral-between-partners', handle);
    }
    // Untouched: reminder, escalation, stale and reassigned; then lost and re-engaged across runs.
    {
      const { handle } = await startLead(env, db, worker.taskQueue, { topic: 'crm' });
      await skip(env, handle, '5 days');
      await until(handle, (s) => s.stale);
      await act(handle, 'recordContact', { outcome: 'refused', note: 'not now' }, by);
      const firstRun = (await handle.describe()).runId;
      await skip(env, handle, '75 days');
      await until(handle, (s) => s.reengagement.attempt === 1);
      await skip(env, handle, '14 days');
      await save('stale-refused-reengaged', handle, firstRun);
      await until(handle, (s) => s.stage === 'reengagement');
      await act(handle, 'optOut', { reason: 'stop' }, by);
      await handle.result();
      await save('reengagement-opt-out', handle);
    }
    // Nobody free: the lead waits for a roster change (weekly re-check), is woken, then opts out.
    {
      const active = await db.manager.findMany({ where: { active: true }, select: { id: true } });
      await db.manager.updateMany({ data: { active: false } });
      const leadId = await seedLead(db);
      const handle = await env.client.workflow.start(leadWorkflow, {
        workflowId: `lead-${leadId}`, taskQueue: worker.taskQueue, args: [{ leadId, kind: 'lead', sourceChannel: 'web_form' }],
      });
      await until(handle, (s) => s.seq >= 2); // received, not_distributed
      await skip(env, handle, '10 days');
      await db.manager.updateMany({ where: { id: { in: active.map((m) => m.id) } }, data: { active: true } });
      await wakeLeadsWaitingForManager(db, env.client);
      await until(handle, (s) => !!s.managerId);
      await act(handle, 'optOut', { reason: 'found someone else' }, by);
      await handle.result();
      await save('roster-wait', handle);
    }
  } finally {
    await worker.stop();
    await env.teardown();
    await db.$disconnect();
    await globalTeardown();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
