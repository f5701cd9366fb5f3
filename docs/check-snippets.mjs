// Extracts every ```ts and ```tsx block of the READMEs (the root's and each package's) into
// node_modules/.cache/readme-snippets, one module per block, and type-checks them against the
// built packages, as users import them: strict, with exactOptionalPropertyTypes. The names a
// snippet uses without defining them are declared in ambient.d.ts.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const out = join(here, 'node_modules', '.cache', 'readme-snippets');

const readmes = [
  'README.md',
  ...readdirSync(join(root, 'packages'))
    .map((name) => join('packages', name, 'README.md'))
    .filter((path) => existsSync(join(root, path))),
];

/**
 * A block that is one of the examples' files as it is (its first line names the file, `// app/page.tsx`):
 * the example's own typecheck checks it among its neighbours and its framework's types, and the
 * example's readme test keeps block and file identical. Alone here its relative imports would not
 * resolve.
 */
function isExampleFile(code) {
  const [first, ...rest] = code.split('\n');
  const path = /^\/\/\s*([\w.[\]-]+(?:\/[\w.[\]-]+)+\.tsx?)\s*$/.exec(first ?? '')?.[1];
  if (!path) return false;
  return readdirSync(join(root, 'examples')).some((example) => {
    const file = join(root, 'examples', example, path);
    return existsSync(file) && readFileSync(file, 'utf8') === rest.join('\n');
  });
}

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
/** Snippet file → where it comes from, to point tsc's errors back at the README. */
const origins = new Map();
for (const readme of readmes) {
  const text = readFileSync(join(root, readme), 'utf8');
  // A fenced block, possibly indented (inside a list item), closed at the same indentation.
  const fence = /^([ \t]*)```(tsx?)[ \t]*\n([\s\S]*?)^\1```[ \t]*$/gm;
  for (const match of text.matchAll(fence)) {
    const [, indent, lang, body] = match;
    const line = text.slice(0, match.index).split('\n').length;
    const code = body
      .split('\n')
      .map((each) => (each.startsWith(indent) ? each.slice(indent.length) : each))
      .join('\n');
    if (isExampleFile(code)) continue;
    const file = `${readme.replace(/[/.]/g, '_')}_L${line}.${lang}`;
    // `export {}` makes each block a module: its names stay its own, top-level await works.
    writeFileSync(join(out, file), `${code}\nexport {};\n`);
    origins.set(file, `${readme}:${line}`);
  }
}
if (origins.size === 0) {
  console.error('check-snippets: found no ```ts block in the READMEs.');
  process.exit(1);
}

const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const result = spawnSync(
  process.execPath,
  [tsc, '-p', join(here, 'tsconfig.json'), '--pretty', 'false'],
  {
    cwd: here,
    encoding: 'utf8',
  },
);
const report = `${result.stdout}${result.stderr}`.replace(
  /node_modules\/\.cache\/readme-snippets\/([\w.-]+)\((\d+),(\d+)\)/g,
  (_, file, line, column) => {
    const origin = origins.get(file);
    if (!origin) return `${file}(${line},${column})`;
    const [readme, start] = origin.split(':');
    return `${readme}:${Number(start) + Number(line)}:${column} (block at line ${start})`;
  },
);
if (result.status !== 0) {
  process.stderr.write(report);
  console.error(`\ncheck-snippets: the README blocks above do not type-check.`);
  process.exit(1);
}
console.log(`check-snippets: ${origins.size} README blocks type-check (${relative(root, out)}).`);
