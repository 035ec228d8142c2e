// Brings up the real backing services once for the whole test run:
// PostgreSQL (DATABASE_URL, else embedded), migrations, a Temporal dev server for API tests,
// and one workflow bundle every worker in the tests reuses.
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { migrate } from '../../scripts/lib/migrate';
import { freePort } from '../../scripts/lib/ports';
import { ensureDatabase, startEmbeddedPostgres } from '../../scripts/lib/postgres';
import { startTemporalDevServer } from '../../scripts/lib/temporal';
import { useTestPayloadKeys } from './payload-keys';
import { workflowBundlerOptions } from '../../worker/sandbox';

export default async function globalSetup(): Promise<void> {
  const started = Date.now();
  const dir = mkdtempSync(join(tmpdir(), 'lead-engine-test-'));
  chmodSync(dir, 0o755); // the embedded PostgreSQL may run as its own unprivileged user
  // Stopped in reverse: the folder (workflow bundle, PostgreSQL's data) goes last.
  const stops: Array<() => Promise<void>> = [async () => rmSync(dir, { recursive: true, force: true })];

  let url = process.env.DATABASE_URL;
  if (url) {
    await ensureDatabase(url);
  } else {
    const pg = await startEmbeddedPostgres({ dataDir: join(dir, 'pg'), port: await freePort(), database: 'leads_test', persistent: false });
    stops.push(pg.stop);
    url = pg.url;
  }
  await migrate(url);

  const [temporal, bundle] = await Promise.all([
    startTemporalDevServer({ port: await freePort() }),
    bundleWorkflowCode({ workflowsPath: require.resolve('../../workflows'), ...workflowBundlerOptions, logger: quietLogger }),
  ]);
  stops.push(temporal.stop);
  const bundlePath = join(dir, 'workflow-bundle.js');
  writeFileSync(bundlePath, bundle.code);

  process.env.DATABASE_URL = url;
  // Workers, clients and the processes tests start encrypt payloads with the tests' key.
  useTestPayloadKeys();
  process.env.TEMPORAL_ADDRESS = temporal.address;
  process.env.WORKFLOW_BUNDLE_PATH = bundlePath;
  (globalThis as { __leadEngineStops?: typeof stops }).__leadEngineStops = stops;
  console.log(
    `\n[setup] PostgreSQL, migrations, Temporal dev server ${temporal.address} and workflow bundle ready in ${Date.now() - started} ms`,
  );
}

const quietLogger = {
  log: () => undefined,
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: (m: string) => console.warn(m),
  error: (m: string) => console.error(m),
};
