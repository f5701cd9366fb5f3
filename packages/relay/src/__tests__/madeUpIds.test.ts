import { randomUUID } from 'node:crypto';
import { type CrispEmulator, startCrispEmulator } from '@crisp-unread/testing';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createUnreadRelay } from '../createUnreadRelay';
import { type ServedRelay, serveUnreadRelay } from '../node';
import { redisStore } from '../redisStore';
import { type Harness, shiftedClock, startHarness, webhookSecret } from './harness';
import { startTestRedis, type TestRedis, until } from './redisServer';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const madeUp = () => `session_${randomUUID()}`;
/** Headers of a request from `client` through one appending proxy (`trustProxy: true`). */
const from = (client: string) => ({ 'X-Forwarded-For': client });
// Noon UTC: the day's paced allowance is no limit here, only the per-client rules are.
const noon = () => shiftedClock(Date.UTC(2026, 0, 15, 12));

async function status(response: Response): Promise<number> {
  await response.body?.cancel();
  return response.status;
}

describe('unknownSessionLimit: made-up ids cost their senders', () => {
  it('blocks a client’s first reads for forMs after its strikes, not its cached reads nor others', async () => {
    h = await startHarness({ trustProxy: true, unknownSessionLimit: undefined, now: noon() });
    const harness = h;
    const get = (session: string, client: string) =>
      harness.get(`/sessions/${session}/unread`, { headers: from(client) });
    // A count the relay holds, read first by someone else.
    expect(await status(await get(h.sessionId, '198.51.100.9'))).toBe(200);
    for (let i = 0; i < 3; i++) expect(await status(await get(madeUp(), '198.51.100.1'))).toBe(404);
    const blocked = await get(madeUp(), '198.51.100.1');
    expect(blocked.status).toBe(429);
    expect(await blocked.json()).toMatchObject({ error: 'rate-limited' });
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(3500);
    // Its first reads are gone, real sessions too; what the relay holds is still served.
    const real = h.emulator.createSession(h.website.websiteId, { unread: 1 });
    expect(await status(await get(real, '198.51.100.1'))).toBe(429);
    expect(await status(await get(h.sessionId, '198.51.100.1'))).toBe(200);
    // Another client is not held back.
    expect(await status(await get(real, '198.51.100.2'))).toBe(200);
    expect(h.upstream()).toBe(5);
  });

  it('holds a strike while a first read is in flight: 50 concurrent made-up ids cost 3 calls', async () => {
    h = await startHarness({ trustProxy: true, unknownSessionLimit: undefined, now: noon() });
    const harness = h;
    h.emulator.fault({ type: 'latency', ms: 200 }, { times: 10 });
    const statuses = await Promise.all(
      Array.from({ length: 50 }, async () =>
        status(
          await harness.get(`/sessions/${madeUp()}/unread`, { headers: from('198.51.100.1') }),
        ),
      ),
    );
    expect(h.upstream()).toBe(3);
    expect(statuses.filter((s) => s === 404)).toHaveLength(3);
    expect(statuses.filter((s) => s === 429)).toHaveLength(47);
  });

  it('gives the strike back when Crisp knows the session: 10 new visitors from one address', async () => {
    h = await startHarness({ trustProxy: true, unknownSessionLimit: undefined, now: noon() });
    for (let i = 0; i < 10; i++) {
      const real = h.emulator.createSession(h.website.websiteId, { unread: i });
      const response = await h.get(`/sessions/${real}/unread`, { headers: from('203.0.113.7') });
      expect(await response.json()).toMatchObject({ count: i });
    }
  });

  it('refuses a malformed option', async () => {
    await expect(startHarness({ unknownSessionLimit: { strikes: 0 } })).rejects.toThrow(
      /unknownSessionLimit\.strikes/,
    );
  });

  it('a flood of 100 addresses × 100 made-up ids costs at most 300 calls; 20 real new visitors are served during it', async () => {
    // The relay's defaults, behind one trusted proxy.
    h = await startHarness({ ...relayDefaults, trustProxy: true, now: noon() });
    const harness = h;
    const real = Array.from({ length: 20 }, (_, i) =>
      harness.emulator.createSession(harness.website.websiteId, { unread: i + 1 }),
    );
    const { attackerCalls, answers } = await floodWhileVisiting(harness, real);
    const served = answers.filter((body, i) => body?.count === i + 1).length;
    console.log(`flood: ${attackerCalls} attacker calls, ${served}/20 real visitors served`);
    expect(attackerCalls).toBeLessThanOrEqual(300);
    expect(served).toBeGreaterThanOrEqual(19);
  }, 60_000);

  it('with web hooks and every default, the same flood costs at most the hour of first reads; 20 new visitors get their count', async () => {
    h = await startHarness({
      ...relayDefaults,
      webhook: true,
      trustProxy: true,
      assumeUnseenSessions: undefined,
      now: noon(),
    });
    const harness = h;
    // New visitors: Crisp holds no unread message for them yet.
    const real = Array.from({ length: 20 }, () =>
      harness.emulator.createSession(harness.website.websiteId),
    );
    const { attackerCalls, answers } = await floodWhileVisiting(harness, real);
    // firstReads is 250 of 5,000: hourlyCap(250) = 42 calls in the hour, whoever asks.
    expect(attackerCalls).toBeLessThanOrEqual(42);
    expect(answers.filter((body) => body?.count === 0)).toHaveLength(20);
  }, 60_000);
});

