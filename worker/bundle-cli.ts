// Bundles the workflows to a file: `bundle-cli <plain|traced> <out.js>`, or `bundle-cli --all`
// (both variants into the bundle folder; `npm run build` runs it on dist/). See worker/bundle.ts.
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { bundleDir, bundleFileName, bundleOptions, type BundleVariant } from './bundle';

const quiet = {
  log: () => undefined,
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: console.warn,
  error: console.error,
};

async function build(variant: BundleVariant, out: string): Promise<void> {
  const started = Date.now();
  const { code } = await bundleWorkflowCode({ ...bundleOptions(variant), logger: quiet });
  mkdirSync(dirname(out), { recursive: true });
  // Written aside and renamed: two workers starting at once never load a half-written file.
  const tmp = `${out}.${process.pid}.tmp`;
  writeFileSync(tmp, code);
  renameSync(tmp, out);
  // Older code's bundles of this variant go: a worker reads its bundle once, at start, so none is in use.
  const dir = dirname(out);
  for (const name of readdirSync(dir)) {
    if (name !== basename(out) && name.startsWith(`${variant}-`) && name.endsWith('.js')) rmSync(join(dir, name), { force: true });
  }
  console.log(`workflow bundle (${variant}, ${Math.round(code.length / 1024)} KiB) written to ${out} in ${Date.now() - started} ms`);
}

async function main(args: string[]): Promise<void> {
  if (args[0] === '--all') {
    // Named by the code's hash: one already there is this code's, so a rebuild with no workflow change costs nothing.
    for (const variant of ['plain', 'traced'] as const) {
      const out = join(bundleDir(), bundleFileName(variant));
      if (existsSync(out)) console.log(`workflow bundle (${variant}) up to date: ${out}`);
      else await build(variant, out);
    }
    return;
  }
  const [variant, out] = args;
  if ((variant !== 'plain' && variant !== 'traced') || !out) throw new Error('usage: bundle-cli <plain|traced> <out.js> | --all');
  await build(variant, out);
}

main(process.argv.slice(2)).catch((err) => {
  console.error(err);
  process.exit(1);
});
