/// <reference lib="dom" />
// The newcomer's journey, all of it in the browser and none of it with curl, on an empty roster
// and the keys `npm start` prints: ops put the manager (demo-sales) and the partner (demo-partner)
// on the roster in the console, a lead is taken in through the console's new-lead form, the
// manager works it to the client's consent, and the partner accepts the offer and sees the contact.
// Also: a roster or intake form the API refuses shows the field's reason, keeps what was typed,
// and creates nothing.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser } from '../helpers/browser';
import { type DemoPerson, emptyConsoleStack } from '../helpers/console';
import { waitFor } from '../helpers/lead';

const SHOTS = process.env.CONSOLE_SCREENSHOTS ?? join(__dirname, 'screenshots');

describe('the newcomer’s journey in the console, without curl', () => {
  let s: Awaited<ReturnType<typeof emptyConsoleStack>>;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    [s, browser] = await Promise.all([emptyConsoleStack(), launchBrowser()]);
    page = await browser.newPage({ locale: 'en-GB' });
    page.setDefaultTimeout(15_000);
  });
  afterAll(async () => {
    await browser?.close();
    await s?.close();
  });

  const shot = (name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });

  async function signIn(who: DemoPerson): Promise<void> {
    await page.context().clearCookies();
    await page.goto(`${s.url}/app`);
    await page.getByLabel('Your API credential').fill(s.keys[who]);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL((u) => !u.pathname.startsWith('/app/sign-in'));
  }

  /** Posts a form and answers the status of the POST (the page it lands on after a redirect is the next one). */
  async function submit(form: ReturnType<Page['locator']>, button: string): Promise<number> {
    const [res] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === 'POST'),
      form.getByRole('button', { name: button }).click(),
    ]);
    await page.waitForLoadState();
    return res.status();
  }

  test('a bad roster form shows the field’s reason, keeps what was typed, creates nothing; so does a bad lead', async () => {
    await signIn('ops');
    const manager = page.locator('form#add-manager');
    await manager.locator('[name=name]').fill('Demo Sales');
    await manager.getByLabel('E-mail').fill('sales-at-example.ru');
    expect(await submit(manager, 'Add a manager')).toBe(400);
    expect(await page.getByRole('alert').textContent()).toContain('Not saved');
    const fieldError = page.locator('#add-manager-email-error');
    expect(await fieldError.textContent()).toMatch(/email/i);
    expect(await page.locator('form#add-manager [name=email]').getAttribute('aria-invalid')).toBe('true');
    expect(await page.locator('form#add-manager [name=name]').inputValue()).toBe('Demo Sales'); // kept as posted
    expect(await page.locator('form#add-manager [name=email]').inputValue()).toBe('sales-at-example.ru');
    expect(await s.db.manager.count()).toBe(0);
    await shot('roster-invalid');

    // A partner needs at least one topic: a list of commas alone is no list.
    const partner = page.locator('form#add-partner');
    await partner.locator('[name=name]').fill('Demo Partner');
    await partner.locator('[name=expertise]').fill(' , ');
    expect(await submit(partner, 'Add a partner')).toBe(400);
    expect(await page.locator('#add-partner-expertise-error').count()).toBe(1);
    expect(await page.locator('form#add-partner [name=expertise]').inputValue()).toBe(' , ');
    expect(await s.db.partner.count()).toBe(0);

    // A lead with no way to reach anyone: the intake's own rule, shown at the phone field.
    await page.getByRole('link', { name: 'New lead' }).click();
    const lead = page.locator('form#new-lead');
    await lead.locator('[name="person.name"]').fill('Nobody Reachable');
    expect(await submit(lead, 'Take the lead in')).toBe(400);
    expect(await page.locator('#new-lead-phone-error').textContent()).toContain('a lead needs a phone or an e-mail');
    expect(await page.locator('form#new-lead [name="person.name"]').inputValue()).toBe('Nobody Reachable');
    expect(await s.db.lead.count()).toBe(0);
  });

  test('ops add the manager and the partner; a lead comes in through the console; the manager works it; the partner accepts', async () => {
    // Ops: the roster is empty, and the console says which sign-in credentials have no entry yet.
    await signIn('ops');
    expect(new URL(page.url()).pathname).toBe('/app/ops');
    expect(await page.locator('#unlinked').textContent()).toContain('sales:demo-sales');
    expect(await page.locator('#unlinked').textContent()).toContain('partner:demo-partner');
    const manager = page.locator('form#add-manager');
    expect(await manager.locator('[name=id]').inputValue()).toBe('demo-sales'); // prefilled: no id to guess
    await manager.locator('[name=name]').fill('Demo Sales');
    await manager.getByLabel('E-mail').fill('sales@example.ru');
    await manager.getByLabel('Capacity').fill('30');
    await shot('roster-forms');
    expect(await submit(manager, 'Add a manager')).toBe(303);
    expect(await page.getByRole('status').textContent()).toContain('manager demo-sales');
    expect(await page.locator('table#managers').textContent()).toContain('Demo Sales');
    expect(await page.locator('#unlinked').textContent()).not.toContain('sales:demo-sales');

    const partner = page.locator('form#add-partner');
    expect(await partner.locator('[name=id]').inputValue()).toBe('demo-partner');
    await partner.locator('[name=name]').fill('Demo Partner');
    await partner.getByLabel('Expertise (topics)').fill('crm, erp');
    expect(await submit(partner, 'Add a partner')).toBe(303);
    expect(await page.locator('table#partners').textContent()).toContain('crm, erp');
    expect((await s.api('ops', 'GET', '/partners/demo-partner')).json).toMatchObject({
      expertise: ['crm', 'erp'],
      status: 'active',
      capacity: 10,
    });
    expect((await s.api('ops', 'GET', '/managers')).json.items).toEqual([
      expect.objectContaining({ id: 'demo-sales', email: 'sales@example.ru', capacity: 30 }),
    ]);
    expect(await page.locator('#unlinked').count()).toBe(0);
    await shot('roster-added');

    // A lead taken in through the console's new-lead form: its card follows.
    await page.getByRole('link', { name: 'New lead' }).click();
    const intake = page.locator('form#new-lead');
    expect(await intake.locator('[name="source.channel"]').inputValue()).toBe('phone');
    await intake.getByLabel("Person's name").fill('Ivan Petrov');
    await intake.getByLabel('Phone', { exact: true }).fill('8 916 123-45-67');
    await intake.getByLabel('Topic').fill('crm');
    await shot('new-lead');
    expect(await submit(intake, 'Take the lead in')).toBe(303);
    await page.waitForURL(/\/app\/leads\/[0-9a-f-]{36}\?done=intake$/);
    const leadId = new URL(page.url()).pathname.split('/').at(-1)!;
    expect(await page.getByRole('status').textContent()).toBe('Lead taken in.');
    expect(await page.locator('#contact').textContent()).toContain('Ivan Petrov');
    await waitFor(async () => (await s.api('ops', 'GET', `/leads/${leadId}`)).json.managerId === 'demo-sales');

    // The manager: the lead's task in My work, the call, the qualification, the consent.
    await signIn('sales');
    const task = page.locator(`li.task[data-lead="${leadId}"]`);
    await waitFor(async () => {
      await page.goto(`${s.url}/app/work`);
      return (await task.count()) === 1;
    }, 10_000);
    expect(await task.textContent()).toMatch(/Call the lead/i);
    await task.getByRole('link').click();
    await page.waitForURL(`**/app/leads/${leadId}`);
    const call = page.locator('form#f-contact-0');
    await call.getByLabel('Outcome').selectOption('reached');
    expect(await submit(call, 'Save')).toBe(303);
    await page.waitForURL(`**?done=contact`);
    expect(await page.locator('#stage').textContent()).toBe('qualifying');
    const qualify = page.locator('form#f-qualify-0');
    await qualify.getByLabel('Route').selectOption('partner');
    await qualify.getByLabel('Reason').fill('needs a CRM integrator');
    expect(await submit(qualify, 'Save')).toBe(303);
    await page.waitForURL(`**?done=qualify`);
    expect(await page.locator('#stage').textContent()).toBe('awaiting consent');
    const consent = page.locator('form#f-consent-0');
    await consent.getByLabel('Consent given').selectOption('true');
    await consent.getByLabel('Asked by').fill('sales:demo-sales');
    await consent.getByLabel('Channel').selectOption('phone');
    await consent.getByLabel('Wording, as said').fill('May I pass your contacts to our partner?');
    expect(await submit(consent, 'Save')).toBe(303);
    await page.waitForURL(`**?done=consent`);
    const offered = async () => (await s.api('ops', 'GET', `/leads/${leadId}`)).json.offers as Array<{ partnerId: string }> | undefined;
    await waitFor(async () => !!(await offered())?.some((o) => o.partnerId === 'demo-partner'));

    // The partner: the offer, accepted; the card shows the client's contact.
    await signIn('partner');
    expect(new URL(page.url()).pathname).toBe('/app/partner');
    const offer = page.locator('li.card', { has: page.locator(`a[href="/app/leads/${leadId}"]`) });
    await offer.waitFor();
    await shot('journey-offer');
    await offer.getByRole('button', { name: 'Accept' }).click();
    await page.waitForURL(`**/app/leads/${leadId}?done=partner-response`);
    expect(await page.locator('#stage').textContent()).toBe('deal');
    expect(await page.locator('#contact').textContent()).toContain('Ivan Petrov');
    expect(await page.locator('#contact').textContent()).toContain('+79161234567');
    await shot('journey-accepted');
  });
});
