/// <reference lib="dom" />
// The console in a real browser (Chromium through playwright-core) against the real API, Temporal
// and PostgreSQL: a lead worked from intake to a partner's acceptance without curl, a workflow's
// refusal shown with its reason, partner isolation, CSRF, a phone screen and the keyboard.
// One browser and one page for the file; people sign in and out on it as they would.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { leadBody } from '../helpers/api';
import { launchBrowser } from '../helpers/browser';
import { consoleStack, type ConsoleStack, type Person } from '../helpers/console';
import { waitFor } from '../helpers/lead';

const SHOTS = process.env.CONSOLE_SCREENSHOTS ?? join(__dirname, 'screenshots');

describe('the console', () => {
  let s: ConsoleStack;
  let browser: Browser;
  let page: Page;
  /** The lead worked from intake to acceptance (topic crm: partner A takes it). */
  let leadId: string;
  /** A lead of boris's (the refusal's), for the team lead to reassign. */
  let borisLead: string;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    [s, browser] = await Promise.all([consoleStack(), launchBrowser()]);
    page = await browser.newPage({ locale: 'en-GB' });
    page.setDefaultTimeout(15_000);
    // A script or style the Content-Security-Policy blocks shows up here (no CDN, no inline script).
    page.on('console', (m) => {
      if (m.type() === 'error') pageErrors.push(m.text());
    });
    page.on('pageerror', (e) => pageErrors.push(e.message));
  });
  afterAll(async () => {
    await browser?.close();
    await s?.close();
  });

  const shot = (name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
  const stateOf = async (id: string) => (await s.api('oleg', 'GET', `/leads/${id}`)).json;

  async function signIn(who: Person): Promise<void> {
    await page.context().clearCookies();
    await page.goto(`${s.url}/app`);
    await page.getByLabel('Your API credential').fill(s.keys[who]);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL((u) => !u.pathname.startsWith('/app/sign-in'));
    const session = (await page.context().cookies()).find((c) => c.name === 'lc_session');
    expect(session).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/app' });
  }

  /** A new lead through the API, once its workflow has assigned it. */
  async function newLead(over: Record<string, unknown> = {}): Promise<{ id: string; managerId: string }> {
    const res = await s.api('oleg', 'POST', '/leads', leadBody(over));
    expect(res.status).toBe(201);
    const id = res.json.leadId as string;
    await waitFor(async () => !!(await stateOf(id)).managerId);
    return { id, managerId: (await stateOf(id)).managerId };
  }

  test('a manager signs in, sees the new lead’s task with its SLA clock, records the call, qualifies it; card and task list change', async () => {
    const lead = await newLead({ topic: 'crm', person: { name: 'Ivan Petrov' } });
    leadId = lead.id;
    expect(lead.managerId).toBe('anna');
    await waitFor(async () => (await s.api('anna', 'GET', `/tasks?leadId=${leadId}&state=open`)).json.items.length > 0);

    await page.goto(`${s.url}/app/work`);
    expect(page.url()).toContain('/app/sign-in'); // no session: sent to sign in
    await signIn('anna');
    expect(new URL(page.url()).pathname).toBe('/app/work');
    const task = page.locator(`li.task[data-lead="${leadId}"]`);
    await task.waitFor();
    expect(await task.textContent()).toMatch(/Call the lead/i);
    expect(await task.locator('.clock').textContent()).toMatch(/due in (\d+ h)?( ?\d+ min)? of working time|overdue by/);
    await shot('work');

    await task.getByRole('link').click();
    await page.waitForURL(`**/app/leads/${leadId}`);
    expect(await page.locator('#stage').textContent()).toBe('awaiting first contact');
    expect(await page.locator('#contact').textContent()).toContain('Ivan Petrov');
    expect(await page.locator('#next-task').textContent()).toMatch(/Call the lead/i);
    // Only what the stage allows: a call, and nothing of the deal yet.
    const legends = await page.locator('form.action legend').allTextContents();
    expect(legends).toContain('Record a call');
    expect(legends).not.toContain('Record a payment');
    expect(legends.some((l) => l.startsWith('Qualify'))).toBe(false);
    await page
      .locator('a', { hasText: 'Workflow in Temporal' })
      .first()
      .evaluate((a: HTMLAnchorElement) => a.href)
      .then((href) => expect(href).toBe(`http://temporal-ui.test:8233/namespaces/default/workflows/lead-${leadId}`));
    await shot('lead-card');

    const call = page.locator('form#f-contact-0');
    await call.getByLabel('Outcome').selectOption('reached');
    await call.getByLabel('Note').fill('Interested, wants a CRM');
    await call.getByRole('button', { name: 'Save' }).click();
    await page.waitForURL(`**/app/leads/${leadId}?done=contact`);
    expect(await page.locator('#stage').textContent()).toBe('qualifying');
    expect(await page.locator('#timeline').textContent()).toContain('anna');
    expect(await page.locator('#timeline').textContent()).toContain('Interested, wants a CRM');

    // The call closed the task (the work queue follows the workflow within moments).
    await waitFor(async () => {
      await page.goto(`${s.url}/app/work`);
      return (await page.locator(`li.task[data-lead="${leadId}"]`).count()) === 0;
    }, 5_000);

    // Qualify for a partner (the form of the "Target" option), then the client's consent.
    await page.goto(`${s.url}/app/leads/${leadId}`);
    const qualify = page.locator('form#f-qualify-0');
    await qualify.getByLabel('Route').selectOption('partner');
    await qualify.getByLabel('Reason').fill('needs a partner’s integration');
    await qualify.getByRole('button', { name: 'Save' }).click();
    await page.waitForURL(`**?done=qualify`);
    expect(await page.locator('#stage').textContent()).toBe('awaiting consent');
    const consent = page.locator('form#f-consent-0');
    await consent.getByLabel('Consent given').selectOption('true');
    await consent.getByLabel('Asked by').fill('sales:anna');
    await consent.getByLabel('Channel').selectOption('phone');
    await consent.getByLabel('Wording, as said').fill('May I pass your contacts to our partner? The consultation is free.');
    await consent.getByRole('button', { name: 'Save' }).click();
    await page.waitForURL(`**?done=consent`);
    await waitFor(async () => (await stateOf(leadId)).offers.length === 1);
  });

  test('a refused action shows the workflow’s reason', async () => {
    const { id, managerId } = await newLead({ topic: undefined });
    expect(managerId).toBe('boris'); // anna has one lead already: the least loaded gets it
    borisLead = id;
    expect((await s.api('anna', 'POST', `/leads/${id}/contact`, { outcome: 'reached' })).status).toBe(200);
    await page.goto(`${s.url}/app/leads/${id}`);
    const qualify = page.locator('form#f-qualify-0');
    await qualify.getByLabel('Route').selectOption('partner');
    await qualify.getByLabel('Reason').fill('for a partner');
    const [res] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === 'POST'),
      qualify.getByRole('button', { name: 'Save' }).click(),
    ]);
    expect(res.status()).toBe(409);
    const alert = page.getByRole('alert');
    expect(await alert.textContent()).toContain('Refused');
    expect(await alert.textContent()).toContain('a lead handed to a partner needs a topic to match partner expertise');
    expect(await page.locator('form#f-qualify-0 [name=reason]').inputValue()).toBe('for a partner'); // kept as posted
    expect((await stateOf(id)).stage).toBe('qualifying');
    await shot('refusal');
  });

  test('a form without its CSRF token is refused and changes nothing', async () => {
    const { id } = await newLead();
    const res = await page.request.post(`${s.url}/app/leads/${id}/act/contact`, { form: { outcome: 'reached' }, maxRedirects: 0 });
    expect(res.status()).toBe(403);
    expect(await res.text()).toContain('The form expired or came from elsewhere');
    const wrong = await page.request.post(`${s.url}/app/leads/${id}/act/contact`, {
      form: { outcome: 'reached', _csrf: 'forged' },
      maxRedirects: 0,
    });
    expect(wrong.status()).toBe(403);
    expect((await stateOf(id)).stage).toBe('awaiting_first_contact');
  });

  test('on a phone screen the work list has no horizontal scroll; the keyboard reaches the actions', async () => {
    // A task with a long unbroken title, the kind that pushes a layout sideways.
    await s.db.task.create({
      data: {
        key: `${leadId}:phone-check`,
        leadId,
        assignee: 'manager:anna',
        kind: 'follow_up',
        title: `Call back about ${'x'.repeat(80)}`,
        dueAt: new Date(Date.now() - 3_600_000),
      },
    });
    await page.setViewportSize({ width: 375, height: 740 });
    await page.goto(`${s.url}/app/work`);
    await page.locator('li.task').first().waitFor();
    // htmx came from our own origin and runs (the list refreshes itself), and nothing was blocked.
    expect(await page.evaluate(() => typeof (window as unknown as { htmx?: unknown }).htmx)).toBe('object');
    expect(await page.locator('#work').getAttribute('hx-trigger')).toBe('every 30s');
    // (A refused action's page comes with its 409: the browser logs that status, which is no error of ours.)
    expect(pageErrors.filter((e) => !/the server responded with a status of 4\d\d/.test(e))).toEqual([]);
    const { scroll, client } = await page.evaluate(() => ({
      scroll: document.documentElement.scrollWidth,
      client: document.documentElement.clientWidth,
    }));
    expect(scroll).toBeLessThanOrEqual(client);
    expect(await page.locator('li.task .badge.overdue').count()).toBeGreaterThan(0);
    await shot('work-phone');
    await page.setViewportSize({ width: 1280, height: 800 });

    // Keyboard only: the skip link first, then on to the first action's first field.
    const { id } = await newLead();
    await page.goto(`${s.url}/app/leads/${id}`);
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.className)).toBe('skip');
    await page.keyboard.press('Enter');
    let reached = false;
    for (let i = 0; i < 20 && !reached; i++) {
      await page.keyboard.press('Tab');
      reached = await page.evaluate(() => !!document.activeElement?.closest('form.action'));
    }
    expect(reached).toBe(true);
    expect(await page.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle)).not.toBe('none'); // a visible focus ring
    // … and take the action from there: choose with the arrow keys, Tab past the note to Save, Enter.
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Save');
    await page.keyboard.press('Enter');
    await page.waitForURL(`**/app/leads/${id}?done=contact`);
    expect(await page.locator('#stage').textContent()).toBe('qualifying');
  });

  test('a partner sees its offer, accepts it and sees the contact; another partner cannot open the lead by URL', async () => {
    await signIn('partnerA');
    expect(new URL(page.url()).pathname).toBe('/app/partner');
    const offer = page.locator('li.card', { has: page.locator(`a[href="/app/leads/${leadId}"]`) });
    await offer.waitFor();
    expect(await offer.textContent()).toContain('answer by');
    await shot('partner-offers');
    await offer.getByRole('button', { name: 'Accept' }).click();
    await page.waitForURL(`**/app/leads/${leadId}?done=partner-response`);
    expect(await page.locator('#stage').textContent()).toBe('deal');
    expect(await page.locator('#contact').textContent()).toContain('Ivan Petrov');
    expect(await page.locator('a', { hasText: 'Workflow in Temporal' }).count()).toBe(0); // staff's, not a partner's
    expect(await page.locator('form.action legend').allTextContents()).toEqual(expect.arrayContaining(['Advance the deal', 'Deal lost']));
    await shot('partner-deal');

    // The weekly sent-leads file: picked as a file (read into the form by the page's script).
    await page.goto(`${s.url}/app/partner/upload`);
    const csv = `externalId,sentAt,phone,email\r\next-1,2026-11-20,+79161234567,\r\next-2,2026-11-21T10:15:00+03:00,,client@example.com\r\n`;
    await page.locator('#csv-file').setInputFiles({ name: 'sent.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
    await page.waitForFunction(() => (document.getElementById('csv') as HTMLTextAreaElement).value.includes('ext-2'));
    await page.getByRole('button', { name: 'Upload' }).click();
    expect(await page.getByRole('status').textContent()).toBe('Uploaded: 2 rows.');
    expect(await s.db.partnerSentLead.count({ where: { partnerId: s.partnerIds[0] } })).toBe(2);
    const money = await page.goto(`${s.url}/app/partner/money`);
    expect(money?.status()).toBe(200);
    expect(await page.locator('h2').allTextContents()).toEqual(expect.arrayContaining(['Balances (RUB)', 'Ledger entries', 'Payouts']));
    await shot('partner-statement');

    await signIn('partnerB');
    const res = await page.goto(`${s.url}/app/leads/${leadId}`);
    expect(res?.status()).toBe(404);
    expect(await page.content()).not.toContain('Ivan Petrov');
    await page.goto(`${s.url}/app/partner`);
    expect(await page.locator(`a[href="/app/leads/${leadId}"]`).count()).toBe(0);
  });

  test('a team lead sees the team’s queue and reassigns a lead', async () => {
    await signIn('tatiana');
    expect(new URL(page.url()).pathname).toBe('/app/team');
    expect(await page.locator('li.task').count()).toBeGreaterThan(0);
    expect(await page.locator('li.task .meta').allTextContents()).toEqual(
      expect.arrayContaining([expect.stringContaining('manager:anna')]),
    );
    await shot('team');
    await page.goto(`${s.url}/app/leads/${borisLead}`);
    const form = page.locator('form#f-reassign-0');
    await form.getByLabel('Manager').selectOption('anna');
    await form.getByLabel('Reason').fill('boris is on a training');
    await form.getByRole('button', { name: 'Save' }).click();
    await page.waitForURL('**?done=reassign');
    expect((await stateOf(borisLead)).managerId).toBe('anna');
    expect(await page.locator('#timeline').textContent()).toContain('team_lead:tatiana');
  });

  test('sign-out ends the session: its cookie opens nothing any more', async () => {
    const cookie = (await page.context().cookies()).find((c) => c.name === 'lc_session')!;
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL('**/app/sign-in');
    await page.context().addCookies([cookie]);
    await page.goto(`${s.url}/app/team`);
    expect(new URL(page.url()).pathname).toBe('/app/sign-in');
  });

  test('ops acknowledge an alarm and see the funnel against the 60 % line', async () => {
    const id = `alarm-${Date.now()}`;
    await s.db.alarm.create({
      data: { id, kind: 'low_target_share', subject: 'all', state: 'open', evidence: { targetShare: 0.4 }, threshold: { min: 0.6 } },
    });
    await signIn('oleg');
    expect(new URL(page.url()).pathname).toBe('/app/ops');
    expect(await page.locator('table#managers').textContent()).toContain('Anna Ivanova');
    const alarm = page.locator(`#alarm-${id}`);
    await alarm.getByRole('button', { name: 'Acknowledge' }).click();
    await page.waitForURL('**/app/ops');
    expect(await page.locator(`#alarm-${id} .badge`).textContent()).toBe('acknowledged');
    expect((await s.db.alarm.findUniqueOrThrow({ where: { id } })).acknowledgedBy).toBe('ops:oleg');
    await shot('ops');

    await page.goto(`${s.url}/app/funnel?period=week`);
    expect(await page.locator('svg[aria-labelledby=share-title] text').allTextContents()).toContain('60 % line');
    expect(await page.locator('table').textContent()).toMatch(/reached/i);
    await shot('funnel');
  });

  test('the console speaks Russian when the browser asks for it, and the person can switch', async () => {
    const ru = await browser.newPage({ locale: 'ru-RU', extraHTTPHeaders: { 'accept-language': 'ru-RU,ru;q=0.9,en;q=0.5' } });
    try {
      await ru.goto(`${s.url}/app/sign-in`);
      expect(await ru.getByRole('button', { name: 'Войти' }).count()).toBe(1);
      await ru.getByRole('link', { name: 'English' }).click();
      expect(await ru.getByRole('button', { name: 'Sign in' }).count()).toBe(1);
    } finally {
      await ru.close();
    }
  });
});
