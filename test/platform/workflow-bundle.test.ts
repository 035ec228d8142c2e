// worker/bundle.ts: the worker loads its workflows from a bundle file built outside its process,
// named by its code, built once and reused; WORKFLOW_BUNDLE overrides.
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { bundleFileName, workflowBundle } from '../../worker/bundle';

jest.setTimeout(240_000);

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'workflow-bundles-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const codePathOf = (b: Awaited<ReturnType<typeof workflowBundle>>) => {
  if (!('codePath' in b)) throw new Error('expected a bundle file');
  return b.codePath;
};

test('the plain bundle is built in a child process once, named by the code, and has no tracing in it', async () => {
  const env = { WORKFLOW_BUNDLE_DIR: dir };
  // An older code's bundles: the plain one goes when the new plain one is written, the traced one stays.
  writeFileSync(join(dir, 'plain-0000000000000000.js'), '// old');
  writeFileSync(join(dir, 'traced-0000000000000000.js'), '// old');
  const path = codePathOf(await workflowBundle('plain', env));
  expect(existsSync(join(dir, 'plain-0000000000000000.js'))).toBe(false);
  expect(existsSync(join(dir, 'traced-0000000000000000.js'))).toBe(true);
  expect(basename(path)).toBe(bundleFileName('plain'));
  expect(basename(path)).toMatch(/^plain-[0-9a-f]{16}\.js$/);
  const code = readFileSync(path, 'utf8');
  expect(code).toContain('./workflows/lead.ts');
  expect(code).not.toContain('./workflows/tracing-interceptors.ts');
  // The shared domain modules are preloaded (worker/sandbox.ts), as the worker's bundle always was.
  expect(code).toContain('./domain/lifecycle.ts');

  const built = statSync(path).mtimeMs;
  expect(codePathOf(await workflowBundle('plain', env))).toBe(path);
  expect(statSync(path).mtimeMs).toBe(built); // reused, not rebuilt
});

test('the traced bundle carries the workflow tracing interceptors', async () => {
  const path = codePathOf(await workflowBundle('traced', { WORKFLOW_BUNDLE_DIR: dir }));
  expect(basename(path)).toMatch(/^traced-[0-9a-f]{16}\.js$/);
  expect(readFileSync(path, 'utf8')).toContain('./workflows/tracing-interceptors.ts');
});

test('WORKFLOW_BUNDLE names an operator-built bundle, used as is', async () => {
  expect(await workflowBundle('plain', { WORKFLOW_BUNDLE: '/opt/bundles/mine.js', WORKFLOW_BUNDLE_DIR: dir })).toEqual({
    codePath: '/opt/bundles/mine.js',
  });
});
