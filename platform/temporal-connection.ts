// How the worker, the API and the bench reach Temporal: the local dev server in plain gRPC, or a
// real cluster over TLS — server CA, mTLS client certificate, or a Temporal Cloud API key — from
// the environment (platform/config.ts). Files are read and checked once, at start, so a wrong
// path or a key in place of a certificate stops the process with a sentence, not a TLS error on
// the first call minutes later.
import { readFileSync } from 'node:fs';
import type { TLSConfig } from '@temporalio/common/lib/internal-non-workflow';
import type { Config } from './config';

export interface TemporalConnectionOptions {
  address: string;
  /** Undefined: plain gRPC (the dev server); `true`: TLS with the system's CAs. */
  tls?: TLSConfig | true;
  apiKey?: string;
}

type ClusterConfig = Pick<
  Config,
  | 'TEMPORAL_ADDRESS'
  | 'TEMPORAL_TLS'
  | 'TEMPORAL_TLS_CA_FILE'
  | 'TEMPORAL_TLS_CERT_FILE'
  | 'TEMPORAL_TLS_KEY_FILE'
  | 'TEMPORAL_TLS_SERVER_NAME'
  | 'TEMPORAL_API_KEY'
  | 'TEMPORAL_API_KEY_FILE'
>;

/** Options for `Connection.connect|lazy` and `NativeConnection.connect`. Throws a clear error on an unreadable or wrong file. */
export function temporalConnectionOptions(cfg: ClusterConfig): TemporalConnectionOptions {
  const apiKey =
    cfg.TEMPORAL_API_KEY ??
    (cfg.TEMPORAL_API_KEY_FILE ? readSecret('TEMPORAL_API_KEY_FILE', cfg.TEMPORAL_API_KEY_FILE).toString('utf8').trim() : undefined);
  if (cfg.TEMPORAL_API_KEY_FILE && !apiKey) throw new Error(`TEMPORAL_API_KEY_FILE: ${cfg.TEMPORAL_API_KEY_FILE} is empty`);
  const tls: TLSConfig = {
    ...(cfg.TEMPORAL_TLS_SERVER_NAME ? { serverNameOverride: cfg.TEMPORAL_TLS_SERVER_NAME } : {}),
    ...(cfg.TEMPORAL_TLS_CA_FILE ? { serverRootCACertificate: pem('TEMPORAL_TLS_CA_FILE', cfg.TEMPORAL_TLS_CA_FILE, 'CERTIFICATE') } : {}),
    ...(cfg.TEMPORAL_TLS_CERT_FILE && cfg.TEMPORAL_TLS_KEY_FILE
      ? {
          clientCertPair: {
            crt: pem('TEMPORAL_TLS_CERT_FILE', cfg.TEMPORAL_TLS_CERT_FILE, 'CERTIFICATE'),
            key: pem('TEMPORAL_TLS_KEY_FILE', cfg.TEMPORAL_TLS_KEY_FILE, 'PRIVATE KEY'),
          },
        }
      : {}),
  };
  const useTls = cfg.TEMPORAL_TLS === 'true' || Object.keys(tls).length > 0 || !!apiKey;
  return {
    address: cfg.TEMPORAL_ADDRESS,
    ...(useTls ? { tls: Object.keys(tls).length > 0 ? tls : true } : {}),
    ...(apiKey ? { apiKey } : {}),
  };
}

/** One line for the start-up log: where and how, never the secrets. */
export function describeTemporalConnection(o: TemporalConnectionOptions): string {
  if (!o.tls) return `${o.address} (plain gRPC)`;
  const parts = [o.tls === true ? 'TLS' : o.tls.clientCertPair ? 'mTLS' : 'TLS'];
  if (o.tls !== true && o.tls.serverRootCACertificate) parts.push('own CA');
  if (o.tls !== true && o.tls.serverNameOverride) parts.push(`SNI ${o.tls.serverNameOverride}`);
  if (o.apiKey) parts.push('API key');
  return `${o.address} (${parts.join(', ')})`;
}

function readSecret(name: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new Error(`${name}: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
}

/** A PEM file holding the expected block (`PRIVATE KEY` also matches `RSA PRIVATE KEY`, `EC PRIVATE KEY`). */
function pem(name: string, path: string, block: 'CERTIFICATE' | 'PRIVATE KEY'): Buffer {
  const bytes = readSecret(name, path);
  const text = bytes.toString('utf8');
  const re = block === 'CERTIFICATE' ? /-----BEGIN CERTIFICATE-----/ : /-----BEGIN (?:RSA |EC |ENCRYPTED )?PRIVATE KEY-----/;
  if (!re.test(text)) throw new Error(`${name}: ${path} is not a PEM ${block.toLowerCase()} (no "-----BEGIN ${block}-----" line)`);
  return bytes;
}
