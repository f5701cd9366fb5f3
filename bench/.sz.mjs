import { build } from 'esbuild';
import { gzipSync } from 'node:zlib';
const core = '/work/wt/core-pipeline/packages/core/src/index.ts';
const entries = {
  relay: `export { createUnreadStore, crispRelay } from '${core}';`,
  chatbox: `export { createUnreadStore, crispChatbox } from '${core}';`,
};
for (const [name, contents] of Object.entries(entries)) {
  const r = await build({ stdin: { contents, resolveDir: process.cwd(), loader: 'ts' }, bundle: true, minify: true, format: 'esm', write: false, metafile: true, external: ['rxjs', '@tanstack/query-core', 'zod', 'zod/mini'], outdir: '/tmp/o' });
  console.log(name, 'min', r.outputFiles[0].contents.length, 'gz', gzipSync(r.outputFiles[0].contents, { level: 9 }).length);
  const out = Object.values(r.metafile.outputs)[0];
  console.log(Object.entries(out.inputs).sort((a,b)=>b[1].bytesInOutput-a[1].bytesInOutput).map(([p,i])=>`${p.split('/').pop()} ${i.bytesInOutput}`).join(', '));
}
