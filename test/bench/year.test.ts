// The simulated year of `npm run bench:year` (bench/year/), small: 30 leads arriving over three
// weeks and four months for their deals, through the real worker, activities, PostgreSQL and codec
// under time-skipping — so CI proves the bench works, and that what it checks holds.
import { readFileSync } from 'node:fs';
import type { Db } from '../../platform/db';
import { simulateYear } from '../../bench/year/simulate';
import { isolatedDb } from '../helpers/db';
import { testCodec, timeSkippingEnv } from '../helpers/temporal';

jest.setTimeout(300_000);
let db: Db;
beforeAll(async () => {
  db = await isolatedDb();
});
afterAll(async () => db?.$disconnect());

test('a small simulated year: every lead worked, no nondeterminism, the ledger matches the payments to the kopeck', async () => {
  const codec = testCodec(db);
  const env = await timeSkippingEnv(codec);
  try {
    const r = await simulateYear({
      env,
      db,
      codec,
      workflowBundle: { code: readFileSync(process.env.WORKFLOW_BUNDLE_PATH!, 'utf8') },
      leads: 30,
      scale: 27_894 / 30,
      intakeWorkingDays: 15,
      tailDays: 130,
      seed: 16,
      concurrency: 4,
      replaySample: 10,
      log: () => undefined,
    });
    expect(r.leads).toBe(30);
    // Every lead was worked past intake: none left waiting for its first call.
    expect(r.outcomes.awaiting_first_contact ?? 0).toBe(0);
    expect(r.actor.updates).toBeGreaterThan(30);
    expect(r.actor.errors).toBe(0);
    expect(r.nondeterminismErrors).toMatchObject({ inRun: 0, replay: 0, replayOtherErrors: 0 });
    expect(r.nondeterminismErrors.replayedRuns).toBeGreaterThanOrEqual(10);
    expect(r.workflowTaskFailures).toBe(0);
    expect(r.eventsPerRun.max).toBeGreaterThan(0);
    // Deals were paid, and each payment's commission is in the ledger, to the kopeck.
    expect(r.ledger.commissionablePayments).toBeGreaterThan(0);
    expect(r.ledger.mismatchedLeads).toEqual([]);
    expect(r.ledger.bookedCommissionMinor).toBe(r.ledger.expectedCommissionMinor);
    expect(r.ledger.reconciles).toBe(true);
  } finally {
    await env.teardown();
  }
});
