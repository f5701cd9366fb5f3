import { defineConfig } from 'vitest/config';

// The end-to-end suite, once per runtime: each starts a real runtime (a process, or workerd).
export default defineConfig({
  test: {
    environment: 'node',
    include: ['e2e/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
