import { svelte } from '@sveltejs/vite-plugin-svelte';
import { defineConfig } from 'vitest/config';

// The end-to-end tests serve the built app (run `vite build` first) and drive Chromium; the
// component tests render the app's components with Svelte's server renderer.
export default defineConfig({
  plugins: [svelte()],
  test: {
    environment: 'node',
    include: ['e2e/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
