#!/usr/bin/env node
// The README's commands: `npm run demo` and `npm test` (or `pnpm demo` / `pnpm test`).
// Each sets up what it needs on a fresh machine (pnpm, dependencies, and for the tests the system
// packages the browser and Redis tests use), then runs. Only Node and npm are assumed.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pnpmVersion = '12.4.2';
const task = process.argv[2];
const env = { ...process.env, TURBO_TELEMETRY_DISABLED: '1', DO_NOT_TRACK: '1' };

function log(message) {
  console.log(`\n\u001b[1m▸ ${message}\u001b[0m`);
}

function fail(message) {
  console.error(`\n✗ ${message}`);
  process.exit(1);
}

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { cwd: root, env, stdio: 'inherit', ...options });
  if (result.error) fail(`${command} could not start: ${result.error.message}`);
  return result.status ?? 1;
}

function must(command, args, options) {
  const status = run(command, args, options);
  if (status !== 0) fail(`\`${[command, ...args].join(' ')}\` failed with exit code ${status}.`);
}

function checkNode() {
  const [major, minor] = process.versions.node.split('.').map(Number);
  if (major < 20 || (major === 20 && minor < 19)) {
    fail(
      `Node ${process.versions.node} is too old: install Node 20.19 or newer (22 LTS works too).`,
    );
  }
}

/** pnpm at the pinned version: the one on PATH when it matches, else through npx. */
function findPnpm() {
  const probe = spawnSync('pnpm', ['--version'], { cwd: root, env, encoding: 'utf8' });
  if (probe.status === 0 && probe.stdout.trim() === pnpmVersion) return ['pnpm', []];
  return ['npx', ['-y', `pnpm@${pnpmVersion}`]];
}

const [pnpmCommand, pnpmPrefix] = findPnpm();
const pnpm = (args, options) => must(pnpmCommand, [...pnpmPrefix, ...args], options);

function install() {
  log(`Installing dependencies (pnpm ${pnpmVersion}, frozen lockfile)`);
  pnpm(['install', '--frozen-lockfile', '--reporter=append-only']);
}

function have(command) {
  return spawnSync('sh', ['-c', `command -v ${command}`], { env }).status === 0;
}

/** Debian packages the test suites need; installed with apt where we may, else a clear message. */
function systemPackages() {
  const chromium = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
  const missing = [];
  if (!existsSync(chromium) && !have('chromium')) missing.push('chromium');
  // The relay's Redis tests start a redis-server of their own, unless REDIS_URL names one.
  if (!process.env.REDIS_URL && !existsSync('/usr/bin/redis-server') && !have('redis-server')) {
    missing.push('redis-server');
  }
  if (missing.length === 0) return;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (isRoot && have('apt-get')) {
    log(`Installing ${missing.join(', ')} from Debian's packages`);
    must('apt-get', ['update', '-qq']);
    must('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], {
      env: { ...env, DEBIAN_FRONTEND: 'noninteractive' },
    });
    return;
  }
  fail(
    `The tests need ${missing.join(' and ')}. Install ${missing.length > 1 ? 'them' : 'it'} first, e.g.\n` +
      `  sudo apt-get install -y ${missing.join(' ')}        (Debian/Ubuntu)\n` +
      `or point CHROMIUM_PATH at a Chromium or Chrome binary, REDIS_URL at a running Redis.`,
  );
}

function demo() {
  install();
  log('Building the packages');
  pnpm([
    'exec',
    'turbo',
    'run',
    'build',
    '--filter=@crisp-unread/example-vanilla^...',
    '--output-logs=errors-only',
  ]);
  log('Running the demo');
  pnpm(['--filter', '@crisp-unread/example-vanilla', 'run', '--silent', 'demo']);
}

function test() {
  install();
  systemPackages();
  log('Lint and format check (Biome)');
  pnpm(['exec', 'biome', 'ci', '--colors=off', '.']);
  log('Build, type-check and test every package (turbo)');
  const result = spawnSync(
    pnpmCommand,
    [
      ...pnpmPrefix,
      'exec',
      'turbo',
      'run',
      'build',
      'typecheck',
      'test',
      '--continue',
      '--concurrency=2',
      '--output-logs=full',
      '--log-order=grouped',
    ],
    {
      cwd: root,
      env: { ...env, FORCE_COLOR: '0', NO_COLOR: '1' },
      encoding: 'utf8',
      maxBuffer: 512 * 1024 * 1024,
      stdio: ['inherit', 'pipe', 'inherit'],
    },
  );
  process.stdout.write(result.stdout ?? '');
  const totals = countTests(result.stdout ?? '');
  if (result.status !== 0) {
    console.log(`\ntests: ${totals.passed} passed, ${Math.max(totals.failed, 1)} failed`);
    fail('turbo run build typecheck test failed (see above).');
  }
  log('Package checks (publint --strict, attw --pack)');
  for (const dir of publicPackages()) {
    must(pnpmCommand, [...pnpmPrefix, 'exec', 'publint', '--strict'], { cwd: join(root, dir) });
    must(pnpmCommand, [...pnpmPrefix, 'exec', 'attw', '--pack', '.', '--format', 'table-flipped'], {
      cwd: join(root, dir),
    });
  }
  log('Installed as users install them (packed tarballs, a scratch project, ESM, CommonJS, tsc)');
  must(process.execPath, [join(root, 'scripts', 'installed.mjs'), pnpmCommand, ...pnpmPrefix]);
  const summary = `tests: ${totals.passed} passed, ${totals.failed} failed${totals.skipped ? `, ${totals.skipped} skipped` : ''}`;
  console.log(`\n${totals.files} test files`);
  console.log(summary);
  // .ci/run repeats it as its closing line, after the demo and the benchmark.
  mkdirSync(join(root, '.tmp'), { recursive: true });
  writeFileSync(join(root, '.tmp', 'test-summary.txt'), `${summary}\n`);
  if (totals.passed === 0) fail('No test ran.');
}

function publicPackages() {
  return ['core', 'testing', 'react', 'vue', 'relay']
    .map((name) => `packages/${name}`)
    .filter(
      (dir) => existsSync(join(root, dir, 'package.json')) && existsSync(join(root, dir, 'src')),
    );
}

/** Adds up vitest's summary lines ("Tests  3 failed | 80 passed (83)") across packages. */
function countTests(output) {
  const totals = { passed: 0, failed: 0, skipped: 0, files: 0 };
  const ansi = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g');
  for (const line of output.replace(ansi, '').split('\n')) {
    const tests = /\bTests\s+(.+)\(\d+\)\s*$/.exec(line);
    if (tests) {
      for (const [, n, kind] of tests[1].matchAll(/(\d+) (passed|failed|skipped|todo)/g)) {
        if (kind === 'todo') totals.skipped += Number(n);
        else totals[kind] += Number(n);
      }
    }
    const files = /\bTest Files\s+.*?(\d+)\)\s*$/.exec(line);
    if (files) totals.files += Number(files[1]);
  }
  return totals;
}

/** `pnpm bench` (with `--quick` in CI) and the size-limit budgets, set up like the others. */
function bench(args) {
  install();
  systemPackages();
  log('Size budgets (size-limit)');
  pnpm(['run', 'size']);
  log(`Benchmarks${args.length ? ` (${args.join(' ')})` : ''}`);
  pnpm(['run', 'bench', ...(args.length ? ['--', ...args] : [])]);
}

checkNode();
if (task === 'demo') demo();
else if (task === 'test') test();
else if (task === 'bench') bench(process.argv.slice(3));
else if (task === 'install') install();
else fail(`Unknown task ${JSON.stringify(task)}: use demo, test or bench.`);
