// `npm run db:migrate`: applies prisma/migrations to DATABASE_URL.
// MIGRATOR=prisma runs the official `prisma migrate deploy` (needs Prisma's schema engine, which
// it downloads); MIGRATOR=builtin uses scripts/lib/migrate.ts, which keeps the same
// _prisma_migrations bookkeeping; auto (default) tries the official engine first.
import { spawnSync } from 'node:child_process';
import { migrate } from './lib/migrate';

async function main(): Promise<void> {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error('DATABASE_URL is not set');
  const mode = process.env.MIGRATOR ?? 'auto';
  if (mode === 'prisma' || mode === 'auto') {
    const res = spawnSync(process.execPath, [require.resolve('prisma/build/index.js'), 'migrate', 'deploy'], {
      stdio: 'inherit',
      timeout: 120_000,
    });
    if (res.status === 0) return;
    if (mode === 'prisma') throw new Error('prisma migrate deploy failed');
    console.log('[migrate] the official engine is not available here; using the built-in applier');
  }
  const r = await migrate(url, (m) => console.log(`[migrate] ${m}`));
  console.log(`[migrate] ${r.applied.length} applied, ${r.alreadyApplied} already in place`);
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
