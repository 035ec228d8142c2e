// The worker's workflow code, bundled once and kept on disk — never by webpack inside the worker.
//
// Bundling in the worker process (the SDK's `workflowsPath`) loads webpack into it and leaves
// ≈ 160 MiB resident for the rest of its life (measured: 404 MiB idle when it bundled itself,
// 243 MiB with a bundle built beforehand), and costs every start 10–20 s of CPU. So the worker
// loads a bundle file instead:
//   - WORKFLOW_BUNDLE, when set (an operator's own build);
//   - else the one for this code in the bundle folder: `npm run build` writes both variants into
//     dist/.data/workflow-bundles (the Docker image ships them), and a worker from sources finds
//     its own in .data/workflow-bundles, built there on first start by a child process
//     (worker/bundle-cli.ts) whose memory leaves with it.
// A bundle's name carries a hash of the workflow and domain code and the SDK's version, so a
// changed workflow is never run from a stale bundle.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import type { WorkerOptions } from '@temporalio/worker';

/** `traced`: with the OpenTelemetry workflow interceptors (platform/tracing.ts TRACING_WORKFLOW_MODULES). */
export type BundleVariant = 'plain' | 'traced';

/** The code root: the repository when run from sources, dist/ when compiled. */
const codeRoot = join(__dirname, '..');

/** Where bundles are kept (WORKFLOW_BUNDLE_DIR overrides). */
export function bundleDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.WORKFLOW_BUNDLE_DIR || join(codeRoot, '.data', 'workflow-bundles');
}

/** Every file the bundle is made of that can change without a new SDK version: workflows/ and domain/. */
function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...sourceFiles(path));
    else if (/\.(ts|js)$/.test(name) && !name.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

/** The bundle's file name for this code: variant, then a hash of the sources and the SDK version. */
export function bundleFileName(variant: BundleVariant): string {
  const hash = createHash('sha256');
  const sdk = JSON.parse(readFileSync(require.resolve('@temporalio/workflow/package.json'), 'utf8')) as { version: string };
  hash.update(`sdk ${sdk.version}\n`);
  for (const dir of ['workflows', 'domain']) {
    for (const file of sourceFiles(join(codeRoot, dir))) hash.update(`${file.slice(codeRoot.length)}\n`).update(readFileSync(file));
  }
  return `${variant}-${hash.digest('hex').slice(0, 16)}.js`;
}

/**
 * The worker's `workflowBundle`: WORKFLOW_BUNDLE, or this code's bundle from the bundle folder,
 * built there first (in a child process) when missing.
 */
export async function workflowBundle(
  variant: BundleVariant,
  env: NodeJS.ProcessEnv = process.env,
): Promise<NonNullable<WorkerOptions['workflowBundle']>> {
  if (env.WORKFLOW_BUNDLE) return { codePath: env.WORKFLOW_BUNDLE };
  const codePath = join(bundleDir(env), bundleFileName(variant));
  if (!existsSync(codePath)) await buildInChild(variant, codePath);
  return { codePath };
}

/** Runs worker/bundle-cli in a process of its own: compiled, plain node; from sources, node with tsx's loader. */
function buildInChild(variant: BundleVariant, out: string): Promise<void> {
  const fromSources = extname(__filename) === '.ts';
  const cli = join(__dirname, `bundle-cli${extname(__filename)}`);
  const execArgv = fromSources ? ['--import', 'tsx'] : [];
  return new Promise((resolve, reject) => {
    const c = spawn(process.execPath, [...execArgv, cli, variant, out], { stdio: ['ignore', 'inherit', 'inherit'] });
    c.once('error', reject);
    c.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`bundling the workflows (${cli}) exited with ${code}`))));
  });
}
