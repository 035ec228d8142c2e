// The benchmark's HTTP client: node:http on a keep-alive agent, one socket per concurrent caller.
// Leaner than fetch, so the load generator takes less of the CPU the API under test needs.
import { Agent, request } from 'node:http';

export interface HttpClient {
  call(method: string, path: string, body?: unknown): Promise<{ status: number; text: string }>;
  close(): void;
}

export function httpClient(baseUrl: string, headers: Record<string, string>, maxSockets: number): HttpClient {
  const url = new URL(baseUrl);
  const agent = new Agent({ keepAlive: true, maxSockets });
  return {
    call: (method, path, body) =>
      new Promise((resolve, reject) => {
        const payload = body === undefined ? undefined : JSON.stringify(body);
        const req = request(
          {
            agent,
            host: url.hostname,
            port: url.port,
            method,
            path,
            headers: {
              ...headers,
              ...(payload === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }),
            },
          },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
            res.on('error', reject);
          },
        );
        req.on('error', reject);
        req.end(payload);
      }),
    close: () => agent.destroy(),
  };
}
