// How the launchers and the benchmark start the product's processes: from the sources with tsx's
// loader, or compiled from dist/ as the Dockerfile's image runs them (BENCH_RUNTIME).
import { join, resolve } from 'node:path';
import { benchRuntimeOf } from '../../bench/stack';
import { entryArgs } from '../../scripts/lib/processes';

const ROOT = resolve(__dirname, '..', '..');

test('a source entry runs under tsx, from the repo or from another tree', () => {
  expect(entryArgs('worker/main.ts')).toEqual(['--import', 'tsx', join(ROOT, 'worker/main.ts')]);
  expect(entryArgs('api/main.ts', { root: '/tmp/base' })).toEqual(['--import', 'tsx', '/tmp/base/api/main.ts']);
});

test('a compiled entry is its output under dist/, with no loader (source maps stay off)', () => {
  expect(entryArgs('worker/main.ts', { compiled: true })).toEqual([join(ROOT, 'dist/worker/main.js')]);
  expect(entryArgs('api/main.ts', { compiled: true })).toEqual([join(ROOT, 'dist/api/main.js')]);
  expect(() => entryArgs('dist/api/main.js', { compiled: true })).toThrow(/built from a \.ts source/);
});

test('BENCH_RUNTIME: dist by default, tsx on request, anything else refused', () => {
  expect(benchRuntimeOf(undefined)).toBe('dist');
  expect(benchRuntimeOf('')).toBe('dist');
  expect(benchRuntimeOf('dist')).toBe('dist');
  expect(benchRuntimeOf('tsx')).toBe('tsx');
  expect(() => benchRuntimeOf('ts-node')).toThrow(/BENCH_RUNTIME must be dist or tsx, got "ts-node"/);
});
