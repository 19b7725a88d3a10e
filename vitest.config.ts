import { defineConfig } from 'vitest/config';

/**
 * Every suite that reaches the app through the default engine (HTTP, console, browser,
 * notifications, heartbeats, security) runs twice: on embedded PGlite, the engine users get by
 * default, and on PostgreSQL, the engine of a scaled-out deployment (whenever DATABASE_URL is set,
 * always in CI). Files that pick their engines themselves (storage, sessions, scale-out) and files
 * with no database run once, in the PGlite project.
 */
const onBothEngines = [
  'test/routes/**/*.test.ts',
  'test/statuspage-v1/**/*.test.ts',
  'test/browser/**/*.test.ts',
  'test/notifications/**/*.test.ts',
  'test/heartbeats/**/*.test.ts',
  'test/heartbeats.test.ts',
  'test/jobs/**/*.test.ts',
  'test/security/**/*.test.ts',
];

export default defineConfig({
  test: {
    globalSetup: ['test/helpers/global-setup.ts', 'test/helpers/pubsub-global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Two cores: two files at a time, each with its own database.
    maxWorkers: 2,
    fileParallelism: true,
    projects: [
      { extends: true, test: { name: 'pglite', include: ['test/**/*.test.ts'], provide: { testEngine: 'pglite' } } },
      ...(process.env.DATABASE_URL ? [{ extends: true, test: { name: 'postgres', include: onBothEngines, provide: { testEngine: 'postgres' } } }] : []),
    ],
  },
});
