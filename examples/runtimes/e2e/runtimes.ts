import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { dirname } from 'node:path';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { Miniflare } from 'miniflare';

/** A relay running in one runtime, on 127.0.0.1. */
export interface RuntimeRelay {
  readonly url: string;
  /** From starting the process (or workerd) to the first 200 on `/healthz`. */
  readonly coldStartMs: number;
  /** What the runtime printed, for a failing test's message. */
  readonly output: string[];
  close(): Promise<void>;
}

export interface Runtime {
  readonly name: 'node' | 'bun' | 'deno' | 'workerd';
  /** Starts the runtime's app with these variables (`CRISP_*`) on a free port. */
  start(env: Record<string, string>): Promise<RuntimeRelay>;
}

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));
const require = createRequire(import.meta.url);
const bin = (name: string) => here(`../node_modules/.bin/${name}`);

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((done) => probe.listen(0, '127.0.0.1', done));
  const address = probe.address();
  await new Promise((done) => probe.close(done));
  return typeof address === 'object' && address ? address.port : 0;
}

/** Polls `/healthz` until it answers 200; rejects when `gone` settles first or after 30 s. */
async function healthy(url: string, gone: Promise<unknown>): Promise<void> {
  let exited = false;
  void gone.then(() => {
    exited = true;
  });
  const deadline = performance.now() + 30_000;
  while (!exited && performance.now() < deadline) {
    try {
      const response = await fetch(`${url}/healthz`);
      await response.body?.cancel();
      if (response.status === 200) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((done) => setTimeout(done, 10));
  }
  throw new Error(exited ? 'the runtime exited before answering' : 'no 200 on /healthz in 30 s');
}

/** A runtime that is a process of its own, started in this package's directory. */
function processRuntime(name: Runtime['name'], command: string, args: string[]): Runtime {
  return {
    name,
    async start(env) {
      const port = await freePort();
      const url = `http://127.0.0.1:${port}`;
      const output: string[] = [];
      const startedAt = performance.now();
      const child: ChildProcess = spawn(command, args, {
        cwd: here('..'),
        env: { ...process.env, ...env, HOST: '127.0.0.1', PORT: String(port), NO_COLOR: '1' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      child.stdout?.on('data', (chunk) => output.push(String(chunk)));
      child.stderr?.on('data', (chunk) => output.push(String(chunk)));
      const exited = new Promise<void>((done) => {
        child.once('exit', () => done());
        child.once('error', (error) => {
          output.push(String(error));
          done();
        });
      });
      const close = async () => {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
        await exited;
      };
      try {
        await healthy(url, exited);
      } catch (error) {
        await close();
        throw new Error(`${name}: ${(error as Error).message}\n${output.join('')}`);
      }
      return { url, coldStartMs: performance.now() - startedAt, output, close };
    },
  };
}

interface WranglerConfig {
  main: string;
  compatibility_date: string;
  compatibility_flags?: string[];
  durable_objects: { bindings: { name: string; class_name: string }[] };
  vars?: Record<string, string>;
}

/** A Worker under workerd, through miniflare; cold start counts from `new Miniflare`. */
async function startWorkerd(
  options: ConstructorParameters<typeof Miniflare>[0] & { scriptPath: string },
): Promise<RuntimeRelay> {
  const port = await freePort();
  const output: string[] = [];
  const startedAt = performance.now();
  const miniflare = new Miniflare({
    ...options,
    modules: true,
    modulesRoot: dirname(options.scriptPath),
    host: '127.0.0.1',
    port,
    handleRuntimeStdio(stdout: Readable, stderr: Readable) {
      stdout.on('data', (chunk: Buffer) => output.push(String(chunk)));
      stderr.on('data', (chunk: Buffer) => output.push(String(chunk)));
    },
  } as ConstructorParameters<typeof Miniflare>[0]);
  const url = `http://127.0.0.1:${port}`;
  const close = () => miniflare.dispose();
  try {
    await miniflare.ready;
    await healthy(url, new Promise(() => {}));
  } catch (error) {
    await close().catch(() => undefined);
    throw new Error(`workerd: ${(error as Error).message}\n${output.join('')}`);
  }
  return { url, coldStartMs: performance.now() - startedAt, output, close };
}

/**
 * examples/workers under workerd, configured from its wrangler.json (the bundle is the example's
 * `build`: esbuild, as wrangler bundles it).
 */
const workerd: Runtime = {
  name: 'workerd',
  start(env) {
    const example = here('../../workers/');
    const config = JSON.parse(readFileSync(`${example}wrangler.json`, 'utf8')) as WranglerConfig;
    return startWorkerd({
      scriptPath: `${example}dist/index.js`,
      compatibilityDate: config.compatibility_date,
      compatibilityFlags: config.compatibility_flags ?? [],
      durableObjects: Object.fromEntries(
        config.durable_objects.bindings.map((binding) => [binding.name, binding.class_name]),
      ),
      bindings: { ...config.vars, ...env },
    });
  },
};

/** src/worker.ts: the relay built at a plain Worker's global scope, no Durable Object. */
export function startPlainWorker(env: Record<string, string>): Promise<RuntimeRelay> {
  return startWorkerd({
    scriptPath: here('../dist/worker.js'),
    compatibilityDate: '2026-04-01',
    bindings: env,
  });
}

export const runtimes: readonly Runtime[] = [
  processRuntime('node', process.execPath, ['src/node.mjs']),
  processRuntime('bun', bin('bun'), ['src/bun.ts']),
  processRuntime('deno', bin('deno'), [
    'run',
    '--no-lock',
    '--quiet',
    '--allow-net=127.0.0.1',
    '--allow-env',
    'src/deno.ts',
  ]),
  workerd,
];

/** The runtimes' versions, for reports. */
export function versions(): Record<Runtime['name'], string> {
  const version = (name: string) =>
    (
      JSON.parse(readFileSync(require.resolve(`${name}/package.json`), 'utf8')) as {
        version: string;
      }
    ).version;
  return {
    node: process.versions.node,
    bun: version('bun'),
    deno: version('deno'),
    workerd: `miniflare ${version('miniflare')}`,
  };
}
