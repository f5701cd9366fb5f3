// Run by installed.mjs inside the scratch project: `node load.mjs <entry>…`. Imports each entry
// as ESM and requires it as CommonJS; both must expose the same names.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
for (const entry of process.argv.slice(2)) {
  const names = (module) =>
    Object.keys(module)
      .filter((name) => name !== 'default')
      .sort();
  const esm = names(await import(entry));
  const cjs = names(require(entry));
  if (esm.length === 0) throw new Error(`${entry}: the ESM entry exports nothing`);
  if (esm.join() !== cjs.join()) {
    throw new Error(`${entry}: ESM exports ${esm.join()} but CommonJS exports ${cjs.join()}`);
  }
  console.log(`  ${entry}: ${esm.length} exports, the same through import and require`);
}
