import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type CrispEmulator, startCrispEmulator } from '@crisp-unread/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRedis, type TestRedis, until } from './redisServer';
import { countStream, startRoundRobinProxy } from './roundRobinProxy';

// Two relay processes (the CLI, as deployed) behind a round-robin proxy: what a scaled or
// serverless host is. With one Redis every hook reaches every stream and no GET answers a wrong
// count; with the in-memory store each instance only knows the hooks it received.

const packageRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
let redis: TestRedis;
let emulator: CrispEmulator;
let dir: string;
let script: string;

beforeAll(async () => {
  redis = await startTestRedis();
  emulator = await startCrispEmulator();
  // The bin as shipped, importing the source instead of dist/cli.js.
  const bin = readFileSync(join(packageRoot, 'bin/crisp-unread-relay.mjs'), 'utf8');
  const source = bin.replace(
    "'../dist/cli.js'",
    `'${pathToFileURL(join(packageRoot, 'src/cli.ts')).href}'`,
  );
  dir = mkdtempSync(join(tmpdir(), 'crisp-unread-instances-'));
  script = join(dir, 'bin.mjs');
  writeFileSync(script, source);
}, 30_000);

afterAll(async () => {
  await emulator?.close();
  await redis?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface RelayProcess {
  url: string;
  output(): string;
  stop(): Promise<void>;
}

async function startRelayProcess(env: Record<string, string>): Promise<RelayProcess> {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', script], {
    cwd: packageRoot,
    env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk) => {
    output += String(chunk);
  });
  child.stderr?.on('data', (chunk) => {
    output += String(chunk);
  });
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
  try {
    await until(() => /listening on/.test(output) || child.exitCode !== null, 'listening', 30_000);
  } catch (error) {
    await stop();
    throw error;
  }
  const url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1];
  if (!url) {
    await stop();
    throw new Error(`the relay did not start: ${output}`);
  }
  return { url, output: () => output, stop };
}

interface Run {
  /** Per stream: how many of the 10 hooks' counts it received. */
  delivered: number[];
  /** Per hook: ms from the operator's message to the last stream that got it (with Redis). */
  latencies: number[];
  /** GETs through the proxy that answered a count Crisp no longer had, marked fresh. */
  wrongFresh: { count: number; expected: number }[];
  /** Requests the proxy sent to each instance. */
  sent: number[];
  outputs: string[];
}

async function twoInstances(shared: boolean): Promise<Run> {
  const website = emulator.createWebsite();
  const { websiteId } = website;
  const sessionId = emulator.createSession(websiteId, { unread: 1 });
  const secret = randomBytes(16).toString('hex');
  const env = {
    CRISP_WEBSITE_ID: websiteId,
    CRISP_IDENTIFIER: website.identifier,
    CRISP_KEY: website.key,
    CRISP_API_URL: emulator.url,
    CRISP_WEBHOOK_SECRET: secret,
    ...(shared ? { REDIS_URL: redis.url, REDIS_PREFIX: 'instances-test' } : {}),
  };
  const relays = await Promise.all([startRelayProcess(env), startRelayProcess(env)]);
  const proxy = await startRoundRobinProxy(relays.map((relay) => relay.url));
  const streams: ReturnType<typeof countStream>[] = [];
  try {
    if (shared) {
      for (const relay of relays) {
        await until(
          async () => (await (await fetch(`${relay.url}/healthz`)).json()).status === 'ok',
          'the relay sharing state through Redis',
        );
      }
    }
    emulator.setWebhook({ url: `${proxy.url}/webhooks/crisp`, secret }, { websiteId });
    // Four streams through the proxy: two on each instance.
    for (let i = 0; i < 4; i++) {
      const stream = countStream(`${proxy.url}/sessions/${sessionId}/unread/stream`);
      streams.push(stream);
      await until(() => stream.seen(1), 'the first count');
    }
    const latencies: number[] = [];
    const wrongFresh: Run['wrongFresh'] = [];
    for (let hook = 1; hook <= 10; hook++) {
      const sentAt = Date.now();
      const expected = emulator.operatorSends(websiteId, sessionId);
      if (shared) {
        await until(() => streams.every((s) => s.seen(expected)), `hook ${hook} on every stream`);
        latencies.push(
          Math.max(...streams.map((s) => s.counts.find((c) => c.count === expected)!.at)) - sentAt,
        );
      } else {
        // The one instance that got the hook has read and pushed the count when it answered.
        await emulator.webhooksDelivered();
        await new Promise((done) => setTimeout(done, 100));
      }
      // Two GETs: one reaches each instance.
      for (let get = 0; get < 2; get++) {
        const response = await fetch(`${proxy.url}/sessions/${sessionId}/unread`);
        const body = (await response.json()) as { count: number; stale: boolean };
        if (!body.stale && body.count !== expected) {
          wrongFresh.push({ count: body.count, expected });
        }
      }
    }
    const delivered = streams.map(
      (s) => new Set(s.counts.map((c) => c.count).filter((count) => count > 1)).size,
    );
    return {
      delivered,
      latencies,
      wrongFresh,
      sent: [...proxy.sent],
      outputs: relays.map((relay) => relay.output()),
    };
  } finally {
    for (const stream of streams) await stream.close();
    await proxy.close();
    await Promise.all(relays.map((relay) => relay.stop()));
  }
}

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
};

describe('two relay processes behind a round-robin proxy', () => {
  it('on one Redis: every hook reaches every stream, and no GET answers a wrong count', async () => {
    const run = await twoInstances(true);
    expect(run.delivered).toEqual([10, 10, 10, 10]);
    expect(run.wrongFresh).toEqual([]);
    // Both instances served: the proxy alternated (4 streams, 10 hooks, 20 GETs).
    expect(run.sent).toEqual([17, 17]);
    // A normal start: the store said `connecting`, never that Redis was unreachable.
    for (const output of run.outputs) expect(output).not.toContain('unreachable');
    console.info(
      `two instances on Redis: hooks per stream ${run.delivered.join('/')}; hook -> every stream ` +
        `p50 ${percentile(run.latencies, 0.5)} ms, max ${Math.max(...run.latencies)} ms`,
    );
  }, 60_000);

  it('without Redis (the in-memory store): streams miss the hooks the other instance got, GETs answer wrong counts as fresh', async () => {
    const run = await twoInstances(false);
    // Each hook reached one instance: the streams on the other one never heard of it.
    expect(run.delivered).toEqual([5, 5, 5, 5]);
    expect(run.wrongFresh.length).toBeGreaterThan(0);
    console.info(
      `two instances without Redis: hooks per stream ${run.delivered.join('/')}; ` +
        `${run.wrongFresh.length} of 20 GETs answered a wrong count marked fresh`,
    );
  }, 60_000);
});
