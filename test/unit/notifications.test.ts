// The pure parts of notifications: the webhook signature scheme (as a receiver verifies it),
// which webhook URLs are refused, and the e-mail templates in both languages.
import { createHmac } from 'node:crypto';
import { signatureHeaders, verifySignature } from '../../notifications/signature';
import { renderEmail } from '../../notifications/templates';
import { webhookUrlProblem } from '../../notifications/url';

const body = JSON.stringify({ id: 'n1', type: 'task.offer', task: { leadId: 'l1' } });
const at = Date.parse('2026-11-30T09:00:00Z');

test('a signature is HMAC-SHA256 of "<timestamp>.<body>" and verifies within five minutes only', () => {
  const h = signatureHeaders('s3cret', body, at);
  expect(h['x-lead-engine-timestamp']).toBe(String(at / 1000));
  // What the README tells a receiver to compute, by hand:
  const expected = createHmac('sha256', 's3cret')
    .update(`${at / 1000}.${body}`)
    .digest('hex');
  expect(h['x-lead-engine-signature']).toBe(`v1=${expected}`);
  const got = { timestamp: h['x-lead-engine-timestamp'], signature: h['x-lead-engine-signature'] };
  expect(verifySignature('s3cret', body, got, at + 299_000)).toEqual({ ok: true });
  expect(verifySignature('s3cret', body, got, at + 301_000)).toEqual({ ok: false, why: 'stale' });
  expect(verifySignature('s3cret', body, got, at - 301_000)).toEqual({ ok: false, why: 'stale' }); // from the future
  expect(verifySignature('other', body, got, at)).toEqual({ ok: false, why: 'bad-signature' });
  expect(verifySignature('s3cret', body.replace('l1', 'l2'), got, at)).toEqual({ ok: false, why: 'bad-signature' });
  expect(verifySignature('s3cret', body, { timestamp: got.timestamp }, at)).toEqual({ ok: false, why: 'missing' });
  expect(verifySignature('s3cret', body, { ...got, timestamp: 'yesterday' }, at)).toEqual({ ok: false, why: 'missing' });
});

test('webhook URLs: http(s) only; loopback and private addresses refused unless allowed', async () => {
  expect(await webhookUrlProblem('ftp://example.test/x', true)).toMatch(/http or https only/);
  expect(await webhookUrlProblem('javascript:alert(1)', true)).toMatch(/http or https only/);
  expect(await webhookUrlProblem('https://user:pw@93.184.216.34/x', true)).toMatch(/credentials/);
  for (const url of [
    'http://127.0.0.1:8080/x',
    'http://10.1.2.3/x',
    'http://192.168.0.10/x',
    'http://172.20.0.1/x',
    'http://169.254.169.254/latest',
    'http://[::1]/x',
    'http://[::ffff:127.0.0.1]/x',
    'http://[fd00::1]/x',
    'http://localhost/x',
  ]) {
    expect([url, await webhookUrlProblem(url, false)]).toEqual([url, expect.stringMatching(/loopback or private/)]);
    expect(await webhookUrlProblem(url, true)).toBeUndefined();
  }
  expect(await webhookUrlProblem('https://93.184.216.34/hooks', false)).toBeUndefined();
});

test('e-mail templates per task kind, in Russian by default and in English', () => {
  const task = {
    taskKey: 'l1:3',
    leadId: '0123456789ab',
    kind: 'offer',
    title: 'A lead is offered to you',
    assignee: 'partner:p',
    dueAt: '2026-12-02T12:00:00Z',
  };
  const ru = renderEmail(task, 'ru');
  expect(ru.subject).toBe('Вам предложен лид — Лид 01234567');
  expect(ru.text).toContain('Ответьте до: ');
  expect(ru.text).toContain('15:00'); // Moscow time
  const en = renderEmail({ ...task, kind: 'stop_contact', dueAt: null }, 'en');
  expect(en.subject).toBe('Stop all contact with the client — Lead 01234567');
  expect(en.text).toContain('delete their data, and confirm this to us');
  expect(renderEmail({ ...task, kind: 'first_contact' }, 'en').subject).toMatch(/^Call the lead/);
  expect(renderEmail({ ...task, kind: 'something_new' }, 'ru').subject).toMatch(/^Новая задача/);
});
