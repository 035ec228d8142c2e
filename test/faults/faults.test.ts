// The fault suite (issue 11): the product as deployed — PostgreSQL, the Temporal dev server on its
// SQLite file, the worker and the API, each its own OS process — under the faults production
// meets: a worker SIGKILLed mid-work, Temporal SIGKILLed and restarted, PostgreSQL stopped for
// 60 s, racing duplicate intakes and payments, and an opted-out contact who writes again.
// Each scenario checks with counts and prints its figures (✓ / ✗ per check); the last test checks
// the invariants over everything the suite did: leads = workflows = read-model rows, ledger keys
// unique, every accepted POST audited, no 500, no request past the deadline.
//
// `npm run test:faults` (jest.faults.config.js). Every process's log is kept in a temp folder;
// a failing scenario prints their tails and the folder is kept.
import { randomUUID } from 'node:crypto';
import {
  caughtUp,
  leadBody,
  listedLeadWorkflows,
  readModel,
  runsOf,
  sleep,
  triggerSweepers,
  unaudited,
  waitUntil,
  leadWorkflowId,
  workflowState,
  workflowStatus,
} from './harness/checks';
import { CLIENT_SLACK_MS, describeSent, summary, violations, type Sent } from './harness/http';
import { DEADLINE_MS, FaultStack, PARTNERS } from './harness/stack';
import { Verdict } from './harness/verdict';

const stack = new FaultStack();
let failed = false;
const log = (m: string) => process.stdout.write(`[faults] ${m}\n`);
const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/**
 * Issue 11 item 8: after a worker crash the read model catches up with the workflows within this,
 * counted from when the restarted worker can have every lead's work: its restart, or — for the
 * workflow tasks the killed worker had taken — Temporal's workflow task timeout after the kill
 * (10 s, the server's default, which lead workflows keep), whichever is later. Until that timeout
 * no worker can take those tasks; the worker now restarts in ≈ 2.5 s (it loads a bundle file
 * instead of bundling), well inside it.
 */
const RECOVERY_AIM_MS = 10_000;
const WORKFLOW_TASK_TIMEOUT_MS = 10_000;
/** Issue 11: "PostgreSQL stopped 60 s", the production figure. */
const PG_OUTAGE_MS = 60_000;
/** Issue 11 item 2: "7 such rows after one 15 s outage" of Temporal. */
const TEMPORAL_OUTAGE_MS = 15_000;

beforeAll(async () => {
  try {
    await stack.start(log);
  } catch (err) {
    failed = true;
    process.stdout.write(stack.report() + '\n');
    throw err;
  }
}, 300_000);

afterAll(async () => {
  if (failed) log(`process logs kept in ${stack.logs}`);
  await stack.stop({ keepLogs: failed });
}, 180_000);

/**
 * A scenario: its requests are tagged with its name, its checks printed as they run; it fails
 * at the end with the list of checks that did not hold, and the tails of the process logs.
 */
function scenario(name: string, fn: (v: Verdict) => Promise<void>, timeoutMs: number): void {
  test(
    name,
    async () => {
      await restoreStack();
      stack.http.phase = name;
      log(`${name}`);
      const v = new Verdict(log);
      const t = Date.now();
      try {
        await fn(v);
      } catch (err) {
        v.check('the scenario ran to its end', false, err instanceof Error ? err.message : String(err));
      } finally {
        await restoreStack().catch((err: unknown) => v.check('the stack could be restored', false, String(err)));
      }
      log(`${name}: ${v.failed.length ? `${v.failed.length} check(s) FAILED` : 'passed'} in ${secs(Date.now() - t)}`);
      if (v.failed.length) {
        failed = true;
        log(`process logs:\n${stack.report()}`);
      }
      expect(v.failed).toEqual([]);
    },
    timeoutMs,
  );
}

/** Whatever a scenario left down is started again, so the next one runs on a whole stack. */
async function restoreStack(): Promise<void> {
  if (!stack.postgresRunning) await stack.startPostgres();
  if (!stack.temporalRunning) await stack.startTemporal();
  if (!stack.worker.running) await stack.startWorker();
  if (!stack.api.running) await stack.startApi();
}

