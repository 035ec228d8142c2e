// Every request the suite sends goes through here and is kept: status, time to answer,
// Retry-After, request id. The suite's global invariants (no 500, every 503 with Retry-After,
// nothing past the deadline, every accepted POST audited) are checked over all of them.
import { randomUUID } from 'node:crypto';

export interface Sent {
  phase: string;
  method: string;
  path: string;
  /** 0 when no answer came (connection refused, or nothing within the deadline plus a margin). */
  status: number;
  ms: number;
  requestId: string;
  retryAfter?: string;
  contentType?: string;
  body: unknown;
  error?: string;
}

/**
 * Slack for measuring the deadline from the client: the API starts its clock when the request
 * arrives; the answer still has to be serialised, sent and read on a busy 2-core machine.
 */
export const CLIENT_SLACK_MS = 1_000;
/** How long the suite waits for an answer at all (a hang is reported, not waited out). */
const GIVE_UP_AFTER_MS = 20_000;

export class Requests {
  phase = 'setup';
  readonly all: Sent[] = [];

  constructor(
    private readonly baseUrl: string,
    private readonly keys: Record<string, string>,
    readonly deadlineMs: number,
  ) {}

  get(who: string, path: string): Promise<Sent> {
    return this.send(who, 'GET', path);
  }

  post(who: string, path: string, body: unknown, headers: Record<string, string> = {}): Promise<Sent> {
    return this.send(who, 'POST', path, body, headers);
  }

  async send(who: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Sent> {
    const requestId = `faults-${randomUUID()}`;
    const t = performance.now();
    const sent: Sent = { phase: this.phase, method, path, status: 0, ms: 0, requestId, body: undefined };
    try {
      const res = await fetch(this.baseUrl + path, {
        method,
        headers: {
          ...(who === 'nobody' ? {} : { 'x-api-key': this.keys[who]! }),
          'x-request-id': requestId,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...headers,
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.deadlineMs + GIVE_UP_AFTER_MS),
      });
      const text = await res.text();
      sent.status = res.status;
      sent.retryAfter = res.headers.get('retry-after') ?? undefined;
      sent.contentType = res.headers.get('content-type') ?? undefined;
      try {
        sent.body = JSON.parse(text);
      } catch {
        sent.body = text;
      }
    } catch (err) {
      sent.error = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    }
    sent.ms = performance.now() - t;
    this.all.push(sent);
    return sent;
  }

  /** The requests of one phase (or all). */
  of(phase?: string): Sent[] {
    return phase === undefined ? this.all : this.all.filter((s) => s.phase === phase);
  }
}

/** A request the API answered wrongly whatever the fault: a 5xx other than 503, a 503 without Retry-After, no answer, or late. */
export function violations(sent: Sent[], deadlineMs: number): Array<Sent & { why: string }> {
  const out: Array<Sent & { why: string }> = [];
  for (const s of sent) {
    if (s.status === 0) out.push({ ...s, why: `no answer (${s.error})` });
    else if (s.status >= 500 && s.status !== 503) out.push({ ...s, why: `answered ${s.status}` });
    else if (s.status === 503 && !s.retryAfter) out.push({ ...s, why: '503 without Retry-After' });
    else if (s.status === 503 && !String(s.contentType).startsWith('application/problem+json'))
      out.push({ ...s, why: `503 as ${s.contentType}, not problem+json` });
    if (s.ms > deadlineMs + CLIENT_SLACK_MS)
      out.push({ ...s, why: `answered after ${(s.ms / 1000).toFixed(1)} s, past the ${deadlineMs / 1000} s deadline` });
  }
  return out;
}

/** "120 requests: 80×201, 40×503; p50 12 ms, max 2.1 s" */
export function summary(sent: Sent[]): string {
  if (sent.length === 0) return '0 requests';
  const counts = new Map<string, number>();
  for (const s of sent) counts.set(String(s.status || 'none'), (counts.get(String(s.status || 'none')) ?? 0) + 1);
  const ms = sent.map((s) => s.ms).sort((a, b) => a - b);
  const fmt = (v: number) => (v >= 1000 ? `${(v / 1000).toFixed(1)} s` : `${Math.round(v)} ms`);
  const byStatus = [...counts]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, n]) => `${n}×${k}`)
    .join(', ');
  return `${sent.length} requests: ${byStatus}; p50 ${fmt(ms[Math.floor(ms.length / 2)]!)}, max ${fmt(ms[ms.length - 1]!)}`;
}

/** Short lines for an assertion message. */
export function describeSent(list: Array<Sent & { why?: string }>, max = 10): string {
  return (
    list
      .slice(0, max)
      .map(
        (s) =>
          `${s.phase} ${s.method} ${s.path} → ${s.status} in ${Math.round(s.ms)} ms${s.why ? `: ${s.why}` : ''} ${JSON.stringify(s.body)?.slice(0, 200)}`,
      )
      .join('\n') + (list.length > max ? `\n… and ${list.length - max} more` : '')
  );
}
