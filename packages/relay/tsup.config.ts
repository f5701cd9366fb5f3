import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts', 'src/node.ts', 'src/workers.ts', 'src/cli.ts', 'src/prometheus.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'es2022',
  // The Redis store's Lua scripts become strings in the bundle: no runtime reads them from disk.
  loader: { '.lua': 'text' },
  esbuildOptions(options) {
    // `#redis-scripts` (package.json `imports`): the scripts as text, not read from disk.
    options.conditions = ['crisp-unread-bundle', 'module'];
  },
});
