import { defineConfig } from 'tsup';

export default defineConfig({
  // cli.ts is the bin's, not part of the public API.
  entry: ['src/index.ts', 'src/cli.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'es2022',
  // loadFixture resolves fixtures/ from import.meta.url, which the CJS build needs shimmed.
  shims: true,
});
