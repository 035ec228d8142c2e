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
// A bundle's name carries a hash of the workflow and domain code, the bundler's options and the
// bundled packages' versions, so a changed workflow is never run from a stale bundle.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, extname, join } from 'node:path';
import type { WorkerOptions } from '@temporalio/worker';
import { TRACING_WORKFLOW_MODULES } from '../platform/tracing';
import { workflowBundlerOptions } from './sandbox';

/** `traced`: with the OpenTelemetry workflow interceptors (platform/tracing.ts TRACING_WORKFLOW_MODULES). */
export type BundleVariant = 'plain' | 'traced';

/** The code root: the repository when run from sources, dist/ when compiled. */
const codeRoot = join(__dirname, '..');

/** Where bundles are kept (WORKFLOW_BUNDLE_DIR overrides). */
export function bundleDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.WORKFLOW_BUNDLE_DIR || join(codeRoot, '.data', 'workflow-bundles');
}

/** The bundler's options for a variant — what bundle-cli builds with, and part of the bundle's name. */
export function bundleOptions(variant: BundleVariant) {
  return {
    workflowsPath: require.resolve('../workflows'),
    ...workflowBundlerOptions,
    ...(variant === 'traced' ? { workflowInterceptorModules: TRACING_WORKFLOW_MODULES } : {}),
  };
}

/** The packages whose code goes into a bundle beside ours: a new version of any makes a new bundle. */
const BUNDLED_PACKAGES = [
  '@temporalio/workflow',
  '@temporalio/common',
  '@temporalio/interceptors-opentelemetry',
  '@opentelemetry/api',
  '@opentelemetry/sdk-trace-base',
  'zod',
];

/** An installed package's version, from the package.json above its entry (some packages' exports hide package.json). */
function versionOf(pkg: string): string {
  for (let dir = dirname(require.resolve(pkg)); dir !== dirname(dir); dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (!existsSync(file)) continue;
    const meta = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
    if (meta.name === pkg && meta.version) return meta.version;
  }
  throw new Error(`no package.json with a version found for ${pkg}`);
}

/** Our files a bundle is made of: workflows/ and domain/ (workflows import nothing else of ours but types). */
function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...sourceFiles(path));
    else if (/\.(ts|js)$/.test(name) && !name.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

/**
 * The bundle's file name for this code: variant, then a hash of our sources, the bundler's options
 * and the bundled packages' versions — paths relative to the code root, so the Docker image's
 * runtime finds the file its build stage wrote.
 */
export function bundleFileName(variant: BundleVariant): string {
  const hash = createHash('sha256');
  const rel = (path: string) => (path.startsWith(codeRoot) ? path.slice(codeRoot.length) : path);
  hash.update(JSON.stringify(bundleOptions(variant), (_key, value: unknown) => (typeof value === 'string' ? rel(value) : value)));
  for (const pkg of BUNDLED_PACKAGES) hash.update(`\n${pkg}@${versionOf(pkg)}`);
  for (const dir of ['workflows', 'domain']) {
    for (const file of sourceFiles(join(codeRoot, dir))) hash.update(`\n${rel(file)}\n`).update(readFileSync(file));
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
