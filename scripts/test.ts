// `npm test`: provisioning already ran (pretest); this runs jest and passes its exit code on.
// Prisma's client loads its query compiler with a dynamic import(), which jest's module
// sandbox only allows with --experimental-vm-modules.
import { spawnSync } from 'node:child_process';

const res = spawnSync(
  process.execPath,
  ['--experimental-vm-modules', '--no-warnings=ExperimentalWarning', require.resolve('jest/bin/jest'), ...process.argv.slice(2)],
  { stdio: 'inherit' },
);
process.exit(res.status ?? 1);
