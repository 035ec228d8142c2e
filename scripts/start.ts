// `npm start`: the whole product on one machine, on its embedded default.
//   Temporal dev server + Web UI (SQLite file under the data folder)  unless TEMPORAL_ADDRESS is set
//   PostgreSQL (embedded, under the data folder)                       unless DATABASE_URL is set
//   a mail catcher (SMTP, writes .data/mail/*.eml)                      unless SMTP_URL is set
//   migrations, then the worker and the API as child processes (one that dies is started again).
// Ctrl-C stops every child cleanly; the next start finds all data and running leads again.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { startMailCatcher } from './lib/mail-catcher';
import { migrate } from './lib/migrate';
import { child, supervise, waitForHttp } from './lib/processes';
import { startEmbeddedPostgres, type RunningPostgres } from './lib/postgres';
import { startTemporalDevServer, type RunningTemporal } from './lib/temporal';
import { newPayloadKeyEntry } from '../platform/payload-keys';
import { WORKER_ENV, WORKER_NODE_ARGS } from '../worker/sandbox';

/** Closed workflows' histories are kept this long, then deleted by Temporal (README, Personal data). */
const TEMPORAL_RETENTION_DAYS = Number(process.env.TEMPORAL_RETENTION_DAYS ?? 30);

const root = resolve(__dirname, '..');
const dataDir = resolve(process.env.LEAD_ENGINE_DATA ?? join(root, '.data'));
const log = (m: string) => console.log(`[start] ${m}`);

async function main(): Promise<void> {
  mkdirSync(dataDir, { recursive: true });
  const stops: Array<() => Promise<void>> = [];
  // Where the embedded cluster lives: under the data folder, or (as root in a private clone)
  // where its unprivileged user can reach it.
  let pgDataDir: string | undefined;
  const pgElsewhere = () => (pgDataDir && !pgDataDir.startsWith(dataDir) ? pgDataDir : undefined);
  let stopping = false;
  const shutdown = async (code: number) => {
    if (stopping) return;
    stopping = true;
    log('stopping…');
    for (const stop of stops.reverse()) await stop().catch((err: unknown) => console.error(err));
    log(`stopped; data kept in ${dataDir}${pgElsewhere() ? ` and ${pgElsewhere()}` : ''}`);
    process.exit(code);
  };
  process.on('SIGINT', () => void shutdown(0));
  process.on('SIGTERM', () => void shutdown(0));

  const apiUrl = `http://${process.env.API_HOST ?? '127.0.0.1'}:${process.env.API_PORT ?? 3000}`;
  try {
    let databaseUrl = process.env.DATABASE_URL;
    if (!databaseUrl) {
      const port = Number(process.env.PG_PORT ?? 5433);
      log(`starting embedded PostgreSQL on 127.0.0.1:${port}`);
      const pg: RunningPostgres = await startEmbeddedPostgres({
        dataDir: join(dataDir, 'postgres'),
        port,
        database: 'leads',
        persistent: true,
        log,
      });
      stops.push(pg.stop);
      databaseUrl = pg.url;
      pgDataDir = pg.dataDir;
    }
    const migrated = await migrate(databaseUrl, log);
    log(`database ready (${migrated.applied.length} migrations applied, ${migrated.alreadyApplied} already in place)`);

    let temporalAddress = process.env.TEMPORAL_ADDRESS;
    let uiUrl = process.env.TEMPORAL_UI_URL;
    if (!temporalAddress) {
      const port = Number(process.env.TEMPORAL_PORT ?? 7233);
      const uiPort = Number(process.env.TEMPORAL_UI_PORT ?? 8233);
      log(`starting Temporal dev server on 127.0.0.1:${port}, Web UI on ${uiPort} (${join(dataDir, 'temporal.db')})`);
      // The UI decodes payloads through the API's codec server (ops and admin only, api/plugins/codec.ts).
      const t: RunningTemporal = await startTemporalDevServer({
        port,
        uiPort,
        dbFile: join(dataDir, 'temporal.db'),
        uiCodecEndpoint: `${apiUrl}/codec`,
        retentionDays: TEMPORAL_RETENTION_DAYS,
      });
      stops.push(t.stop);
      temporalAddress = t.address;
      uiUrl = t.uiUrl;
    }

    // The e-mails the timers send: to the SMTP server given, else to a local catcher whose
    // messages a newcomer reads as files. Until the roster has each person's address, every
    // manager's, team lead's and ops' mail goes to one local mailbox per role.
    let smtpUrl = process.env.SMTP_URL;
    let mailLine = `${smtpUrl?.replace(/:[^:@/]+@/, ':***@')} (SMTP_URL)`;
    if (!smtpUrl) {
      const mailDir = join(dataDir, 'mail');
      const catcher = await startMailCatcher({ dir: mailDir, port: Number(process.env.MAIL_CATCHER_PORT ?? 0) });
      stops.push(catcher.close);
      smtpUrl = catcher.url;
      mailLine = `${relative(process.cwd(), mailDir) || mailDir}/ (local catcher on :${catcher.port})`;
    }
    const notifyEmails = process.env.NOTIFY_EMAILS ?? 'manager:*=sales@localhost,team_lead:*=team-leads@localhost,ops=ops@localhost';

    const keys = localApiKeys();
    const payloadKeys = localPayloadKeys();
    const env = {
      ...process.env,
      DATABASE_URL: databaseUrl,
      TEMPORAL_ADDRESS: temporalAddress,
      API_KEYS: keys.spec,
      SMTP_URL: smtpUrl,
      NOTIFY_EMAILS: notifyEmails,
      ...payloadKeys.env,
      // The console links each lead to its workflow in the Web UI.
      ...(uiUrl ? { TEMPORAL_UI_URL: uiUrl } : {}),
    };
    // A worker or API that dies is started again (a crash loop stops everything); Temporal and
    // PostgreSQL keep what was accepted, so a restarted worker picks up where the dead one was.
    const restart = { log, onGiveUp: (code: number) => void shutdown(code || 1), stopping: () => stopping };
    const worker = supervise(
      'worker',
      () => child('worker', 'worker/main.ts', { ...env, ...WORKER_ENV }, { nodeArgs: WORKER_NODE_ARGS }),
      restart,
    );
    stops.push(worker.stop);
    const api = supervise('api', () => child('api', 'api/main.ts', env), restart);
    stops.push(api.stop);

    await waitForHttp(`${apiUrl}/health`, { process: api.current() });
    console.log(
      [
        '',
        'Lead lifecycle engine is running',
        `  API           ${apiUrl}`,
        `  API docs      ${apiUrl}/docs`,
        `  Console       ${apiUrl}/app  (sign in with a key below)`,
        `  Temporal UI   ${uiUrl ?? '(external cluster)'}${uiUrl ? '/namespaces/default/workflows' : ''}`,
        `  Temporal      ${temporalAddress}`,
        `  PostgreSQL    ${databaseUrl.replace(/:[^:@/]+@/, ':***@')}`,
        `  Mail          ${mailLine}`,
        `  Data          ${dataDir}`,
        ...(pgElsewhere() ? [`  PG data       ${pgElsewhere()}`] : []),
        ...(keys.file ? [`  API keys      ${keys.file}  (admin: x-api-key: ${keys.admin})`] : []),
        ...(payloadKeys.file ? [`  Payload keys  ${payloadKeys.file}  (encrypts Temporal payloads; keep it with the data)`] : []),
        ...(uiUrl ? [`  Codec         ${apiUrl}/codec  (the UI decodes payloads for ops: ${apiUrl}/codec/login)`] : []),
        ...(keys.file ? keys.demo.map((k) => `                ${`${k.role}:${k.subject}`.padEnd(26)} ${k.key}`) : []),
        'Ctrl-C stops everything; data and running leads are kept.',
        '',
      ].join('\n'),
    );
  } catch (err) {
    console.error(`[start] ${(err as Error).message}`);
    await shutdown(1);
  }
}

