// The embedded PostgreSQL as root, asked to live in a private folder (mode 700): it runs as its
// unprivileged user from where that user can reach it — a copy of the binaries, data moved under
// the shared folder — instead of failing. (Not root: the server runs as the caller; skipped.)
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Client } from 'pg';
import { freePort } from '../../scripts/lib/ports';
import { startEmbeddedPostgres } from '../../scripts/lib/postgres';
import { isRoot, packagedBinaries, postgresUser, preparePlacement } from '../../scripts/lib/postgres-place';

const asRoot = isRoot() ? describe : describe.skip;

asRoot('embedded PostgreSQL started by root in a private folder', () => {
  let base: string;
  const before = process.env.LEAD_ENGINE_SHARED_DIR;
  beforeAll(() => {
    base = mkdtempSync(join(tmpdir(), 'lead-engine-private-'));
    chmodSync(base, 0o755);
    mkdirSync(join(base, 'private'), { mode: 0o700 });
    process.env.LEAD_ENGINE_SHARED_DIR = join(base, 'shared'); // a fresh shared folder: nothing cached
  });
  afterAll(() => {
    if (before === undefined) delete process.env.LEAD_ENGINE_SHARED_DIR;
    else process.env.LEAD_ENGINE_SHARED_DIR = before;
    rmSync(base, { recursive: true, force: true });
  });

  test('its binaries are copied where its user can run them, once', () => {
    const user = postgresUser();
    const packaged = packagedBinaries();
    // A clone's node_modules inside the private folder.
    const clone = join(base, 'private', 'clone-native');
    spawnSync('cp', ['-a', packaged.native, clone]);
    const cantRun = spawnSync(join(clone, 'bin', 'postgres'), ['--version'], { uid: user.uid, gid: user.gid });
    expect(cantRun.error).toMatchObject({ code: 'EACCES' }); // what `npm test` met: spawn … EACCES

    const place = preparePlacement(clone, packaged.version, join(base, 'data', 'pg'), user);
    expect(place).toMatchObject({ copyFrom: clone, movedData: false });
    expect(dirname(place.native)).toBe(join(base, 'shared'));
    const run = spawnSync(join(place.native, 'bin', 'postgres'), ['--version'], { uid: user.uid, gid: user.gid, encoding: 'utf8' });
    expect(run.stdout).toMatch(/^postgres \(PostgreSQL\) \d+/);

    const copied = statSync(join(place.native, '.complete')).mtimeMs;
    preparePlacement(clone, packaged.version, join(base, 'data', 'pg'), user); // cached
    expect(statSync(join(place.native, '.complete')).mtimeMs).toBe(copied);
  });

  test('a data folder under a private parent is kept under the shared folder, and found again', async () => {
    const wanted = join(base, 'private', '.data', 'postgres');
    const logs: string[] = [];
    const port = await freePort();
    const start = () =>
      startEmbeddedPostgres({ dataDir: wanted, port, database: 'leads_private', persistent: true, log: (m) => logs.push(m) });

    const pg = await start();
    expect(dirname(dirname(pg.dataDir))).toBe(join(base, 'shared'));
    expect(logs.join('\n')).toContain(`data is kept in ${pg.dataDir}`);
    const write = new Client({ connectionString: pg.url });
    await write.connect();
    await write.query('CREATE TABLE kept (v text)');
    await write.query('INSERT INTO kept VALUES ($1)', ['still here']);
    await write.end();
    await pg.stop();
    expect(existsSync(wanted)).toBe(false); // nothing written where the server could not reach

    const again = await start();
    try {
      expect(again.dataDir).toBe(pg.dataDir);
      const read = new Client({ connectionString: again.url });
      await read.connect();
      const rows = await read.query<{ v: string }>('SELECT v FROM kept');
      await read.end();
      expect(rows.rows).toEqual([{ v: 'still here' }]);
    } finally {
      await again.stop();
    }
  });
});
