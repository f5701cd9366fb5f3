import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { type CrispEmulator, startCrispEmulator } from '@crisp-unread/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// The relay's own test parts: a real redis-server, a round-robin proxy, an SSE client.
import {
  freePort,
  startTestRedis,
  type TestRedis,
  until,
} from '../../../packages/relay/src/__tests__/redisServer';
import {
  countStream,
  startRoundRobinProxy,
} from '../../../packages/relay/src/__tests__/roundRobinProxy';

// What a Next.js app on a scaled or serverless host is: two `next start` of the built example
// behind one URL that sends each request to the next instance, sharing one Redis (REDIS_URL).

const appDir = fileURLToPath(new URL('..', import.meta.url));
const next = createRequire(import.meta.url).resolve('next/dist/bin/next');
let redis: TestRedis;
let emulator: CrispEmulator;

beforeAll(async () => {
  redis = await startTestRedis();
  emulator = await startCrispEmulator();
});

afterAll(async () => {
  await emulator?.close();
  await redis?.close();
});

async function nextStart(env: Record<string, string>) {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child: ChildProcess = spawn(
    process.execPath,
    [next, 'start', '--hostname', '127.0.0.1', '--port', String(port)],
    {
      cwd: appDir,
      env: { ...process.env, NODE_ENV: 'production', NEXT_TELEMETRY_DISABLED: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
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
    // The route creates its relay and store on its first request: wait until it shares state.
    await until(
      async () => {
        const response = await fetch(`${url}/api/crisp-unread/healthz`).catch(() => null);
        return response?.ok === true && (await response.json()).status === 'ok';
      },
      `next start on ${url} sharing state through Redis`,
      30_000,
    );
  } catch (error) {
    await stop();
    throw new Error(`${error instanceof Error ? error.message : error}\n${output}`);
  }
  return { url, output: () => output, stop };
}

describe('two `next start` of the example behind a round-robin proxy, on one Redis', () => {
  it('brings every web hook to every stream, and no GET answers a wrong count', async () => {
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
      REDIS_URL: redis.url,
    };
    const apps = await Promise.all([nextStart(env), nextStart(env)]);
    const proxy = await startRoundRobinProxy(apps.map((app) => app.url));
    const route = `${proxy.url}/api/crisp-unread`;
    const streams: ReturnType<typeof countStream>[] = [];
    try {
      emulator.setWebhook({ url: `${route}/webhooks/crisp`, secret }, { websiteId });
      for (let i = 0; i < 4; i++) {
        const stream = countStream(`${route}/sessions/${sessionId}/unread/stream`);
        streams.push(stream);
        await until(() => stream.seen(1), 'the first count');
      }
      const latencies: number[] = [];
      const wrong: { count: number; expected: number }[] = [];
      for (let hook = 1; hook <= 10; hook++) {
        const sentAt = Date.now();
        const expected = emulator.operatorSends(websiteId, sessionId);
        await until(() => streams.every((s) => s.seen(expected)), `hook ${hook} on every stream`);
        latencies.push(
          Math.max(...streams.map((s) => s.counts.find((c) => c.count === expected)!.at)) - sentAt,
        );
        for (let get = 0; get < 2; get++) {
          const body = (await (await fetch(`${route}/sessions/${sessionId}/unread`)).json()) as {
            count: number;
            stale: boolean;
          };
          if (body.count !== expected) wrong.push({ count: body.count, expected });
        }
      }
      const delivered = streams.map(
        (s) => new Set(s.counts.map((c) => c.count).filter((count) => count > 1)).size,
      );
      expect(delivered).toEqual([10, 10, 10, 10]);
      expect(wrong).toEqual([]);
      // Both instances served (4 streams, 10 hooks, 20 GETs, alternately).
      expect(proxy.sent).toEqual([17, 17]);
      for (const app of apps) expect(app.output()).not.toContain('unreachable');
      const sorted = [...latencies].sort((a, b) => a - b);
      console.info(
        `two next start on Redis: hooks per stream ${delivered.join('/')}; hook -> every stream ` +
          `p50 ${sorted[5]} ms, max ${sorted[9]} ms`,
      );
    } finally {
      for (const stream of streams) await stream.close();
      await proxy.close();
      await Promise.all(apps.map((app) => app.stop()));
    }
  });
});
