// Bundle sizes, minified + gzipped: the very figures of `pnpm size` (size-limit with the root
// .size-limit.json, preset-small-lib: esbuild + gzip level 9), plus which packages the badge path
// is made of (esbuild's metafile, minified bytes before gzip).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { Group, Row } from '../util';

const root = fileURLToPath(new URL('../../..', import.meta.url));

interface SizeLimitResult {
  name: string;
  passed?: boolean;
  size: number;
  sizeLimit?: number;
}

interface Check {
  name: string;
  metric: string;
  /** The goal in bytes; none for a reference row. */
  goal?: number;
  baseline?: string;
}

const checks: Check[] = [
  {
    name: 'core (',
    metric: "core's own code, everything it exports (rxjs, query-core, zod external)",
  },
  {
    name: 'core as the relay badge',
    metric: "core's own code as the relay badge imports it ({ createUnreadStore, crispRelay })",
    goal: 6000,
  },
  {
    name: 'core as a chatbox page',
    metric: "core's own code as a chatbox page imports it ({ createUnreadStore, crispChatbox })",
    goal: 6000,
  },
  { name: 'react adapter', metric: 'react adapter (react, core external)', goal: 1000 },
  { name: 'vue adapter', metric: 'vue adapter (vue, core external)', goal: 1000 },
  {
    name: 'React badge path',
    metric: 'whole React badge path (core + react + rxjs + query-core + zod)',
    goal: 26_000,
    baseline: 'baseline:',
  },
];

/** The import sets whose cost to a React app on react-query and rxjs is reported. */
const onTop = [
  { name: 'app + relay badge', metric: 'relay badge', entry: 'app-relay-badge' },
  { name: 'app + chatbox page', metric: 'chatbox page', entry: 'app-chatbox' },
];

/** Minified bytes per package of an entry, largest first. */
async function breakdown(entry: string, external: string[]): Promise<string> {
  const result = await build({
    entryPoints: [join(root, entry)],
    bundle: true,
    minify: true,
    treeShaking: true,
    format: 'esm',
    external,
    write: false,
    metafile: true,
    outdir: join(root, 'bench', '.tmp'),
    logLevel: 'silent',
  });
  const bytes = new Map<string, number>();
  for (const output of Object.values(result.metafile.outputs)) {
    for (const [path, input] of Object.entries(output.inputs)) {
      const match = /node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?((?:@[^/]+\/)?[^/]+)/.exec(
        path,
      );
      const name = match?.[1] ?? (path.includes('packages/') ? path.split('/')[1]! : 'entry');
      const label = path.includes('packages/core/') ? '@crisp-unread/core' : name;
      bytes.set(label, (bytes.get(label) ?? 0) + input.bytesInOutput);
    }
  }
  return [...bytes]
    .sort((a, b) => b[1] - a[1])
    .map(([name, size]) => `${name} ${(size / 1000).toFixed(1)} kB`)
    .join(', ');
}

export const sizes: Group = async ({ log }) => {
  for (const dist of ['core', 'react', 'vue']) {
    if (!existsSync(join(root, 'packages', dist, 'dist', 'index.js'))) {
      throw new Error(`packages/${dist}/dist is missing: run pnpm exec turbo run build first`);
    }
  }
  log('size-limit --json (the root .size-limit.json)');
  const run = spawnSync(join(root, 'node_modules', '.bin', 'size-limit'), ['--json'], {
    cwd: root,
    encoding: 'utf8',
  });
  // size-limit exits 1 when a budget fails; its JSON is still the answer.
  let results: SizeLimitResult[];
  try {
    results = JSON.parse(run.stdout) as SizeLimitResult[];
  } catch {
    throw new Error(`size-limit gave no JSON (exit ${run.status}): ${run.stderr || run.stdout}`);
  }
  const find = (prefix: string) => results.find((result) => result.name.startsWith(prefix));
  const rows: Row[] = [];
  for (const check of checks) {
    const result = find(check.name);
    const baseline = check.baseline ? find(check.baseline) : undefined;
    rows.push({
      group: 'sizes',
      metric: check.metric,
      value: result?.size ?? null,
      unit: 'B gzip',
      baseline: baseline?.size ?? null,
      baselineLabel: baseline ? '@tanstack/react-query useQuery badge' : '',
      goal: check.goal ? `<= ${check.goal} B (${check.goal / 1000} kB)` : 'reference',
      pass: result && check.goal ? result.size <= check.goal : null,
      ...(result ? {} : { note: `no size-limit entry named "${check.name}…"` }),
    });
  }
  const badge = rows.at(-1)!;
  const floor = find('floor:');
  badge.note = `minified, before gzip: ${await breakdown('bench/src/entries/badge.js', [
    'react',
    'react-dom',
  ])}. Of its gzip bytes, ${floor ? `${floor.size} B` : 'an unmeasured part'} are the dependency floor (next row).`;
  rows.push({
    group: 'sizes',
    metric:
      'dependency floor of the design as built: what core imports of query-core, rxjs and zod',
    value: floor?.size ?? null,
    unit: 'B gzip',
    baseline: null,
    baselineLabel: '',
    goal: 'reference (no crisp-unread code)',
    pass: null,
    note: 'src/entries/floor.js: QueryClient, QueryObserver, hashKey, focusManager and onlineManager; every rxjs subject and operator core imports; one zod/mini object. No badge on this design ships less; the badge path minus this is crisp-unread itself.',
  });
  const app = find('app baseline:');
  for (const set of onTop) {
    const result = find(set.name);
    rows.push({
      group: 'sizes',
      metric: `${set.metric} in a React app that already ships @tanstack/react-query and rxjs: bytes on top`,
      value: result && app ? result.size - app.size : null,
      unit: 'B gzip',
      baseline: app?.size ?? null,
      baselineLabel: 'the app without crisp-unread (react-query + the rxjs core uses)',
      goal: 'reference',
      pass: null,
      note: `src/entries/${set.entry}.js minus src/entries/app-baseline.js, gzip each: core's own code, @crisp-unread/react and zod/mini.`,
    });
  }
  return rows;
};
