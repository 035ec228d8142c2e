// Where a webhook may point: http(s) only, and — unless ALLOW_PRIVATE_WEBHOOKS=true (tests, a
// lab) — never at loopback, private, link-local or otherwise internal addresses, so a subscriber
// cannot make the engine call into our own network. Checked on subscription and before each POST
// (a name can be re-pointed at an internal address later).
import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

const internal = new BlockList();
for (const [net, bits] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const)
  internal.addSubnet(net, bits, 'ipv4');
for (const [net, bits] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const)
  internal.addSubnet(net, bits, 'ipv6');

const isInternal = (address: string) => {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
  return mapped ? internal.check(mapped, 'ipv4') : internal.check(address, isIP(address) === 6 ? 'ipv6' : 'ipv4');
};

export const allowPrivateWebhooks = (env: NodeJS.ProcessEnv = process.env) => env.ALLOW_PRIVATE_WEBHOOKS === 'true';

/** Why `raw` may not be a webhook URL, or undefined when it may. */
export async function webhookUrlProblem(raw: string, allowPrivate = allowPrivateWebhooks()): Promise<string | undefined> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'not a URL';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `scheme ${url.protocol} is not allowed (http or https only)`;
  if (url.username || url.password) return 'credentials in the URL are not allowed (the signature authenticates us)';
  if (allowPrivate) return undefined;
  const host = url.hostname.replace(/^\[|\]$/g, '');
  let addresses: string[];
  try {
    addresses = isIP(host) ? [host] : (await lookup(host, { all: true })).map((a) => a.address);
  } catch {
    return `host ${host} does not resolve`;
  }
  const bad = addresses.find(isInternal);
  return bad ? `host ${host} is a loopback or private address (${bad})` : undefined;
}