const accepted = (s: Sent) => s.status >= 200 && s.status < 300;
const leadIdOf = (s: Sent) => (s.body as { leadId?: string } | undefined)?.leadId;
const count = async (sql: string, params: unknown[]) => Number((await stack.db.query<{ n: string }>(sql, params)).rows[0]!.n);

/** `n` calls of `fn`, at most `limit` at a time. */
async function inBatches<T>(n: number, limit: number, fn: () => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < n; i += limit) out.push(...(await Promise.all(Array.from({ length: Math.min(limit, n - i) }, fn))));
  return out;
}

/** Polls a lead through the API until `check` holds on its state. */
async function untilLead(
  leadId: string,
  check: (s: Record<string, unknown>) => boolean,
  timeoutMs = 30_000,
): Promise<Record<string, unknown>> {
  let last: Sent | undefined;
  await waitUntil(
    `lead ${leadId} in the expected state`,
    async () => {
      last = await stack.http.get('sales', `/leads/${leadId}`);
      return last.status === 200 && check(last.body as Record<string, unknown>);
    },
    timeoutMs,
    200,
  ).catch((err: Error) => {
    throw new Error(`${err.message}; last answer ${last?.status} ${JSON.stringify(last?.body)?.slice(0, 300)}`);
  });
  return last!.body as Record<string, unknown>;
}

/** Leads of the first scenario, at rest in awaiting_first_contact: the outages act on them. */
let workedLeads: string[] = [];
/** Lead rows written while Temporal was down: the intake sweeper starts their workflows. */
let outageLeads: string[] = [];

