import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'es2022',
  external: ['react', '@crisp-unread/core'],
  // esbuild drops module directives when it bundles: put the one the entry needs back on top.
  banner: { js: "'use client';" },
});
