// The one place ESM dependencies are handled: jest's module loader cannot require() ESM (ky ships only ESM) nor
// run a dynamic import() without --experimental-vm-modules (@fastify/cookie imports `cookie` that way), so swc
// compiles both our TypeScript and those packages to CommonJS.
const esmOnly = ['ky', '@fastify/cookie'];

const project = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.(t|j)s$': [
      '@swc/jest',
      { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } },
    ],
    // The portal's pages: TSX rendered by Preact on the server (as tsconfig.json says). Only .tsx is parsed as
    // TSX, where `<T>(x) => …` would read as an element.
    '^.+\\.tsx$': [
      '@swc/jest',
      {
        jsc: {
          parser: { syntax: 'typescript', tsx: true },
          transform: { react: { runtime: 'automatic', importSource: 'preact' } },
          target: 'es2022',
        },
        module: { type: 'commonjs' },
      },
    ],
  },
  transformIgnorePatterns: [`/node_modules/(?!(${esmOnly.join('|')})/)`],
  // The SDK's late gRPC retries after a connection closed stay in their own test file (see the file).
  setupFiles: ['<rootDir>/test/helpers/late-grpc-retry.ts'],
  testTimeout: 120_000,
};

/** @type {import('jest').Config} */
module.exports = {
  projects: [
    // Everything, speaking the given document's dialect to the emulator.
    { ...project, displayName: 'openapi' },
    // The workflow suites once more, speaking the real API's dialect (test/helpers/stack.ts reads it).
    {
      ...project,
      displayName: 'cloud',
      testMatch: ['<rootDir>/test/workflows/**/*.test.ts'],
      // Suites whose subject speaks no dialect: the compensation helper, the approval gate, schedules and the sweep's
      // days, the rotation starters. Every Ops API call they make is covered in this dialect by the others.
      testPathIgnorePatterns: [
        '/test/workflows/(compensation|approvals|schedule-key-rotation|schedule-sweep|rotate-starters)\\.test\\.ts$',
      ],
      setupFiles: [...project.setupFiles, '<rootDir>/test/helpers/cloud-dialect.ts'],
    },
  ],
  globalSetup: '<rootDir>/test/helpers/global-setup.ts',
  globalTeardown: '<rootDir>/test/helpers/global-teardown.ts',
  testSequencer: '<rootDir>/test/sequencer.js',
  testTimeout: 120_000,
  // Four on a 2-core box: the slowest suites mostly wait (for Temporal to notice a killed worker, a lease to run
  // out, a process to start), and the others run on the CPU they leave.
  maxWorkers: 4,
  // A worker that has run some forty suites takes over half a second to end after its `exit` event (native teardown of
  // every suite's Temporal runtime), and jest then prints "A worker process has failed to exit gracefully": recycled
  // once it holds this much, a worker ends at once, and no run has printed it since.
  workerIdleMemoryLimit: '512MB',
};
