/** Jest: workflow tests on the time-skipping server, API tests on the dev server; one real
 * PostgreSQL and one workflow bundle shared by all (test/setup/global-setup.ts). */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // The fault suite kills and restarts processes for minutes: its own run (`npm run test:faults`).
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/faults/'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  globalSetup: '<rootDir>/test/setup/global-setup.ts',
  globalTeardown: '<rootDir>/test/setup/global-teardown.ts',
  setupFiles: ['<rootDir>/test/setup/quiet-runtime.ts'],
  testTimeout: 180_000,
  // One test file at a time: each time-skipping file runs its own Java test server beside the
  // dev server and PostgreSQL, and on a 2-core machine two of them starve each other's timers.
  maxWorkers: 1,
  // A fresh worker process for every test file: each file's Temporal runtime (native threads and
  // connections) dies with its process instead of piling up in one long-lived process.
  workerIdleMemoryLimit: '1MB',
};
