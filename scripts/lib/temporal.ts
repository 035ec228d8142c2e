// Runs the Temporal CLI's dev server (gRPC + Web UI, persisted to SQLite when given a file)
// with the project's search attributes registered.
import { spawn, type ChildProcess } from 'node:child_process';
import { Connection } from '@temporalio/client';
import { msNumberToTs } from '@temporalio/common/lib/time';
import { allSearchAttributes } from '../../workflows/search-attributes';
import { temporalCliPath } from './binaries';

export interface RunningTemporal {
  address: string;
  uiUrl?: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

const cliType: Record<string, string> = {
  KEYWORD: 'Keyword',
  BOOL: 'Bool',
  INT: 'Int',
  TEXT: 'Text',
  DATETIME: 'Datetime',
  DOUBLE: 'Double',
  KEYWORD_LIST: 'KeywordList',
};

export async function startTemporalDevServer(opts: {
  port: number;
  uiPort?: number;
  dbFile?: string;
  log?: (m: string) => void;
  /** The Web UI decodes payloads through this codec server (the API's /codec, api/plugins/codec.ts). */
  uiCodecEndpoint?: string;
  /** How long the default namespace keeps closed workflows' histories (days). */
  retentionDays?: number;
}): Promise<RunningTemporal> {
  const cli = temporalCliPath();
  if (!cli) throw new Error('Temporal CLI not found: run `npm run provision`, put `temporal` on PATH, or set TEMPORAL_CLI_PATH');
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(opts.port), '--log-level', 'error'];
  // The priority matcher (1.32 orders by priority without it; its default changed between releases): a lead's task priority
  // (platform/lead-priority.ts) puts the staff's actions before a burst of new leads.
  args.push('--dynamic-config-value', 'matching.useNewMatcher=true');
  // Priority is kept within a task queue partition, not across them: with the default four, a poll
  // on a light partition took new leads while a staff Update waited on another (31 of 40 went
  // first once, under load). One node needs one partition to write to; reads stay at four, so
  // tasks an older server wrote to the others are still drained (their polls forward to the root).
  args.push('--dynamic-config-value', 'matching.numTaskqueueWritePartitions=1');
  if (opts.uiPort) args.push('--ui-port', String(opts.uiPort));
  else args.push('--headless');
  if (opts.dbFile) args.push('--db-filename', opts.dbFile);
  if (opts.uiPort && opts.uiCodecEndpoint) args.push('--ui-codec-endpoint', opts.uiCodecEndpoint);
  for (const key of allSearchAttributes) args.push('--search-attribute', `${key.name}=${cliType[key.type.toUpperCase()] ?? 'Keyword'}`);
  const child = spawn(cli, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  const address = `127.0.0.1:${opts.port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`temporal dev server exited (${child.exitCode}): ${stderr}`);
    try {
      const conn = await Connection.connect({ address, connectTimeout: 1000 });
      await conn.workflowService.getSystemInfo({});
      // The dev server has no retention flag: set on the namespace, on every start (a changed figure applies).
      if (opts.retentionDays) {
        await conn.workflowService.updateNamespace({
          namespace: 'default',
          config: { workflowExecutionRetentionTtl: msNumberToTs(opts.retentionDays * 86_400_000) },
        });
      }
      await conn.close();
      break;
    } catch (err) {
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`temporal dev server did not come up: ${String(err)} ${stderr}`);
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  return {
    address,
    uiUrl: opts.uiPort ? `http://127.0.0.1:${opts.uiPort}` : undefined,
    process: child,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
      }),
  };
}
