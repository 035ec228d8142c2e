// A real Temporal cluster from the environment: TLS, mTLS or an API key, checked at start with
// errors that name the variable (platform/config.ts, platform/temporal-connection.ts).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../platform/config';
import { describeTemporalConnection, temporalConnectionOptions } from '../../platform/temporal-connection';

const dir = mkdtempSync(join(tmpdir(), 'tls-'));
const file = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};
const CERT = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
const KEY = '-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n';
const ca = file('ca.pem', CERT);
const crt = file('client.pem', CERT);
const key = file('client.key', KEY);
const options = (env: Record<string, string>) =>
  temporalConnectionOptions(loadConfig({ TEMPORAL_ADDRESS: 'temporal.example:7233', ...env }));

test('without TLS settings the connection is plain gRPC (the dev server)', () => {
  const o = options({});
  expect(o).toEqual({ address: 'temporal.example:7233' });
  expect(describeTemporalConnection(o)).toBe('temporal.example:7233 (plain gRPC)');
});

test('mTLS: the CA, the client certificate and key are read at start, with an SNI override', () => {
  const o = options({
    TEMPORAL_TLS_CA_FILE: ca,
    TEMPORAL_TLS_CERT_FILE: crt,
    TEMPORAL_TLS_KEY_FILE: key,
    TEMPORAL_TLS_SERVER_NAME: 'frontend.temporal',
  });
  expect(o.tls).toEqual({
    serverNameOverride: 'frontend.temporal',
    serverRootCACertificate: Buffer.from(CERT),
    clientCertPair: { crt: Buffer.from(CERT), key: Buffer.from(KEY) },
  });
  expect(describeTemporalConnection(o)).toBe('temporal.example:7233 (mTLS, own CA, SNI frontend.temporal)');
});

test('an API key (Temporal Cloud) implies TLS with the system CAs; from a file too', () => {
  expect(options({ TEMPORAL_API_KEY: 'k-123' })).toEqual({ address: 'temporal.example:7233', tls: true, apiKey: 'k-123' });
  expect(options({ TEMPORAL_API_KEY_FILE: file('api-key', 'k-456\n') })).toMatchObject({ tls: true, apiKey: 'k-456' });
  expect(options({ TEMPORAL_TLS: 'true' })).toEqual({ address: 'temporal.example:7233', tls: true });
});

test('contradictions and half-set pairs stop the process at start, naming the variable', () => {
  expect(() => options({ TEMPORAL_TLS_CERT_FILE: crt })).toThrow(/TEMPORAL_TLS_KEY_FILE: mTLS needs both/);
  expect(() => options({ TEMPORAL_TLS_KEY_FILE: key })).toThrow(/TEMPORAL_TLS_CERT_FILE: mTLS needs both/);
  expect(() => options({ TEMPORAL_TLS: 'false', TEMPORAL_API_KEY: 'k' })).toThrow(/TEMPORAL_TLS: is false, but .* API key/);
  expect(() => options({ TEMPORAL_API_KEY: 'k', TEMPORAL_API_KEY_FILE: key })).toThrow(/not both/);
  expect(() => options({ TEMPORAL_TLS: 'yes' })).toThrow(/TEMPORAL_TLS/);
});

test('a missing file, an empty key file or a key where the certificate belongs is a clear error', () => {
  expect(() => options({ TEMPORAL_TLS_CA_FILE: join(dir, 'nope.pem') })).toThrow(
    `TEMPORAL_TLS_CA_FILE: cannot read ${join(dir, 'nope.pem')} (ENOENT)`,
  );
  expect(() => options({ TEMPORAL_TLS_CERT_FILE: key, TEMPORAL_TLS_KEY_FILE: key })).toThrow(
    /TEMPORAL_TLS_CERT_FILE: .* is not a PEM certificate/,
  );
  expect(() => options({ TEMPORAL_TLS_CERT_FILE: crt, TEMPORAL_TLS_KEY_FILE: crt })).toThrow(
    /TEMPORAL_TLS_KEY_FILE: .* is not a PEM private key/,
  );
  expect(() => options({ TEMPORAL_API_KEY_FILE: file('empty', '\n') })).toThrow(/TEMPORAL_API_KEY_FILE: .* is empty/);
});
