import { defineConfig } from 'vitest/config';

// The end-to-end tests: they run the built app (`nuxt build` first) with Nitro's Node server and drive Chromium.
export default defineConfig({
  test: {
    environment: 'node',
    include: ['e2e/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
