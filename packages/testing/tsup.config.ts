import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'es2022',
  // loadFixture resolves fixtures/ from import.meta.url, which the CJS build needs shimmed.
  shims: true,
});
