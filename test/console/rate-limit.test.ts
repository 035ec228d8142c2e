// A console page counts once against its person's rate limit, however many API calls it is made
// of (the ops page makes five, a lead card four and more): its calls after the first carry a
// token only the process knows, which the limiter skips. A caller from outside cannot use that.
import { randomUUID } from 'node:crypto';
import type { ApiKey } from '../../api/auth';
import { isolatedDb } from '../helpers/db';
import { listeningStack } from '../helpers/console';

/** Six requests a minute: two to sign in (counted by address), then four ops pages on the key. */
const LIMIT = 6;

describe('the console and the rate limit', () => {
  let s: Awaited<ReturnType<typeof listeningStack<'ops'>>>;
  const key = `ops-key-${randomUUID()}`;

  beforeAll(async () => {
    const keys: Record<'ops', ApiKey> = { ops: { key, role: 'ops', subject: 'oleg' } };
    s = await listeningStack(await isolatedDb(), keys, { rateLimitPerMinute: LIMIT });
  });
  afterAll(async () => s?.close());

  /** Signs in as a browser does (the sign-in form's double-submit token), answering the session cookie. */
  async function signIn(): Promise<string> {
    const form = await s.app.inject({ method: 'GET', url: '/app/sign-in' });
    const pre = /name="_signin" value="([^"]+)"/.exec(form.body)![1]!;
    const res = await s.app.inject({
      method: 'POST',
      url: '/app/sign-in',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: `lc_signin=${pre}` },
      payload: new URLSearchParams({ _signin: pre, credential: key, next: '/app' }).toString(),
    });
    expect(res.statusCode).toBe(303);
    return /lc_session=([^;]+)/.exec(String(res.headers['set-cookie']))![1]!;
  }

  test('four ops pages (five API calls each) within a limit of six; a forged token exempts nothing', async () => {
    const session = await signIn();
    for (let i = 0; i < 4; i++) {
      const page = await s.app.inject({ method: 'GET', url: '/app/ops', headers: { cookie: `lc_session=${session}` } });
      expect(page.statusCode).toBe(200);
    }
    // The key has spent four of its six: two more calls pass, the next is refused, whatever it claims to be.
    const call = () => s.app.inject({ method: 'GET', url: '/managers', headers: { 'x-api-key': key, 'x-console-call': 'a-guess' } });
    expect((await call()).statusCode).toBe(200);
    expect((await call()).statusCode).toBe(200);
    expect((await call()).statusCode).toBe(429);
  });
});
