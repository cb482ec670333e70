import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: {
    // graphql 16 ships ESM (index.mjs, picked by Vite's `module` field) and CJS (index.js, what
    // Node loads for Yoga, Pothos and graphql-tools). Two copies break `instanceof` checks
    // ("Cannot use GraphQLScalarType from another module or realm"), so tests use Node's one.
    alias: [{ find: /^graphql$/, replacement: 'graphql/index.js' }],
  },
  test: {
    include: ['test/**/*.test.ts', 'src/**/*.test.ts', 'reference-backends/**/*.test.ts'],
    environment: 'node',
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Integration tests bind loopback ports and spawn processes; two cores, so keep the pool small.
    maxWorkers: 2,
    coverage: { provider: 'v8', include: ['src/**'], reporter: ['text', 'html'] },
  },
});
