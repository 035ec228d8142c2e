// The Dockerfile read without a Docker engine: its stages and instructions, and the runtime
// image's /app rebuilt on disk from its COPY --from=build lines, to run the build as the image would.
import { cpSync, mkdtempSync, readFileSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '..', '..');

export interface Stage {
  from: string;
  name?: string;
  instructions: Array<{ op: string; args: string }>;
}

/** The Dockerfile as instructions (continuations joined, comments dropped), split into stages. */
export function dockerfileStages(file = join(ROOT, 'Dockerfile')): Stage[] {
  const text = readFileSync(file, 'utf8').replace(/\\\r?\n/g, ' ');
  const stages: Stage[] = [];
  for (const line of text.split(/\r?\n/)) {
    const m = /^\s*([A-Za-z]+)\s+(.*)$/.exec(line);
    if (!m || line.trimStart().startsWith('#')) continue;
    const op = m[1]!.toUpperCase();
    const args = m[2]!.trim();
    if (op === 'FROM') stages.push({ from: args, name: /\bAS\s+(\S+)/i.exec(args)?.[1], instructions: [] });
    else stages.at(-1)?.instructions.push({ op, args });
  }
  return stages;
}

/**
 * The runtime stage's working directory as a folder: every `COPY --from=<build stage> /app/x dest`
 * of the runtime stage, taken from this checkout (which `npm run build` has made the build stage's
 * /app). node_modules is linked rather than copied. Any other RUN step than package installation
 * in the runtime stage is refused, since it would not be reproduced here.
 */
export function runtimeImageDir(): string {
  const stages = dockerfileStages();
  const runtime = stages.at(-1)!;
  const build = stages.at(-2)!;
  const workdir = runtime.instructions.filter((i) => i.op === 'WORKDIR').at(-1)?.args;
  if (workdir !== '/app') throw new Error(`the runtime stage's WORKDIR is ${workdir}, not /app`);
  const unknownRuns = runtime.instructions.filter((i) => i.op === 'RUN' && !/^apt-get update\b/.test(i.args));
  if (unknownRuns.length) throw new Error(`runtime RUN steps not reproduced here: ${unknownRuns.map((r) => r.args).join('; ')}`);
  const app = mkdtempSync(join(tmpdir(), 'lead-engine-image-'));
  for (const copy of runtime.instructions.filter((i) => i.op === 'COPY')) {
    const words = copy.args.split(/\s+/);
    const from = words.find((w) => w.startsWith('--from='))?.slice('--from='.length);
    if (from !== build.name) throw new Error(`COPY not from the build stage: ${copy.args}`);
    const paths = words.filter((w) => !w.startsWith('--'));
    const dest = paths.pop()!;
    for (const src of paths) {
      if (!src.startsWith('/app/')) throw new Error(`COPY from outside /app: ${src}`);
      const rel = src.slice('/app/'.length);
      const to = dest.endsWith('/') ? join(app, dest, basename(rel)) : join(app, dest);
      if (rel === 'node_modules') symlinkSync(join(ROOT, 'node_modules'), to);
      else cpSync(join(ROOT, rel), to, { recursive: true });
    }
  }
  return app;
}
