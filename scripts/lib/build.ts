// The production build as `npm run build` (and the Dockerfile's build stage) runs it, for the
// tests that run the compiled processes and for the benchmark, which measures what ships.
import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

const ROOT = resolve(__dirname, '..', '..');

/**
 * tsc (incremental: seconds when nothing changed), then the workflow bundles (kept by their
 * code's hash: nothing to do when unchanged). A failure carries tsc's or the bundler's output.
 */
export async function buildDist(): Promise<void> {
  const run = promisify(execFile);
  const steps: string[][] = [
    [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json'],
    [join(ROOT, 'dist/worker/bundle-cli.js'), '--all'],
  ];
  for (const args of steps) {
    await run(process.execPath, args, { cwd: ROOT, timeout: 600_000 }).catch(
      (err: { stdout?: string; stderr?: string; message: string }) => {
        throw new Error(`npm run build failed at ${args.join(' ')}:\n${err.stdout ?? ''}${err.stderr ?? err.message}`);
      },
    );
  }
}
