import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    // Real processes, folders, SQLite files, Docker and a browser: forks isolate native modules
    // and process-wide state (cwd, env) between files.
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    globalSetup: ['tests/support/global-setup.ts'],
    reporters: ['default'],
  },
});