/** The harness's test settings undone: the relay's own per-client limits and shares. */
const relayDefaults = {
  rateLimit: undefined,
  firstReadLimit: undefined,
  unknownSessionLimit: undefined,
  budgetShares: undefined,
};

/**
 * 100 addresses asking for 100 made-up ids each, while `real` visitors arrive one every 20 ms,
 * each from its own address: the Crisp calls the flood caused, and each visitor's count (or
 * `null` for a refusal).
 */
async function floodWhileVisiting(harness: Harness, real: readonly string[]) {
  const attack = Promise.all(
    Array.from({ length: 100 }, async (_, address) => {
      for (let i = 0; i < 100; i++) {
        const response = await harness.get(`/sessions/${madeUp()}/unread`, {
          headers: from(`10.66.${address >> 8}.${address & 255}`),
        });
        await response.body?.cancel();
      }
    }),
  );
  const answers = await Promise.all(
    real.map(async (session, i) => {
      await new Promise((resolve) => setTimeout(resolve, i * 20));
      const response = await harness.get(`/sessions/${session}/unread`, {
        headers: from(`203.0.113.${i + 1}`),
      });
      return response.status === 200 ? ((await response.json()) as { count: number }) : null;
    }),
  );
  await attack;
  const realCalls = real.reduce((sum, session) => sum + harness.upstream(session), 0);
  return { attackerCalls: harness.upstream() - realCalls, answers };
}

describe('the firstReads share, paced within the hour', () => {
  it('a burst of 120 new visitors at 23:00 spends 4 hours of the share, not the 482 the day allows', async () => {
    // No web hooks: firstReads 500 of 1000 (0.05 + half of hooks' 0.9); the day allows
    // ceil(500 x (0.1 + 0.9 x 23/24)) = 482.
    h = await startHarness({
      trustProxy: true,
      dailyBudget: 1000,
      budgetShares: undefined,
      now: shiftedClock(Date.UTC(2026, 0, 15, 23, 0)),
    });
    const harness = h;
    const sessions = Array.from({ length: 120 }, () =>
      harness.emulator.createSession(harness.website.websiteId, { unread: 1 }),
    );
    const responses = await Promise.all(
      sessions.map((session, i) =>
        harness.get(`/sessions/${session}/unread`, { headers: from(`203.0.113.${i}`) }),
      ),
    );
    const statuses = await Promise.all(responses.map(status));
    // ceil(500 x 4 / 24) = 84 in this hour; the rest wait for the next (at most an hour).
    expect(statuses.filter((s) => s === 200)).toHaveLength(84);
    expect(statuses.filter((s) => s === 503)).toHaveLength(36);
    const refused = responses.find((response) => response.status === 503)!;
    expect(Number(refused.headers.get('retry-after'))).toBeLessThanOrEqual(3600);
    expect(h.upstream()).toBe(84);
  });
});

describe('failedSignatureLimit: taken before the body is read', () => {
  it('answers 429 to at least 185 of 200 concurrent bad hooks from one address', async () => {
    h = await startHarness({ webhook: true, trustProxy: true });
    const harness = h;
    const timestamp = Date.now();
    const body = JSON.stringify({
      website_id: h.website.websiteId,
      event: 'message:send',
      data: { website_id: h.website.websiteId, session_id: h.sessionId },
      timestamp,
    });
    const statuses = await Promise.all(
      Array.from({ length: 200 }, async () =>
        status(
          await harness.get('/webhooks/crisp', {
            method: 'POST',
            headers: {
              ...from('198.51.100.66'),
              'Content-Type': 'application/json',
              'X-Crisp-Request-Timestamp': String(timestamp),
              'X-Crisp-Signature': 'f'.repeat(64),
            },
            body,
          }),
        ),
      ),
    );
    const refused = statuses.filter((s) => s === 429).length;
    console.log(`200 concurrent bad hooks: ${refused} answered 429`);
    // The default limit: 10 failures per client.
    expect(refused).toBeGreaterThanOrEqual(185);
    expect(statuses.filter((s) => s === 401)).toHaveLength(200 - refused);
    expect(webhookSecret).toBeTruthy();
  });
});

