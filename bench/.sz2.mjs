import { build } from 'esbuild';
import { gzipSync } from 'node:zlib';
const r = await build({ entryPoints: ['src/entries/badge.js'], bundle: true, minify: true, format: 'esm', write: false, metafile: true, external: ['react', 'react-dom'], outdir: '/tmp/o' });
console.log('min', r.outputFiles[0].contents.length, 'gz', gzipSync(r.outputFiles[0].contents, { level: 9 }).length);
const out = Object.values(r.metafile.outputs)[0];
const by = {};
for (const [p, i] of Object.entries(out.inputs)) {
  const m = /node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?((?:@[^/]+\/)?[^/]+)/.exec(p);
  const k = m ? m[1] : p.split('/').slice(0, 2).join('/');
  by[k] = (by[k] || 0) + i.bytesInOutput;
}
console.log(by);
const rx = Object.entries(out.inputs).filter(([p]) => p.includes('rxjs')).sort((a,b)=>b[1].bytesInOutput-a[1].bytesInOutput).map(([p,i])=>`${p.split('/').slice(-2).join('/')} ${i.bytesInOutput}`);
console.log(rx.join(', '));
const qc = Object.entries(out.inputs).filter(([p]) => p.includes('query-core')).sort((a,b)=>b[1].bytesInOutput-a[1].bytesInOutput).map(([p,i])=>`${p.split('/').slice(-1).join('/')} ${i.bytesInOutput}`);
console.log(qc.join(', '));
