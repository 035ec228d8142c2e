/// <reference lib="dom" />
// The Temporal Web UI decodes a lead's history through our codec server for ops, and for nobody
// else — in a real Chromium, against the dev server's own Web UI started as `npm start` starts it
// (`--ui-codec-endpoint` at the API's /codec), a worker and the API sharing the payload codec.
//
// The dev server's UI cannot be told to send credentials (its settings come from the CLI's flags:
// no TEMPORAL_CODEC_INCLUDE_CREDENTIALS, no flag), so ops do what the README says: sign in at
// /codec/login, then in the UI's Codec Server settings pick the browser setting, paste the
// endpoint and switch on "Include cross-origin credentials". The test clicks through exactly that.
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Connection } from '@temporalio/client';
import { temporal as proto } from '@temporalio/proto';
import type { Browser, Page } from 'playwright-core';
import { freePort } from '../../scripts/lib/ports';
import { type RunningTemporal, startTemporalDevServer } from '../../scripts/lib/temporal';
import { leadBody } from '../helpers/api';
import { launchBrowser } from '../helpers/browser';
import { consoleStack, type ConsoleStack, type Person } from '../helpers/console';
import { waitFor } from '../helpers/lead';

const SHOTS = process.env.CONSOLE_SCREENSHOTS ?? join(__dirname, 'screenshots');

