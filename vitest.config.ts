import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'examples/**/*.test.ts'],
    // Builds dist/ once (for the tests that run dist/cli/main.js) and prints the skipped tools at the end.
    globalSetup: ['test/setup/global-setup.ts'],
    // Every test must assert something (expect.hasAssertions()); test/meta/guards.test.ts keeps out guards that skip checks.
    setupFiles: ['test/setup/each-file.ts'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    pool: 'forks',
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    reporters: ['default'],
  },
});
