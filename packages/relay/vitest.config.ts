import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  // The Lua scripts as text, as tsup's `.lua` loader gives them to the build (`#redis-scripts`:
  // see package.json `imports`).
  resolve: {
    alias: { '#redis-scripts': fileURLToPath(new URL('src/redis/scripts.ts', import.meta.url)) },
  },
  plugins: [
    {
      name: 'lua-text',
      transform: (code, id) =>
        id.endsWith('.lua') ? { code: `export default ${JSON.stringify(code)};`, map: null } : null,
    },
  ],
  test: {
    include: ['src/**/*.test.ts'],
    testTimeout: 20_000,
  },
});