describe('limits shared by the instances on one Redis', () => {
  let redis: TestRedis;
  let emulator: CrispEmulator;
  const clients: Redis[] = [];
  const served: ServedRelay[] = [];

  beforeAll(async () => {
    redis = await startTestRedis();
    emulator = await startCrispEmulator();
  }, 30_000);
  afterAll(async () => {
    for (const relay of served) await relay.close();
    for (const client of clients) client.disconnect();
    await emulator?.close();
    await redis?.close();
  });

  async function twoRelays(website: ReturnType<CrispEmulator['createWebsite']>) {
    const urls: string[] = [];
    for (let i = 0; i < 2; i++) {
      const client = new Redis(redis.url, { maxRetriesPerRequest: 1, connectTimeout: 500 });
      client.on('error', () => undefined);
      clients.push(client);
      const relay = createUnreadRelay({
        ...emulator.restOptions(website),
        store: redisStore({ client }),
        trustProxy: true,
        rateLimit: { burst: 10, perSecond: 0.01 },
        firstReadLimit: false,
        log: false,
        now: noon(),
      });
      const server = await serveUnreadRelay(relay, { port: 0 });
      served.push(server);
      urls.push(server.url);
      // Shared once the store is connected; until then each instance counts in memory.
      await until(async () => {
        const health = (await (await fetch(`${server.url}/healthz`)).json()) as { status: string };
        return health.status === 'ok';
      }, 'the store connected');
    }
    return urls;
  }

  it('a frozen Redis holds no request: the limits count in memory after the store’s deadline', async () => {
    if (!redis.ownServer) return;
    const website = emulator.createWebsite();
    const session = emulator.createSession(website.websiteId, { unread: 1 });
    const [a] = await twoRelays(website);
    expect(await status(await fetch(`${a}/sessions/${session}/unread`))).toBe(200);
    redis.pause();
    try {
      const started = Date.now();
      const statuses = await Promise.all(
        Array.from({ length: 12 }, async () =>
          status(
            await fetch(`${a}/sessions/${session}/unread`, {
              headers: from('198.51.100.123'),
              signal: AbortSignal.timeout(10_000),
            }),
          ),
        ),
      );
      // The store's deadline is 1 s (no commandTimeout): answered within a few, not held.
      expect(Date.now() - started).toBeLessThan(8000);
      expect(statuses.filter((s) => s === 429)).toHaveLength(2);
    } finally {
      redis.resume();
    }
  }, 30_000);

  it('two relays give one rate limit and one set of strikes, not two', async () => {
    const website = emulator.createWebsite();
    const session = emulator.createSession(website.websiteId, { unread: 3 });
    const [a, b] = await twoRelays(website);
    const statuses: number[] = [];
    for (let i = 0; i < 30; i++) {
      const url = i % 2 === 0 ? a : b;
      statuses.push(
        await status(
          await fetch(`${url}/sessions/${session}/unread`, { headers: from('198.51.100.5') }),
        ),
      );
    }
    expect(statuses.filter((s) => s === 200)).toHaveLength(10);
    expect(statuses.filter((s) => s === 429)).toHaveLength(20);

    const before = emulator.requestCount({});
    const strikes: number[] = [];
    for (let i = 0; i < 8; i++) {
      const url = i % 2 === 0 ? a : b;
      strikes.push(
        await status(
          await fetch(`${url}/sessions/${madeUp()}/unread`, { headers: from(`198.51.100.${i}0`) }),
        ),
      );
    }
    expect(strikes.every((s) => s === 404)).toBe(true);
    // One client across both: its fourth made-up id is refused by the other instance.
    for (let i = 0; i < 6; i++) {
      const url = i % 2 === 0 ? a : b;
      strikes.push(
        await status(
          await fetch(`${url}/sessions/${madeUp()}/unread`, { headers: from('198.51.100.77') }),
        ),
      );
    }
    expect(strikes.slice(8)).toEqual([404, 404, 404, 429, 429, 429]);
    expect(emulator.requestCount({}) - before).toBe(11);

    // Redis away: each instance limits in memory (the insurance limiter) and answers no 500.
    if (!redis.ownServer) return;
    await redis.stop();
    const away: number[] = [];
    for (let i = 0; i < 15; i++) {
      away.push(
        await status(
          await fetch(`${a}/sessions/${session}/unread`, { headers: from('198.51.100.99') }),
        ),
      );
    }
    expect(away.filter((s) => s === 429)).toHaveLength(5);
    expect(away.every((s) => s === 429 || s === 200 || s === 503)).toBe(true);
  }, 30_000);
});
