// Where the Temporal binaries come from. Same code on every machine; the environment decides:
//   1. TEMPORAL_CLI_PATH / TEMPORAL_TEST_SERVER_PATH
//   2. what scripts/provision.sh cached under $LEAD_ENGINE_CACHE (registries only)
//   3. `temporal` on PATH (CLI only)
//   4. nothing: @temporalio/testing downloads its own (machines with internet)
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';

export function cacheDir(): string {
  return process.env.LEAD_ENGINE_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'lead-engine');
}

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const candidate = join(dir, name);
    if (dir && existsSync(candidate)) return candidate;
  }
  return undefined;
}

export function temporalCliPath(): string | undefined {
  const cached = join(cacheDir(), 'bin', 'temporal');
  return process.env.TEMPORAL_CLI_PATH ?? (existsSync(cached) ? cached : onPath('temporal'));
}

export function testServerPath(): string | undefined {
  const cached = join(cacheDir(), 'bin', 'temporal-test-server');
  return process.env.TEMPORAL_TEST_SERVER_PATH ?? (existsSync(cached) ? cached : undefined);
}
