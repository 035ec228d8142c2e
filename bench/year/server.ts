// The time-skipping server for the simulated year: the tests' own (test/helpers/temporal.ts), which
// starts the provisioned Java server itself and waits for it as long as it takes — the SDK's 5 s
// for the JVM to listen was missed 18 times in a row on a loaded 2-core machine.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { EncryptionCodec } from '../../platform/payload-codec';
import { timeSkippingEnv } from '../../test/helpers/temporal';

export interface YearServer {
  env: TestWorkflowEnvironment;
  stop(): Promise<void>;
}

export async function startTimeSkippingServer(codec: EncryptionCodec, log: (m: string) => void): Promise<YearServer> {
  const started = Date.now();
  const env = await timeSkippingEnv(codec);
  log(`time-skipping server ready after ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return { env, stop: () => env.teardown() };
}