describe('fault suite (issue 11)', () => {
  scenario(
    '1. worker SIGKILL mid-work, restarted',
    async (v) => {
      // 40 leads, eight intakes at a time, each retried (same Idempotency-Key) until taken in: this
      // scenario is about the worker (intake under a burst is scenario 4's; every answer counts in
      // the global invariants).
      const before = (await stack.db.query<{ id: string }>('SELECT id FROM leads')).rows.map((r) => r.id);
      const intake = inBatches(40, 8, async () => {
        const key = `faults-w-${randomUUID()}`;
        const body = leadBody();
        let res = await stack.http.post('sales', '/leads', body, { 'idempotency-key': key });
        for (let i = 0; i < 5 && !accepted(res); i++)
          res = await sleep(1000).then(() => stack.http.post('sales', '/leads', body, { 'idempotency-key': key }));
        return res;
      });
      // Kill as soon as the worker has visibly started on them: the rest are in flight (or still
      // being taken in, which needs no worker).
      await waitUntil(
        'a first lead assigned',
        async () => (await count('SELECT count(*) AS n FROM leads WHERE manager_id IS NOT NULL AND NOT (id = ANY($1))', [before])) > 0,
        60_000,
        20,
      );
      await stack.worker.kill();
      const killedAt = Date.now();
      // Restarted at once, as a supervisor would; it bundles the workflows before it polls.
      const restarted = stack.startWorker();
      restarted.catch(() => undefined); // awaited below; this only keeps an early failure from counting as unhandled
      const first = await intake;
      const burst = stack.http.of(stack.http.phase);
      v.check('every intake taken in at the first attempt', burst.every(accepted), summary(burst));
      const leads = first.filter(accepted).map((s) => leadIdOf(s)!);
      v.check('every lead is taken in (after retries)', leads.length === 40, `${leads.length} of 40`);
      const doneAtKill = await count(
        `SELECT count(*) AS n FROM leads l WHERE id = ANY($1) AND manager_id IS NOT NULL
      AND EXISTS (SELECT 1 FROM tasks t WHERE t.lead_id = l.id AND t.kind = 'first_contact')`,
        [leads],
      );
      v.check(
        'the kill hit work in flight',
        doneAtKill < leads.length,
        `${leads.length - doneAtKill} of ${leads.length} leads unfinished at the kill`,
      );

      await restarted;
      const pollingAt = Date.now();
      const confirmed = new Set<string>();
      let tasked = 0;
      const done = await v.step('every lead assigned, its first-contact task created for its manager, its read model caught up', () =>
        waitUntil(
          'recovery',
          async () => {
            await caughtUp(stack.db, stack.temporal, leads, confirmed, (s) => s.stage === 'awaiting_first_contact' && !!s.managerId);
            // The task is the manager's the workflow names (the read model is checked against it):
            // a step run again after the kill picks the manager its first run gave the task to.
            tasked = await count(
              `SELECT count(DISTINCT t.lead_id) AS n FROM tasks t JOIN leads l ON l.id = t.lead_id
                WHERE t.kind = 'first_contact' AND t.lead_id = ANY($1) AND t.assignee = 'manager:' || l.manager_id`,
              [leads],
            );
            return confirmed.size === leads.length && tasked === leads.length;
          },
          120_000,
          250,
        ).catch((err: Error) => {
          throw new Error(`${err.message}: ${confirmed.size}/${leads.length} caught up, ${tasked} with a task for their manager`);
        }),
      );
      const caughtUpAt = Date.now();
      const lag = caughtUpAt - pollingAt;
      const from = Math.max(pollingAt, killedAt + WORKFLOW_TASK_TIMEOUT_MS);
      log(
        `worker SIGKILL: ${leads.length} leads, ${leads.length - doneAtKill} in flight at the kill; new worker polling ${secs(pollingAt - killedAt)} ` +
          `after the kill; read model caught up ${done === undefined ? 'NOT within 120 s' : `${secs(lag)} after the restart (${secs(lag + pollingAt - killedAt)} after the kill)`}`,
      );
      v.check(
        `issue 11 item 8: the read model catches up within ${secs(RECOVERY_AIM_MS)} of the worker's restart ` +
          `(or of the workflow task timeout, ${secs(WORKFLOW_TASK_TIMEOUT_MS)} after the kill, when later)`,
        done !== undefined && caughtUpAt - from < RECOVERY_AIM_MS,
        `${secs(caughtUpAt - from)} after ${from === pollingAt ? 'the restart' : 'the timeout'}`,
      );
      workedLeads = leads;
    },
    300_000,
  );

  scenario(
    '2. Temporal SIGKILL, restarted on the same SQLite file',
    async (v) => {
      const before = new Set((await stack.db.query<{ id: string }>('SELECT id FROM leads')).rows.map((r) => r.id));
      await stack.killTemporal();
      const downAt = Date.now();
      const inFlight: Array<Promise<Sent>> = [];
      for (let i = 0; Date.now() - downAt < TEMPORAL_OUTAGE_MS; i++) {
        inFlight.push(stack.http.post('sales', '/leads', leadBody(), { 'idempotency-key': `faults-t-${randomUUID()}` }));
        const lead = workedLeads[i % Math.max(1, workedLeads.length)];
        if (lead && i % 3 === 0) inFlight.push(stack.http.get('sales', `/leads/${lead}`));
        if (lead && i % 3 === 1)
          inFlight.push(
            stack.http.post('sales', `/leads/${lead}/contact`, { outcome: 'no_answer' }, { 'idempotency-key': `faults-t-${randomUUID()}` }),
          );
        if (i % 3 === 2) inFlight.push(stack.http.get('sales', '/leads?limit=5'));
        await sleep(500);
      }
      const workerSurvived = stack.worker.running;
      const restartAt = Date.now();
      await stack.startTemporal();
      const upAt = Date.now();
      const sent = await Promise.all(inFlight);
      const intakes = sent.filter((s) => s.method === 'POST' && s.path === '/leads');
      const registered = intakes.filter(accepted).map((s) => leadIdOf(s)!);
      log(
        `Temporal down ${secs(restartAt - downAt)} (restart ${secs(upAt - restartAt)}): all ${summary(sent)}; intake ${summary(intakes)}; ` +
          `worker ${workerSurvived ? 'survived' : 'EXITED (a supervisor would restart it; the suite does)'}`,
      );

      v.check(
        'intake during the outage answers 503 + Retry-After, or the registered lead with its id',
        intakes.every((s) => s.status === 503 || (accepted(s) && !!leadIdOf(s))),
        describeSent(intakes.filter((s) => !(s.status === 503 || accepted(s)))),
      );
      const bad = violations(sent, DEADLINE_MS);
      v.check(
        'no 500, every 503 with Retry-After, none past the deadline',
        bad.length === 0,
        bad.length ? `${bad.length} wrong:\n${describeSent(bad, 5)}` : undefined,
      );

      // Every lead row written since the outage began (answered with its id or not) gets its
      // workflow: those created once Temporal answered at once, the registered ones from the intake
      // sweeper, which leaves a lead alone for its first minute. This scenario waits a little; the
      // global invariants, two minutes on, wait for the rest.
      if (!stack.worker.running) await stack.startWorker();
      const triggered = await triggerSweepers(stack.temporal);
      const rows = async () =>
        (await stack.db.query<{ id: string }>('SELECT id FROM leads')).rows.map((r) => r.id).filter((id) => !before.has(id));
      const newRows = await rows();
      v.check(
        'every lead answered with its id is in the registry',
        registered.every((id) => newRows.includes(id)),
        `${registered.length} answered with an id, ${newRows.length} rows written`,
      );
      const created = intakes
        .filter((s) => accepted(s) && (s.body as { status?: string }).status !== 'registered')
        .map((s) => leadIdOf(s)!);
      const missing = async (ids: string[]) => {
        const out: string[] = [];
        for (const id of ids) if ((await workflowStatus(stack.temporal, id)) === 'NONE') out.push(id);
        return out;
      };
      let createdWithout: string[] = [];
      await waitUntil(
        'created leads have workflows',
        async () => (createdWithout = await missing(created)).length === 0,
        30_000,
        1000,
      ).catch(() => undefined);
      v.check(
        'every lead answered as created (not registered) has its workflow',
        createdWithout.length === 0,
        `${created.length} created, ${createdWithout.length} without`,
      );
      await sleep(10_000);
      const pending = await missing(newRows);
      outageLeads = newRows;
      log(
        `after the outage: ${newRows.length} lead rows written during it (${registered.length} answered with their id, ${created.length} as created); ` +
          `${secs(Date.now() - upAt)} after the restart ${pending.length} still wait for their workflow (the global invariants check them); ` +
          `schedules triggered: ${triggered.join(', ') || 'none'}`,
      );
    },
    300_000,
  );

  scenario(
    '3. PostgreSQL stopped 60 s, started again',
    async (v) => {
      await stack.stopPostgres();
      const downAt = Date.now();
      const inFlight: Array<Promise<Sent>> = [];
      const targets = workedLeads.slice(0, 30);
      for (let i = 0; Date.now() - downAt < PG_OUTAGE_MS; i++) {
        inFlight.push(stack.http.post('sales', '/leads', leadBody(), { 'idempotency-key': `faults-p-${randomUUID()}` }));
        inFlight.push(stack.http.get('sales', '/leads?limit=5'));
        const lead = targets[i % Math.max(1, targets.length)];
        if (lead) inFlight.push(stack.http.get('sales', `/leads/${lead}`));
        // A staff action: it changes the workflow, so it must be audited — or refused.
        if (lead && i % 2 === 0)
          inFlight.push(
            stack.http.post(
              'sales',
              `/leads/${targets[(i / 2) % targets.length]}/contact`,
              { outcome: 'no_answer' },
              { 'idempotency-key': `faults-p-${randomUUID()}` },
            ),
          );
        if (i % 10 === 0) inFlight.push(stack.http.send('nobody', 'GET', '/ready'));
        await sleep(1000);
      }
      const restartAt = Date.now();
      await stack.startPostgres();
      const upAt = Date.now();
      const sent = await Promise.all(inFlight);
      const api = sent.filter((s) => s.path !== '/ready');
      log(
        `PostgreSQL down ${secs(restartAt - downAt)} (restart ${secs(upAt - restartAt)}): all ${summary(api)}; ` +
          `POSTs ${summary(api.filter((s) => s.method === 'POST'))}; worker ${stack.worker.running ? 'survived' : 'EXITED'}, API ${stack.api.running ? 'survived' : 'EXITED'}`,
      );

      const bad = violations(api, DEADLINE_MS);
      v.check(
        'no 500, every 503 with Retry-After, none past the deadline',
        bad.length === 0,
        bad.length ? `${bad.length} wrong:\n${describeSent(bad, 5)}` : undefined,
      );
      const ready = sent.filter((s) => s.path === '/ready');
      v.check(
        '/ready answers 503 while the database is down',
        ready.every((s) => s.status === 503),
        ready.map((s) => s.status).join(', '),
      );
      const leaky = ready.filter(
        (s) => /127\.0\.0\.1|ECONNREFUSED|localhost/.test(JSON.stringify(s.body)) || JSON.stringify(s.body).includes(String(stack.pgPort)),
      );
      v.check(
        '/ready tells no internal error text (host, port, driver message)',
        leaky.length === 0,
        leaky.length ? JSON.stringify(leaky[0]!.body).slice(0, 300) : undefined,
      );

      // Nothing accepted is lost: every accepted intake is a lead with its workflow; every accepted POST is audited.
      const acceptedIntakes = api.filter((s) => s.method === 'POST' && s.path === '/leads' && accepted(s));
      const lost: string[] = [];
      for (const s of acceptedIntakes) if ((await workflowStatus(stack.temporal, leadIdOf(s)!)) === 'NONE') lost.push(leadIdOf(s)!);
      v.check(
        'every intake accepted during the outage has its workflow',
        lost.length === 0,
        `${acceptedIntakes.length} accepted, ${lost.length} without`,
      );
      const posts = api.filter((s) => s.method === 'POST' && accepted(s));
      const missing = await unaudited(
        stack.db,
        posts.map((s) => s.requestId),
      );
      v.check(
        'every POST accepted during the outage has its audit_log row',
        missing.length === 0,
        `${posts.length} accepted, ${missing.length} without`,
      );

      // How long the read model of the leads worked during the outage takes to catch up with their workflows.
      const confirmed = new Set<string>();
      const ids = [...new Set([...targets, ...acceptedIntakes.map((s) => leadIdOf(s)!)])];
      const done = await v.step('the read model catches up with the workflows once PostgreSQL is back', () =>
        waitUntil(
          'caught up',
          async () => {
            await caughtUp(stack.db, stack.temporal, ids, confirmed);
            return confirmed.size === ids.length;
          },
          90_000,
          500,
        ).catch((err: Error) => {
          throw new Error(`${err.message}: ${confirmed.size}/${ids.length}`);
        }),
      );
      log(
        `PostgreSQL back: read model of ${ids.length} leads ${done === undefined ? 'NOT caught up' : `caught up ${secs(Date.now() - upAt)} after the restart`}`,
      );
    },
    360_000,
  );

  scenario(
    '4. 100 racing duplicate intakes: same external id, same Idempotency-Key, same phone',
    async (v) => {
      const partner = PARTNERS[0];
      const externalId = `ext-${randomUUID()}`;
      const sameExternal = leadBody({ source: { channel: 'partner', partnerId: partner, externalId } });
      const key = `faults-dup-${randomUUID()}`;
      const sameKey = leadBody();
      const phone = leadBody().phone;
      const races: Array<{ name: string; send: () => Promise<Sent> }> = [
        { name: 'same external id', send: () => stack.http.post(partner, '/leads', sameExternal) },
        { name: 'same Idempotency-Key', send: () => stack.http.post('sales', '/leads', sameKey, { 'idempotency-key': key }) },
        { name: 'same phone', send: () => stack.http.post('sales', '/leads', leadBody({ phone })) },
      ];
      for (const race of races) {
        const sent = await Promise.all(Array.from({ length: 100 }, () => race.send()));
        const ids = new Set(sent.filter(accepted).map(leadIdOf));
        const created = sent.filter((s) => s.status === 201).length;
        log(`${race.name}: ${summary(sent)}; ${ids.size} lead id(s)`);
        const bad = violations(sent, DEADLINE_MS);
        v.check(
          `${race.name}: every answer 2xx, none past the deadline`,
          sent.every(accepted) && bad.length === 0,
          [summary(sent), describeSent([...bad, ...sent.filter((s) => !accepted(s))], 3)].filter(Boolean).join('\n'),
        );
        v.check(`${race.name}: one lead, created once`, ids.size === 1 && created === 1, `${ids.size} lead ids, ${created} × 201`);
        const leadId = [...ids][0];
        if (!leadId) continue;
        await waitUntil(
          `${race.name}: the lead's workflow is listed`,
          async () => (await runsOf(stack.temporal, leadWorkflowId(leadId))) > 0,
          20_000,
        ).catch(() => undefined);
        const runs = await runsOf(stack.temporal, leadWorkflowId(leadId));
        v.check(`${race.name}: one workflow, one run`, runs === 1, `${runs} runs`);
      }
      const rows = await count('SELECT count(*) AS n FROM leads WHERE phone = $1 OR external_id = $2 OR intake_key = $3', [
        phone,
        externalId,
        `key:${key}`,
      ]);
      v.check('three races, three lead rows', rows === 3, `${rows} rows`);
      // The 99 repeats of one phone tell its lead once (api/intake.ts `deliverOnce`), every one recorded.
      const told = await count(
        'SELECT count(*) AS n FROM inquiries i JOIN leads l ON l.id = i.lead_id WHERE l.phone = $1 AND i.duplicate AND i.coalesced_into IS NULL',
        [phone],
      );
      const folded = await count(
        'SELECT count(*) AS n FROM inquiries i JOIN leads l ON l.id = i.lead_id WHERE l.phone = $1 AND i.coalesced_into IS NOT NULL',
        [phone],
      );
      v.check(
        'same phone: 99 repeats recorded, the lead signalled once',
        told === 1 && folded === 98,
        `${told} signalled, ${folded} folded into it`,
      );
    },
    240_000,
  );

  scenario(
    '5. 50 racing duplicate payments (same paymentId, signed deal)',
    async (v) => {
      const partner = PARTNERS[0];
      const agreement = await stack.http.post('ops', `/partners/${partner}/agreements`, {
        model: 'percent_of_paid',
        percentBps: 1000,
        currency: 'RUB',
        holdingDays: 0,
      });
      v.check('the referring partner has an agreement (10 %)', agreement.status === 201, `${agreement.status}`);
      const intake = await stack.http.post(
        partner,
        '/leads',
        leadBody({ source: { channel: 'partner', partnerId: partner, externalId: `ext-${randomUUID()}` } }),
      );
      const leadId = leadIdOf(intake)!;
      await untilLead(leadId, (s) => !!s.managerId);
      for (const [path, body] of [
        ['contact', { outcome: 'reached' }],
        ['qualify', { target: true, route: 'ours', reason: 'fits our offer' }],
        ['deal', { to: 'contract', valueMinor: 1_000_000, currency: 'RUB' }],
      ] as const) {
        const res = await stack.http.post('sales', `/leads/${leadId}/${path}`, body);
        if (res.status !== 200) throw new Error(`${path}: ${res.status} ${JSON.stringify(res.body)}`);
      }
      const payment = { paymentId: `pay-${randomUUID()}`, amountMinor: 250_000, currency: 'RUB' };
      const key = `faults-pay-${randomUUID()}`;
      // Half carry one Idempotency-Key (one Update id), half none (the workflow dedupes on paymentId).
      const sent = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          stack.http.post('sales', `/leads/${leadId}/payments`, payment, i % 2 ? { 'idempotency-key': key } : {}),
        ),
      );
      log(`payments: ${summary(sent)}`);
      const inFlight = (s: Sent) => s.status === 409 && String((s.body as { type?: string }).type).endsWith('idempotency-key-in-flight');
      v.check(
        'every answer 200 (or 409 key-in-flight)',
        sent.every((s) => s.status === 200 || inFlight(s)),
        describeSent(
          sent.filter((s) => !(s.status === 200 || inFlight(s))),
          3,
        ),
      );
      const late = violations(sent, DEADLINE_MS);
      v.check('none past the deadline', late.length === 0, late.length ? describeSent(late, 3) : undefined);

      const entries = async () =>
        (
          await stack.db.query<{ idempotency_key: string; amount_minor: string }>(
            `SELECT idempotency_key, amount_minor FROM ledger_entries WHERE lead_id = $1 AND kind LIKE 'commission%'`,
            [leadId],
          )
        ).rows;
      await waitUntil('the commission is booked', async () => (await entries()).length > 0, 30_000).catch(() => undefined);
      await sleep(2000); // a second booking, if any, would land by now
      const booked = await entries();
      const state = (await workflowState(stack.temporal, leadId)) as
        { deal: { paidMinor: number; payments: Array<{ paymentId: string }> } } | undefined;
      log(
        `payments: ${booked.length} ledger entr${booked.length === 1 ? 'y' : 'ies'} (${booked.map((e) => `${e.idempotency_key} = ${e.amount_minor}`).join('; ')}); ` +
          `the workflow counts ${state?.deal.payments.length} payment(s), ${state?.deal.paidMinor} paid`,
      );
      v.check(
        "one ledger entry, under the payment's key",
        booked.length === 1 && booked[0]!.idempotency_key === `commission:${leadId}:${partner}:${payment.paymentId}`,
        booked.map((e) => e.idempotency_key).join(', '),
      );
      v.check(
        'the workflow counts the payment once',
        state?.deal.payments.length === 1 && state.deal.paidMinor === payment.amountMinor,
        `${state?.deal.payments.length} payments, ${state?.deal.paidMinor} paid`,
      );
    },
    180_000,
  );

  scenario(
    '6. an opted-out contact writes again',
    async (v) => {
      const body = leadBody();
      const first = await stack.http.post('sales', '/leads', body);
      const oldId = leadIdOf(first)!;
      await untilLead(oldId, (s) => !!s.managerId);
      const out = await stack.http.post('sales', `/leads/${oldId}/opt-out`, { reason: 'asked us to stop' });
      if (out.status !== 200) throw new Error(`opt-out: ${out.status} ${JSON.stringify(out.body)}`);
      await waitUntil(
        'the opted-out lead is closed, its read model too',
        async () =>
          (await workflowStatus(stack.temporal, oldId)) === 'COMPLETED' &&
          (await readModel(stack.db, [oldId])).get(oldId)?.stage === 'closed',
        30_000,
      );
      const optedOutAt = new Date();
      const eventsBefore = await count('SELECT count(*) AS n FROM lead_events WHERE lead_id = $1', [oldId]);

      const again = await stack.http.post('sales', '/leads', { ...body, person: { name: 'Fault Suite, again' } });
      log(`the opted-out contact writes again: ${again.status} ${JSON.stringify(again.body)}`);
      v.check('the new inquiry is taken in', accepted(again), `${again.status}`);
      const newId = leadIdOf(again);
      await sleep(3000); // whatever the repeat contact sets off has run by now

      const newTasksOnOld = (
        await stack.db.query<{ kind: string }>('SELECT kind FROM tasks WHERE lead_id = $1 AND created_at > $2', [oldId, optedOutAt])
      ).rows.map((t) => t.kind);
      const newEventsOnOld = (await count('SELECT count(*) AS n FROM lead_events WHERE lead_id = $1', [oldId])) - eventsBefore;
      // Linked however the design records it: a column of the new lead's row, or what the API tells about it.
      const newRow = newId
        ? (await stack.db.query<Record<string, unknown>>('SELECT * FROM leads WHERE id = $1', [newId])).rows[0]
        : undefined;
      const told =
        newId && newId !== oldId
          ? [
              again.body,
              (await stack.http.get('sales', `/leads/${newId}`)).body,
              (await stack.http.get('sales', `/leads/${newId}/history`)).body,
            ]
          : [];
      const linked =
        !!newId &&
        newId !== oldId &&
        ((!!newRow && Object.entries(newRow).some(([k, value]) => k !== 'id' && value === oldId)) ||
          told.some((b) => JSON.stringify(b).includes(oldId)));
      const oldRuns = await runsOf(stack.temporal, leadWorkflowId(oldId));
      const oldStatus = await workflowStatus(stack.temporal, oldId);
      const oldStage = (await readModel(stack.db, [oldId])).get(oldId)?.stage;
      v.check('a new episode: a lead of its own', !!newId && newId !== oldId, `old ${oldId}, new ${newId}`);
      v.check('the new episode is linked to the old lead', linked);
      v.check('the new episode has its workflow', !!newId && newId !== oldId && (await workflowStatus(stack.temporal, newId)) !== 'NONE');
      v.check(
        'the old lead stays closed: one run, completed, read model closed',
        oldRuns === 1 && oldStatus === 'COMPLETED' && oldStage === 'closed',
        `${oldRuns} runs, ${oldStatus}, read model ${oldStage}`,
      );
      v.check(
        'no new task and no new event on the old lead',
        newTasksOnOld.length === 0 && newEventsOnOld === 0,
        `tasks: [${newTasksOnOld.join(', ')}], ${newEventsOnOld} events`,
      );
    },
    120_000,
  );

  scenario(
    'global invariants over the whole suite',
    async (v) => {
      await triggerSweepers(stack.temporal);
      const confirmed = new Set<string>();
      let listed = new Set<string>();
      let leadIds: string[] = [];
      let readModelRows = 0;
      const t = Date.now();
      let triggeredAt = Date.now();
      const met = await waitUntil(
        'leads = workflows = read-model rows',
        async () => {
          // The intake sweeper leaves a lead alone for its first minute and ticks every minute: nudge it.
          if (Date.now() - triggeredAt > 15_000) {
            triggeredAt = Date.now();
            await triggerSweepers(stack.temporal);
          }
          leadIds = (await stack.db.query<{ id: string }>('SELECT id FROM leads')).rows.map((x) => x.id);
          listed = await listedLeadWorkflows(stack.temporal);
          await caughtUp(stack.db, stack.temporal, leadIds, confirmed);
          readModelRows = await count('SELECT count(*) AS n FROM leads WHERE last_seq > 0', []);
          return listed.size === leadIds.length && readModelRows === leadIds.length && confirmed.size === leadIds.length;
        },
        120_000,
        1000,
      ).then(
        () => true,
        () => false,
      );
      const noWorkflow = leadIds.filter((id) => !listed.has(leadWorkflowId(id)));
      const noLead = [...listed].filter((w) => !leadIds.includes(w.replace(/^lead-/, '')));
      const behind = leadIds.filter((id) => !confirmed.has(id));
      log(
        `leads ${leadIds.length}, lead workflows ${listed.size}, read-model rows ${readModelRows}, read model = workflow for ${confirmed.size} ` +
          `(${met ? `met ${secs(Date.now() - t)} into the check` : 'NOT met within 120 s'})`,
      );
      const unswept = outageLeads.filter((id) => !listed.has(leadWorkflowId(id)));
      v.check(
        'every lead registered while Temporal was down has its workflow (intake sweep)',
        unswept.length === 0,
        `${outageLeads.length} registered, ${unswept.length} without`,
      );
      v.check('every lead has its workflow', noWorkflow.length === 0, `${noWorkflow.length} without: ${noWorkflow.slice(0, 3).join(', ')}`);
      v.check('every lead workflow has its lead', noLead.length === 0, `${noLead.length} without: ${noLead.slice(0, 3).join(', ')}`);
      v.check(
        'every lead has its read-model row, and it says what the workflow says',
        readModelRows === leadIds.length && behind.length === 0,
        `${readModelRows} rows written, ${behind.length} behind their workflow: ${behind.slice(0, 3).join(', ')}`,
      );

      const dupKeys = await count(
        'SELECT count(*) AS n FROM (SELECT idempotency_key FROM ledger_entries GROUP BY idempotency_key HAVING count(*) > 1) d',
        [],
      );
      const ledger = await count('SELECT count(*) AS n FROM ledger_entries', []);
      v.check('ledger keys unique', dupKeys === 0, `${ledger} entries, ${dupKeys} duplicate keys`);

      const all = stack.http.all.filter((s) => s.path !== '/ready');
      const posts = all.filter((s) => s.method === 'POST' && accepted(s));
      const missing = await unaudited(
        stack.db,
        posts.map((s) => s.requestId),
      );
      v.check('every accepted POST audited', missing.length === 0, `${posts.length} accepted, ${missing.length} without an audit row`);
      const errors = all.filter((s) => s.status >= 500 && s.status !== 503);
      v.check(
        'no 500 in any response',
        errors.length === 0,
        `${all.length} requests, ${errors.length} answered 5xx other than 503 (${[...new Set(errors.map((s) => s.phase.split('.')[0]))].join(', ')})`,
      );
      const late = all.filter((s) => s.status === 0 || s.ms > DEADLINE_MS + CLIENT_SLACK_MS);
      v.check(
        'no request past the deadline',
        late.length === 0,
        `${late.length} past ${secs(DEADLINE_MS)} (slowest ${secs(Math.max(...all.map((s) => s.ms)))}; scenarios ${[...new Set(late.map((s) => s.phase.split('.')[0]))].join(', ')})`,
      );
      const no503 = all.filter((s) => s.status === 503 && !s.retryAfter);
      v.check('every 503 carries Retry-After', no503.length === 0, `${no503.length} without`);
    },
    180_000,
  );
});