/**
 * API keys for the embedded default: API_KEYS if set, else a set made once and kept under the
 * data folder (one key per role; a real deployment sets API_KEYS from its secret store).
 */
function localApiKeys(): { spec: string; file?: string; admin?: string; demo: Array<{ key: string; role: string; subject: string }> } {
  if (process.env.API_KEYS) return { spec: process.env.API_KEYS, demo: [] };
  const file = join(dataDir, 'api-keys');
  const key = () => randomBytes(18).toString('base64url');
  if (!existsSync(file)) {
    const spec = [
      ['admin', 'admin'],
      ['sales', 'demo-sales'],
      ['team_lead', 'demo-team-lead'],
      ['ops', 'demo-ops'],
      ['partner', 'demo-partner'],
    ]
      .map(([role, subject]) => `${key()}:${role}:${subject}`)
      .join(',');
    writeFileSync(file, spec + '\n', { mode: 0o600 });
  }
  let spec = readFileSync(file, 'utf8').trim();
  // Key files made before the console have no partner: one is added, so a partner can sign in too.
  if (!spec.split(',').some((e) => e.split(':')[1] === 'partner')) {
    spec = `${spec},${key()}:partner:demo-partner`;
    writeFileSync(file, spec + '\n', { mode: 0o600 });
  }
  const demo = spec
    .split(',')
    .map((e) => e.split(':'))
    .map(([k, role, subject]) => ({ key: k!, role: role!, subject: subject! }));
  return { spec, file, admin: demo[0]!.key, demo: demo.slice(1) };
}

/**
 * The payload encryption key (platform/payload-keys.ts): PAYLOAD_KEYS or PAYLOAD_KEYS_FILE if set,
 * else one made once and kept under the data folder — lose it and the histories there are unreadable.
 */
function localPayloadKeys(): { env: NodeJS.ProcessEnv; file?: string } {
  if (process.env.PAYLOAD_KEYS || process.env.PAYLOAD_KEYS_FILE) return { env: {} };
  const file = join(dataDir, 'payload-keys');
  if (!existsSync(file)) writeFileSync(file, newPayloadKeyEntry() + '\n', { mode: 0o600 });
  return { env: { PAYLOAD_KEYS_FILE: file }, file };
}

void main();
