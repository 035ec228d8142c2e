// BENCH_BASELINE=<commit>: the API of an earlier commit, measured beside this one in the same run
// (same machine, database, Temporal and worker), so a before/after is not two runs' noise. The
// commit's tree is exported (`git archive`, no checkout touched) into a temp folder that borrows
// this tree's node_modules and generated Prisma client — so its schema must be this one's.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface BaselineTree {
  commit: string;
  root: string;
  remove(): void;
}

export function exportBaseline(ref: string): BaselineTree {
  const repo = join(__dirname, '..');
  const git = (...args: string[]) =>
    execFileSync('git', args, { cwd: repo, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 30 });
  const commit = git('rev-parse', '--verify', `${ref}^{commit}`).trim();
  const schema = git('show', `${commit}:prisma/schema.prisma`);
  if (schema !== readFileSync(join(repo, 'prisma', 'schema.prisma'), 'utf8')) {
    throw new Error(`BENCH_BASELINE ${ref}: its prisma/schema.prisma differs from this tree's; its API cannot share this Prisma client`);
  }
  const root = mkdtempSync(join(tmpdir(), 'lead-engine-baseline-'));
  execFileSync('sh', ['-c', `git archive ${commit} | tar -x -C "${root}"`], { cwd: repo, stdio: ['ignore', 'ignore', 'pipe'] });
  symlinkSync(join(repo, 'node_modules'), join(root, 'node_modules'));
  symlinkSync(join(repo, 'generated'), join(root, 'generated'));
  return { commit, root, remove: () => rmSync(root, { recursive: true, force: true }) };
}