describe('the Temporal Web UI with our codec server', () => {
  let temporal: RunningTemporal;
  let s: ConsoleStack;
  let browser: Browser;
  let leadId: string;
  /** What the manager wrote after the call: personal data that must reach Temporal only encrypted. */
  const note = `Called Ivan Petrov back on +7 916 555-01-23, wants a CRM demo ${randomUUID().slice(0, 8)}`;
  /** The note's Update argument as stored in Temporal (base64 of the ciphertext), read without the codec. */
  let storedArgument: string;
  /** The lead workflow's run, for the address of its event history. */
  let runId: string;

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    const apiPort = await freePort();
    // A dev server of its own: the run's shared one has no Web UI.
    temporal = await startTemporalDevServer({
      port: await freePort(),
      uiPort: await freePort(),
      uiCodecEndpoint: `http://127.0.0.1:${apiPort}/codec`,
    });
    [s, browser] = await Promise.all([
      consoleStack({ temporalAddress: temporal.address, port: apiPort, codecCorsOrigins: [temporal.uiUrl!] }),
      launchBrowser(),
    ]);

    const taken = await s.api('oleg', 'POST', '/leads', leadBody({ topic: 'crm', person: { name: 'Ivan Petrov' } }));
    expect(taken.status).toBe(201);
    leadId = taken.json.leadId;
    await waitFor(async () => (await s.api('oleg', 'GET', `/leads/${leadId}`)).json.managerId === 'anna');
    expect((await s.api('anna', 'POST', `/leads/${leadId}/contact`, { outcome: 'reached', note })).status).toBe(200);
    ({ storedArgument, runId } = await updateArgumentAsStored('recordContact'));
  });
  // Each test's browser context (its cookies and UI settings) ends with it, failed or not.
  afterEach(async () => {
    for (const context of browser?.contexts() ?? []) await context.close();
  });
  afterAll(async () => {
    await browser?.close();
    await s?.close();
    await temporal?.stop();
  });

  /** The Update's argument in the lead's history as the server keeps it: what a UI without the codec can show. */
  async function updateArgumentAsStored(name: string): Promise<{ storedArgument: string; runId: string }> {
    const connection = await Connection.connect({ address: temporal.address });
    try {
      const execution = { workflowId: `lead-${leadId}` };
      const { workflowExecutionInfo } = await connection.workflowService.describeWorkflowExecution({ namespace: 'default', execution });
      const { history } = await connection.workflowService.getWorkflowExecutionHistory({ namespace: 'default', execution });
      const UPDATE_ACCEPTED = proto.api.enums.v1.EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED;
      const accepted = history!.events!.find(
        (e) => e.eventType === UPDATE_ACCEPTED && e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.name === name,
      );
      const payload = accepted!.workflowExecutionUpdateAcceptedEventAttributes!.acceptedRequest!.input!.args!.payloads![0]!;
      expect(Buffer.from(payload.metadata!.encoding!).toString()).toBe('binary/encrypted');
      expect(Buffer.from(payload.data!).toString('latin1')).not.toContain('Ivan');
      return { storedArgument: Buffer.from(payload.data!).toString('base64'), runId: workflowExecutionInfo!.execution!.runId! };
    } finally {
      await connection.close();
    }
  }

  /** A fresh browser (no cookies, no UI settings) and the /codec/decode answers it gets (from `useCodecWithCredentials` on). */
  async function freshPage(): Promise<{ page: Page; decodeStatuses: number[] }> {
    const page = await (await browser.newContext({ viewport: { width: 1800, height: 1000 }, locale: 'en-GB' })).newPage();
    // The UI is a large single-page app; on the shared 2-core machine a page can take a while.
    page.setDefaultTimeout(60_000);
    const decodeStatuses: number[] = [];
    page.on('response', (r) => {
      if (new URL(r.url()).pathname === '/codec/decode' && r.request().method() === 'POST') decodeStatuses.push(r.status());
    });
    return { page, decodeStatuses };
  }

  /** The sign-in form of the codec server, as a person would use it; the text of the answer. */
  async function signInForDecoding(page: Page, who: Person): Promise<string> {
    await page.goto(`${s.url}/codec/login`);
    await page.getByLabel('API key').fill(s.keys[who]);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('h1').waitFor();
    return page.locator('body').innerText();
  }

  /** The UI's Codec Server settings: this browser's endpoint, called with cross-origin credentials. */
  async function useCodecWithCredentials(page: Page, decodeStatuses: number[]): Promise<void> {
    await page.goto(`${temporal.uiUrl}/namespaces/default/workflows/lead-${leadId}`);
    await page.locator('[data-testid^="data-encoder-status"]').click();
    const settings = page.locator('dialog', { has: page.getByTestId('data-encoder-title') });
    await settings.getByText('Use my browser setting').click();
    await settings.getByTestId('data-encoder-endpoint-input').fill(`${s.url}/codec`);
    await settings.getByText('Include cross-origin credentials').click();
    await settings.getByTestId('confirm-modal-button').click();
    await settings.waitFor({ state: 'hidden' });
    // The page behind the dialog asked without credentials (the cluster-level setting): not counted.
    decodeStatuses.length = 0;
  }

  /** The lead's workflow page at its event history, the staff action's Update opened. */
  async function openContactUpdate(page: Page): Promise<string> {
    await page.goto(`${temporal.uiUrl}/namespaces/default/workflows/lead-${leadId}/${runId}/history`);
    await page.getByText('Workflow Execution Update Accepted').first().click();
    await page.getByText('Accepted Request', { exact: true }).waitFor();
    return page.locator('main').innerText();
  }

  test('ops signed in at /codec/login read the manager’s note in plaintext on the lead’s workflow page', async () => {
    const { page, decodeStatuses } = await freshPage();
    const signedIn = await signInForDecoding(page, 'oleg');
    expect(signedIn).toContain('Signed in as ops:oleg');
    expect(signedIn).toContain(`paste ${s.url}/codec`); // what to enter in the UI's settings below
    const cookie = (await page.context().cookies()).find((c) => c.name === 'lead_engine_codec');
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/codec' });
    await useCodecWithCredentials(page, decodeStatuses);

    await openContactUpdate(page);
    await page.getByText(note).first().waitFor();
    const text = await page.locator('main').innerText();
    expect(text).toContain('"outcome": "reached"');
    expect(text).toContain('"actor": "sales:anna"');
    expect(text).not.toContain(storedArgument);
    expect(await page.getByTestId('data-encoder-status-error').count()).toBe(0);
    expect(decodeStatuses.length).toBeGreaterThan(0);
    expect(decodeStatuses.every((st) => st === 200)).toBe(true);
    await page.screenshot({ path: join(SHOTS, 'temporal-ui-ops-decoded.png'), fullPage: true });
  });

  test('without the ops sign-in the same page shows only the encrypted payload', async () => {
    const { page, decodeStatuses } = await freshPage();
    await useCodecWithCredentials(page, decodeStatuses); // everything but the session
    await openContactUpdate(page);
    await page.getByText(storedArgument).first().waitFor();
    await page.getByTestId('data-encoder-status-error').waitFor(); // the UI's own "could not decode" mark
    expect(await page.locator('main').innerText()).not.toContain(note);
    expect(await page.content()).not.toContain('Ivan Petrov');
    // The codec server was asked and refused (a 401 the browser could read, not a CORS failure).
    expect(decodeStatuses.length).toBeGreaterThan(0);
    expect(decodeStatuses.every((st) => st === 401)).toBe(true);
    await page.screenshot({ path: join(SHOTS, 'temporal-ui-no-session-encrypted.png'), fullPage: true });
  });

  test('a sales manager gets no decoding session, and the page stays encrypted for them', async () => {
    const { page, decodeStatuses } = await freshPage();
    expect(await signInForDecoding(page, 'anna')).toContain('Only ops and admins may decode payloads');
    expect((await page.context().cookies()).find((c) => c.name === 'lead_engine_codec')).toBeUndefined();
    await useCodecWithCredentials(page, decodeStatuses);
    await openContactUpdate(page);
    await page.getByText(storedArgument).first().waitFor();
    await page.getByTestId('data-encoder-status-error').waitFor();
    expect(await page.locator('main').innerText()).not.toContain(note);
    expect(await page.content()).not.toContain('Ivan Petrov');
    expect(decodeStatuses.length).toBeGreaterThan(0);
    expect(decodeStatuses.every((st) => st === 401)).toBe(true);
    await page.screenshot({ path: join(SHOTS, 'temporal-ui-sales-encrypted.png'), fullPage: true });
  });
});
