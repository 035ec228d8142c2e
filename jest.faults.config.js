/** Jest for the fault suite (`npm run test:faults`): the product's real processes, killed and
 * restarted by test/faults/*.test.ts itself, so no global setup; one file at a time. */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test/faults'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  testTimeout: 600_000,
  maxWorkers: 1,
  verbose: true,
};
