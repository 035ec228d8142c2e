// /metrics speaks Prometheus text and moves when leads move.
import { randomUUID } from 'node:crypto';
import { seedManager } from '../helpers/db';
import { apiStack, type ApiStack } from '../helpers/api';
import { waitFor } from '../helpers/lead';

let s: ApiStack;
beforeAll(async () => {
  s = await apiStack();
  await seedManager(s.db);
});
afterAll(async () => s?.close());

/** Every sample line of a Prometheus text exposition, parsed as Prometheus does; throws on a malformed line. */
function parse(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('# HELP ') || line.startsWith('# TYPE ')) continue;
    const m =
      /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*",?)*\})? (-?(?:[0-9.eE+-]+|[Nn][Aa][Nn]|[+-]?Inf))$/.exec(
        line,
      ); // Go's ParseFloat takes NaN in any case
    if (!m) throw new Error(`not Prometheus text: ${line}`);
    samples.set(`${m[1]}${m[2] ?? ''}`, Number(m[3]));
  }
  return samples;
}

test('/metrics is public Prometheus text with the program’s gauges, and moves when leads move', async () => {
  const scrape = async () => {
    const res = await s.inject({ who: 'nobody', method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/plain');
    return parse(res.body);
  };
  const before = await scrape();
  const waiting = (m: Map<string, number>) => m.get('leads_by_stage{stage="awaiting_first_contact"}') ?? 0;

  const { leadId } = (
    await s.inject({
      method: 'POST',
      url: '/leads',
      payload: { source: { channel: 'web_form' }, person: { name: 'Olga' }, email: `${randomUUID()}@example.com` },
    })
  ).json();
  await waitFor(async () => waiting(await scrape()) === waiting(before) + 1);

  // A refused staff action is timed and counted by reason.
  const refused = await s.inject({ method: 'POST', url: `/leads/${leadId}/deal`, payload: { to: 'proposal' } });
  expect(refused.statusCode).toBe(409);
  const after = await scrape();
  expect(after.get('lead_update_refusals_total{action="deal",reason="ActionRefused"}')).toBe(1);
  expect(after.get('lead_update_seconds_count{action="deal",outcome="refused"}')).toBe(1);
  expect([...after.keys()].some((k) => k.startsWith('leads_api_process_cpu'))).toBe(true);
});
