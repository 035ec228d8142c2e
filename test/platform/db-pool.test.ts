// The pool keeps its connections through a lull (platform/db.ts): pg closes an idle one after 10 s,
// and the first requests after a quiet spell paid to open it again (a backend forked, SCRAM's
// PBKDF2, the intake function's plans made anew). Real PostgreSQL, the real 10 s.
import { createDb, poolOf, type Db } from '../../platform/db';

jest.setTimeout(60_000);
const dbs: Db[] = [];
afterAll(() => Promise.all(dbs.map((db) => db.$disconnect())));

/** Opens `n` connections at once; answers their backend pids. */
async function open(db: Db, n: number): Promise<number[]> {
  const rows = await Promise.all(
    Array.from({ length: n }, () => poolOf(db).query<{ pid: number }>('SELECT pg_backend_pid() AS pid FROM pg_sleep(0.2)')),
  );
  return rows.map((r) => r.rows[0]!.pid).sort();
}

test('idle connections stay open by default, and only as many as asked otherwise', async () => {
  const keepAll = createDb(process.env.DATABASE_URL!, 3);
  const keepOne = createDb(process.env.DATABASE_URL!, 3, {}, 1);
  dbs.push(keepAll, keepOne);
  const before = await open(keepAll, 3);
  await open(keepOne, 3);
  expect(new Set(before).size).toBe(3);
  expect([poolOf(keepAll).totalCount, poolOf(keepOne).totalCount]).toEqual([3, 3]);

  await new Promise((r) => setTimeout(r, 11_000)); // past pg's idle timeout (10 s)

  expect(poolOf(keepAll).totalCount).toBe(3);
  expect(poolOf(keepOne).totalCount).toBe(1);
  // The same backends answer after the lull: nothing was opened again.
  expect(await open(keepAll, 3)).toEqual(before);
});
