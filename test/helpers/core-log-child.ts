// The API's core runtime in a process of its own (Runtime.install is once per process): its log
// lines printed as the API's logger would get them, one JSON object per line. Connects through
// CORE_ADDRESS, says "connected", and on a line on stdin makes one workflow start — which the core
// retries while the address is dead — giving up after 3 s, then exits.
import { Client } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { installCoreRuntime } from '../../api/core-starts';

const line = (level: string) => (obj: object, msg: string) => process.stdout.write(`${JSON.stringify({ level, ...obj, msg })}\n`);
const log = { debug: line('debug'), info: line('info'), warn: line('warn'), error: line('error') };

async function main(): Promise<void> {
  installCoreRuntime(log);
  const connection = await NativeConnection.connect({ address: process.env.CORE_ADDRESS! });
  const client = new Client({ connection });
  process.stdout.write('connected\n');
  await new Promise((resolve) => process.stdin.once('data', resolve));
  const start = client.workflow.start('leadWorkflow', { workflowId: `core-log-${process.pid}`, taskQueue: 'core-log', args: [] });
  await Promise.race([start.catch(() => undefined), new Promise((r) => setTimeout(r, 3_000))]);
  process.stdout.write('done\n');
  process.exit(0);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
