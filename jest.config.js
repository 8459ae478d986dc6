// Tests are TypeScript run as ESM through @swc/jest. The processes under test
// (controller, agents, simulated tools) run from dist/, built by `npm run build`.
//   unit/         pure logic, no processes
//   sim/          the simulated host tools, run as processes from dist/
//   integration/  the real stack: Temporal dev server + S3 server started once per run
//                 (test/harness/global-setup.mjs), controller and agents as child processes
const common = {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform: {
    '^.+\\.ts$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'es6' } }],
  },
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
};

export default {
  testTimeout: 180000,
  // the default output, and a reporter that keeps the run directory of a failed integration story
  reporters: ['default', '<rootDir>/test/harness/failure-reporter.mjs'],
  maxWorkers: 2,
  projects: [
    { ...common, displayName: 'unit', roots: ['<rootDir>/test/unit'], testMatch: ['**/*.test.ts'] },
    { ...common, displayName: 'sim', roots: ['<rootDir>/test/sim'], testMatch: ['**/*.test.ts'] },
    {
      ...common,
      displayName: 'integration',
      roots: ['<rootDir>/test/integration'],
      testMatch: ['**/*.test.ts'],
      globalSetup: '<rootDir>/test/harness/global-setup.mjs',
      globalTeardown: '<rootDir>/test/harness/global-teardown.mjs',
    },
  ],
};
