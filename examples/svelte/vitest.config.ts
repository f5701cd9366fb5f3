import { defineConfig } from 'vitest/config';

// The end-to-end tests: they serve the built app (run `vite build` first) and drive Chromium.
export default defineConfig({
  test: {
    environment: 'node',
    include: ['e2e/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
