// The time-skipping server for the simulated year, started by us rather than by the SDK: the SDK
// gives the JVM 5 s to listen, which a 2-core machine busy with other work often does not meet
// (the Java server's start took longer 18 times in a row there). We start the provisioned server
// (scripts/lib/binaries) ourselves, wait for its port as long as it takes, and attach the SDK's
// time-skipping environment to it — the same server, the same time-skipping API.
import { spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { dataConverterOf, type EncryptionCodec } from '../../platform/payload-codec';
import { testServerPath } from '../../scripts/lib/binaries';
import { freePort } from '../../scripts/lib/ports';
import { registerSearchAttributes, timeSkippingEnv } from '../../test/helpers/temporal';

export interface YearServer { env: TestWorkflowEnvironment; stop(): Promise<void> }

/** `TestWorkflowEnvironment.create` is what createTimeSkipping calls; it also takes an existing server. */
type Create = (opts: {
  server: { type: 'existing' }; address: string; namespace: string; supportsTimeSkipping: true; client: { dataConverter: ReturnType<typeof dataConverterOf> };
}) => Promise<TestWorkflowEnvironment>;

export async function startTimeSkippingServer(codec: EncryptionCodec, log: (m: string) => void): Promise<YearServer> {
  const path = testServerPath();
  if (!path) {
    const env = await timeSkippingEnv(codec); // not provisioned: the SDK's own download and start
    return { env, stop: () => env.teardown() };
  }
  const port = await freePort();
  const started = Date.now();
  const java: ChildProcess = spawn(path, [String(port)], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  java.stderr?.on('data', (b: Buffer) => { stderr = (stderr + b.toString()).slice(-2000); });
  const stop = async () => {
    if (java.exitCode === null) {
      const exited = new Promise((r) => java.once('exit', r));
      java.kill('SIGKILL');
      await exited;
    }
  };
  try {
    await waitForPort(port, 180_000, java, () => stderr);
    log(`time-skipping server listening on :${port} after ${((Date.now() - started) / 1000).toFixed(1)} s`);
    const create = (TestWorkflowEnvironment as unknown as { create: Create }).create.bind(TestWorkflowEnvironment);
    const env = await create({
      server: { type: 'existing' }, address: `127.0.0.1:${port}`, namespace: 'default', supportsTimeSkipping: true,
      client: { dataConverter: dataConverterOf(codec) },
    });
    await registerSearchAttributes(env.connection);
    return { env, stop: async () => { await env.teardown(); await stop(); } };
  } catch (err) {
    await stop();
    throw err;
  }
}

async function waitForPort(port: number, timeoutMs: number, proc: ChildProcess, stderr: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`the time-skipping server exited with ${proc.exitCode}: ${stderr()}`);
    const open = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => { s.destroy(); resolve(true); });
      s.once('error', () => resolve(false));
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error(`the time-skipping server did not listen on :${port} within ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
