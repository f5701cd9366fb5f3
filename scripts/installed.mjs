#!/usr/bin/env node
// The packages as users install them: packs every public package (`pnpm pack`, so `workspace:`
// ranges become versions), installs the tarballs into a scratch project outside the workspace
// (dependencies from the registry, through pnpm's store), then imports every entry as ESM,
// requires it as CommonJS, and type-checks a consumer of every entry with `tsc` (strict,
// exactOptionalPropertyTypes) under node16 and bundler resolution. Run after the build.
import { spawnSync } from 'node:child_process';
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const packages = ['core', 'testing', 'react', 'vue', 'relay'];
// `node scripts/installed.mjs [--keep] [pnpm command…]`, e.g. `npx -y pnpm@12.4.2`.
const args = process.argv.slice(2);
const keep = args[0] === '--keep';
const pnpm = args.slice(keep ? 1 : 0).length ? args.slice(keep ? 1 : 0) : ['pnpm'];
const env = { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1' };

function run(command, args, cwd) {
  const result = spawnSync(command, args, { cwd, env, encoding: 'utf8' });
  if (result.status !== 0) {
    process.stderr.write(`${result.stdout ?? ''}${result.stderr ?? ''}`);
    throw new Error(
      `\`${[command, ...args].join(' ')}\` failed in ${cwd}` +
        (result.error ? `: ${result.error.message}` : ` with exit code ${result.status}`),
    );
  }
  return result.stdout;
}

const started = Date.now();
const seconds = () => `${Math.round((Date.now() - started) / 1000)} s`;
const scratch = mkdtempSync(join(tmpdir(), 'crisp-unread-installed-'));
try {
  // 1. Pack.
  const tarballs = join(scratch, 'tarballs');
  mkdirSync(tarballs);
  /** Package name → its tarball and its public entries (`exports` keys but package.json). */
  const packed = packages.map((dir) => {
    const manifest = JSON.parse(readFileSync(join(root, 'packages', dir, 'package.json'), 'utf8'));
    const before = new Set(readdirSync(tarballs));
    run(
      pnpm[0],
      [...pnpm.slice(1), 'pack', '--pack-destination', tarballs],
      join(root, 'packages', dir),
    );
    const tarball = readdirSync(tarballs).find((file) => !before.has(file));
    if (!tarball) throw new Error(`pnpm pack made no tarball for ${manifest.name}`);
    const entries = Object.keys(manifest.exports)
      .filter((key) => key !== './package.json')
      .map((key) => (key === '.' ? manifest.name : `${manifest.name}/${key.slice(2)}`));
    return { name: manifest.name, tarball: join(tarballs, tarball), entries };
  });
  const entries = packed.flatMap(({ entries }) => entries);

  // 2. Install into a project that is not part of the workspace. The tarballs stand in for the
  // registry's @crisp-unread packages wherever they depend on one another.
  const app = join(scratch, 'app');
  mkdirSync(app);
  const tarballOf = Object.fromEntries(
    packed.map(({ name, tarball }) => [name, `file:${tarball}`]),
  );
  const rootManifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const versionOf = (name) =>
    rootManifest.devDependencies[name] ??
    JSON.parse(readFileSync(join(root, 'packages', 'react', 'package.json'), 'utf8'))
      .devDependencies[name];
  const relayManifest = JSON.parse(
    readFileSync(join(root, 'packages', 'relay', 'package.json'), 'utf8'),
  );
  writeFileSync(
    join(app, 'package.json'),
    `${JSON.stringify(
      {
        name: 'crisp-unread-installed-check',
        private: true,
        type: 'module',
        dependencies: {
          ...tarballOf,
          react: '^19.0.0',
          vue: '^3.5.0',
          typescript: versionOf('typescript'),
          '@types/node': versionOf('@types/node'),
          '@types/react': versionOf('@types/react'),
          // The relay's optional peer its `prometheus` entry imports, as a user of that entry adds it.
          'prom-client': relayManifest.peerDependencies['prom-client'],
        },
      },
      null,
      2,
    )}\n`,
  );
  writeFileSync(
    join(app, 'pnpm-workspace.yaml'),
    `overrides:\n${Object.entries(tarballOf)
      .map(([name, spec]) => `  '${name}': '${spec}'\n`)
      .join('')}`,
  );
  run(
    pnpm[0],
    [
      ...pnpm.slice(1),
      'install',
      '--prefer-offline',
      '--reporter=silent',
      '--config.node-linker=isolated',
    ],
    app,
  );
  console.log(
    `  packed ${packed.length} packages and installed them in a scratch project (${seconds()})`,
  );

  // 3. Load every entry both ways, and check both expose the same names.
  copyFileSync(join(root, 'scripts', 'installed-load.mjs'), join(app, 'load.mjs'));
  process.stdout.write(run(process.execPath, ['load.mjs', ...entries], app));

  // 4. Type-check consumers of every entry: ESM (.mts) and CommonJS (.cts) under node16, and the
  // same code under bundler resolution. The node16 run also checks every declaration file it
  // loads (ours, as published, and the frameworks'); the bundler run, resolving the same files
  // through other conditions, skips that costly part.
  const imports = entries
    .map((entry, index) => `import * as entry${index} from '${entry}';`)
    .join('\n');
  const use = `${imports}
import { createUnreadStore, crispChatbox, crispRelay, type UnreadState } from '@crisp-unread/core';
import { createUnreadRelay } from '@crisp-unread/relay';

// What apps write: environment values straight through, possibly undefined.
declare const env: Record<string, string | undefined>;
const store = createUnreadStore({
  source: crispRelay({ url: '/api/crisp-unread', stream: true, timeoutMs: undefined }),
  sessionId: env.SESSION_ID ?? null,
  pollIntervalMs: env.POLL ? Number(env.POLL) : undefined,
});
const state: UnreadState = store.getSnapshot();
const relay = createUnreadRelay({
  websiteId: env.CRISP_WEBSITE_ID!,
  identifier: env.CRISP_IDENTIFIER!,
  key: env.CRISP_KEY!,
  webhookSecret: env.CRISP_WEBHOOK_SECRET,
  basePath: env.BASE_PATH,
});
export const used = [${entries.map((_, index) => `entry${index}`).join(', ')}, state, relay, crispChatbox];
`;
  const checks = join(app, 'checks');
  mkdirSync(checks);
  writeFileSync(join(checks, 'esm.mts'), use);
  writeFileSync(join(checks, 'cjs.cts'), use);
  writeFileSync(join(checks, 'bundler.ts'), use);
  const compilerOptions = {
    strict: true,
    exactOptionalPropertyTypes: true,
    noUncheckedIndexedAccess: true,
    noEmit: true,
    target: 'ES2022',
    lib: ['ES2022', 'DOM'],
    types: ['node'],
    jsx: 'react-jsx',
  };
  const tsconfigs = {
    'tsconfig.node16.json': {
      compilerOptions: { ...compilerOptions, module: 'node16', moduleResolution: 'node16' },
      files: ['checks/esm.mts', 'checks/cjs.cts'],
    },
    'tsconfig.bundler.json': {
      compilerOptions: {
        ...compilerOptions,
        module: 'esnext',
        moduleResolution: 'bundler',
        skipLibCheck: true,
      },
      files: ['checks/bundler.ts'],
    },
  };
  for (const [file, config] of Object.entries(tsconfigs)) {
    writeFileSync(join(app, file), JSON.stringify(config, null, 2));
    run(process.execPath, [join(app, 'node_modules/typescript/bin/tsc'), '-p', file], app);
    console.log(`  tsc -p ${file}: ${config.files.join(', ')} type-check`);
  }
  console.log(
    `Installed from ${packed.length} tarballs, ${entries.length} entries checked in ${seconds()}.`,
  );
} finally {
  if (keep) console.log(`  kept ${scratch}`);
  else rmSync(scratch, { recursive: true, force: true });
}
