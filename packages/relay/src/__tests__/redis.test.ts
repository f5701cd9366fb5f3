import {
  type CrispEmulator,
  type EmulatedWebsite,
  startCrispEmulator,
} from '@crisp-unread/testing';
import { Redis, type RedisOptions } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { utcDay } from '../budget';
import { createUnreadRelay } from '../createUnreadRelay';
import { type ServedRelay, serveUnreadRelay } from '../node';
import { redisStore } from '../redisStore';
import { signCrispWebhook } from '../signature';
import type { BudgetReport, RelayStore, UnreadRelay, UnreadRelayOptions } from '../types';
import { shiftedClock, sseReader, testBudgetShares, webhookSecret } from './harness';
import { freePort, startTestRedis, type TestRedis, until } from './redisServer';

// Small timeouts so that commands fail fast while Redis is down (the README's advice).
const clientOptions: RedisOptions = {
  connectTimeout: 500,
  maxRetriesPerRequest: 1,
  retryStrategy: () => 100,
};

let redis: TestRedis;
const clients = new Set<Redis>();

function connect(options: RedisOptions = {}): Redis {
  const client = new Redis(redis.url, { ...clientOptions, ...options });
  client.on('error', () => undefined);
  clients.add(client);
  return client;
}

beforeAll(async () => {
  redis = await startTestRedis();
}, 30_000);

afterAll(async () => {
  for (const client of clients) client.disconnect();
  await redis?.close();
});

interface Instance {
  relay: UnreadRelay;
  served: ServedRelay;
  store: RelayStore;
  client: Redis;
  logs: string[];
  get(path: string, init?: RequestInit): Promise<Response>;
  health(): Promise<{ status: string; redis?: string }>;
}

interface Pair {
  emulator: CrispEmulator;
  website: EmulatedWebsite;
  sessionId: string;
  a: Instance;
  b: Instance;
  /** Points the emulator's web hooks at one instance. */
  hookTo(instance: Instance): void;
  upstream(sessionId?: string): number;
  close(): Promise<void>;
}

async function startInstance(
  emulator: CrispEmulator,
  website: EmulatedWebsite,
  options: Partial<UnreadRelayOptions>,
  // By default the store's own deadline; with `commandTimeout`, ioredis's.
  redisOptions: RedisOptions = {},
): Promise<Instance> {
  const client = connect(redisOptions);
  const store =
    redisOptions.commandTimeout === undefined
      ? redisStore({ client, operationTimeoutMs: 500 })
      : redisStore({ client });
  const logs: string[] = [];
  const relay = createUnreadRelay({
    ...emulator.restOptions(website),
    rateLimit: false,
    // Every request comes from 127.0.0.1, and the instances share their limits through Redis:
    // cold reads of many sessions would share one client's first reads and three strikes
    // (limits on Redis have their tests in madeUpIds.test.ts).
    firstReadLimit: false,
    unknownSessionLimit: false,
    budgetShares: testBudgetShares,
    // Answers without a read have their tests in assumed.test.ts; here a spent share is a 503.
    assumeUnseenSessions: false,
    webhookSecret,
    store,
    log: (line) => logs.push(line),
    ...options,
  });
  const served = await serveUnreadRelay(relay, { port: 0 });
  const get = (path: string, init?: RequestInit) => fetch(`${served.url}${path}`, init);
  return {
    relay,
    served,
    store,
    client,
    logs,
    get,
    health: async () => (await get('/healthz')).json(),
  };
}

async function startPair(options: Partial<UnreadRelayOptions> = {}): Promise<Pair> {
  const emulator = await startCrispEmulator();
  const website = emulator.createWebsite();
  const sessionId = emulator.createSession(website.websiteId, { unread: 2 });
  const a = await startInstance(emulator, website, options);
  const b = await startInstance(emulator, website, options);
  for (const instance of [a, b]) {
    await until(async () => (await instance.health()).status === 'ok', 'the store connecting');
  }
  return {
    emulator,
    website,
    sessionId,
    a,
    b,
    hookTo(instance) {
      emulator.setWebhook({ url: `${instance.served.url}/webhooks/crisp`, secret: webhookSecret });
    },
    upstream: (session) => emulator.requestCount(session ? { sessionId: session } : {}),
    async close() {
      await Promise.all([a.served.close(), b.served.close()]);
      await emulator.close();
      for (const instance of [a, b]) {
        clients.delete(instance.client);
        instance.client.disconnect();
      }
    },
  };
}

const unread = (sessionId: string) => `/sessions/${sessionId}/unread`;
const stream = (sessionId: string) => `/sessions/${sessionId}/unread/stream`;

async function signedHook(website: EmulatedWebsite, sessionId: string) {
  const timestamp = Date.now();
  const body = {
    website_id: website.websiteId,
    // An event whose effect on the count only a read tells (an operator's message is derived).
    event: 'message:updated',
    data: { website_id: website.websiteId, session_id: sessionId },
    timestamp,
  };
  const init: RequestInit = {
    method: 'POST',
    headers: {
      'X-Crisp-Request-Timestamp': String(timestamp),
      'X-Crisp-Signature': await signCrispWebhook(webhookSecret, timestamp, body),
    },
    body: JSON.stringify(body),
  };
  return init;
}

describe('redisStore: two relay instances on one Redis', () => {
  let pair: Pair | undefined;
  afterEach(async () => {
    await pair?.close();
    pair = undefined;
  });

  it('carries a web hook received by instance A to the stream clients of instance B', async () => {
    pair = await startPair({ ttlMs: 3_600_000 });
    const { a, b, website, sessionId } = pair;
    const onB = sseReader(await b.get(stream(sessionId)));
    const onA = sseReader(await a.get(stream(sessionId)));
    await until(() => onB.counts().length === 1 && onA.counts().length === 1, 'first events');
    expect(pair.upstream()).toBe(1);

    pair.hookTo(a);
    pair.emulator.operatorSends(website.websiteId, sessionId);
    await until(() => onB.counts().length === 2, 'the count on B');
    await until(() => onA.counts().length === 2, 'the count on A');
    expect(onB.counts().map((event) => event.count)).toEqual([2, 3]);
    expect(onA.counts().map((event) => event.count)).toEqual([2, 3]);
    expect(onB.ids()).toEqual(onA.ids());
    const deliveries = await pair.emulator.webhooksDelivered();
    expect(deliveries.map((delivery) => delivery.status)).toEqual([200]);
    // One cold read (B's stream opened first); the operator's message raised the count on A at
    // its hook's word, and Redis carried it to B: nobody read Crisp again.
    expect(pair.upstream()).toBe(1);
    expect(a.relay.stats().upstreamCalls).toBe(0);
    expect(b.relay.stats().upstreamCalls).toBe(1);
    expect(await (await b.get(unread(sessionId))).json()).toMatchObject({ count: 3 });

    // A hook replayed to the other instance is recognised as a duplicate through Redis.
    const hook = await signedHook(website, sessionId);
    expect(await (await a.get('/webhooks/crisp', hook)).json()).toMatchObject({ ok: true });
    expect(await (await b.get('/webhooks/crisp', hook)).json()).toMatchObject({
      ignored: 'duplicate',
    });
    // That hook's event (message:updated) is learnt by one read.
    expect(pair.upstream()).toBe(2);
    await Promise.all([onA.cancel(), onB.cancel()]);
  });

  it('remembers a late hook taken by A in Redis: its retry to B costs nothing; session:removed on A answers 404 on B', async () => {
    pair = await startPair({ ttlMs: 3_600_000 });
    const { a, b, website, sessionId } = pair;
    await a.get(unread(sessionId));
    pair.emulator.setWebhook({
      url: `${a.served.url}/webhooks/crisp`,
      secret: webhookSecret,
      timestampUnit: 's',
      lateByMs: 30 * 60_000,
    });
    pair.emulator.operatorSends(website.websiteId, sessionId);
    expect((await pair.emulator.webhooksDelivered()).map((d) => d.status)).toEqual([200]);
    // Taken at its word: the cold read only.
    expect(pair.upstream()).toBe(1);
    // Crisp's retry of the very same bytes, to the other instance (behind one URL).
    pair.emulator.clearWebhookDeliveries();
    pair.hookTo(b);
    const [retry] = await pair.emulator.redeliverWebhooks({ event: 'message:received' });
    expect(retry).toMatchObject({ status: 200, url: `${b.served.url}/webhooks/crisp` });
    expect(b.relay.stats().upstreamCalls).toBe(0);
    expect(pair.upstream()).toBe(1);

    pair.hookTo(a);
    pair.emulator.deleteSession(website.websiteId, sessionId);
    await pair.emulator.webhooksDelivered();
    const onB = await b.get(unread(sessionId));
    expect(onB.status).toBe(404);
    expect(pair.upstream()).toBe(1);
  });

  it('turns 400 concurrent cold requests spread over both instances into 1 upstream call', async () => {
    pair = await startPair();
    const { a, b, sessionId } = pair;
    pair.emulator.fault({ type: 'latency', ms: 100 }, { times: 1 });
    const bodies = await Promise.all(
      Array.from({ length: 400 }, (_, i) =>
        (i % 2 === 0 ? a : b).get(unread(sessionId)).then((r) => r.json()),
      ),
    );
    expect(bodies.every((body) => (body as { count: number }).count === 2)).toBe(true);
    expect(pair.upstream()).toBe(1);
    expect(a.relay.stats().upstreamCalls + b.relay.stats().upstreamCalls).toBe(1);
  });

  it('coalesces across instances per session: 20 sessions x 20 requests -> 20 upstream calls', async () => {
    pair = await startPair();
    const { a, b, emulator, website } = pair;
    const sessions = Array.from({ length: 20 }, () =>
      emulator.createSession(website.websiteId, { unread: 1 }),
    );
    const statuses = await Promise.all(
      sessions.flatMap((sessionId) =>
        Array.from({ length: 20 }, (_, i) =>
          (i % 2 === 0 ? a : b).get(unread(sessionId)).then((r) => r.status),
        ),
      ),
    );
    expect(statuses.every((status) => status === 200)).toBe(true);
    expect(pair.upstream()).toBe(20);
  });

  it('shares the budget shares: firstReads 12 of 40 over two instances -> 12 upstream calls in all', async () => {
    // Late in the UTC day the paced allowance is the whole share.
    const now = shiftedClock(Date.UTC(2026, 0, 15, 23, 59));
    pair = await startPair({ dailyBudget: 40, now });
    const { a, b, emulator, website } = pair;
    const sessions = Array.from({ length: 40 }, () =>
      emulator.createSession(website.websiteId, { unread: 1 }),
    );
    const statuses = await Promise.all(
      sessions.map((sessionId, i) =>
        (i % 2 === 0 ? a : b).get(unread(sessionId)).then((r) => r.status),
      ),
    );
    expect(statuses.filter((status) => status === 200)).toHaveLength(12);
    expect(statuses.filter((status) => status === 503)).toHaveLength(28);
    expect(pair.upstream()).toBe(12);
    const key = `crisp-unread:${website.websiteId}:budget:2026-01-15:firstReads`;
    expect(await a.client.get(key)).toBe('12');
    expect(await a.store.budgetUsed('2026-01-15:firstReads')).toBe(12);
    // `/healthz` answers at once from the figures it last read, and reads them again behind.
    const firstReads = async () =>
      ((await (await b.get('/healthz')).json()) as { budget: BudgetReport }).budget.shares
        .firstReads;
    await until(async () => (await firstReads()).spent === 12, 'the shared spend in /healthz');
    expect(await firstReads()).toEqual({ limit: 12, spent: 12, remaining: 0, allowance: 12 });
  });

  it('never passes the budget, whatever the concurrency (the counter is one Lua script)', async () => {
    // Three instances' stores on one website, with another prefix.
    const websiteId = crypto.randomUUID();
    const shared = Array.from({ length: 3 }, () =>
      redisStore({ client: connect(), websiteId, prefix: 'crisp-unread-test' }),
    );
    await until(async () => {
      const states = await Promise.all(shared.map((store) => store.health!()));
      return states.every((state) => state.status === 'ok');
    }, 'the stores connecting');
    const taken = await Promise.all(
      Array.from({ length: 300 }, (_, i) =>
        shared[i % 3]!.takeBudget(i % 2 ? '2026-01-15:hooks' : '2026-01-15:firstReads', 50),
      ),
    );
    expect(taken.filter(Boolean)).toHaveLength(100);
    expect(await shared[0]!.budgetUsed('2026-01-15:hooks')).toBe(50);
    expect(await shared[1]!.budgetUsed('2026-01-15:firstReads')).toBe(50);
    const client = connect();
    const key = `crisp-unread-test:${websiteId}:budget:2026-01-15:hooks`;
    expect(await client.get(key)).toBe('50');
    expect(await client.pttl(key)).toBeGreaterThan(86_400_000);
    await Promise.all(shared.map((store) => store.close!()));
  });

  it('namespaces its keys and stores nothing secret', async () => {
    pair = await startPair({ ttlMs: 3_600_000 });
    const { a, b, website, sessionId } = pair;
    const onB = sseReader(await b.get(stream(sessionId)));
    await until(() => onB.counts().length === 1, 'first event');
    pair.hookTo(a);
    pair.emulator.operatorSends(website.websiteId, sessionId);
    await until(() => onB.counts().length === 2, 'the count on B');
    const keys = await a.client.keys(`*${website.websiteId}*`);
    expect(keys.length).toBeGreaterThan(0);
    for (const key of keys) expect(key.startsWith(`crisp-unread:${website.websiteId}:`)).toBe(true);
    expect(keys).toContain(`crisp-unread:${website.websiteId}:count:${sessionId}`);
    for (const key of keys) {
      const value = (await a.client.type(key)) === 'string' ? await a.client.get(key) : '';
      expect(value).not.toContain(website.key);
      expect(value).not.toContain(webhookSecret);
      expect(key).not.toContain(website.key);
    }
    expect(JSON.parse((await a.client.get(keys.find((k) => k.includes(':count:'))!))!)).toEqual({
      count: 3,
      readAt: expect.any(Number),
      changedAt: expect.any(Number),
      // Raised by the hook's word, not read.
      derived: true,
    });
    await onB.cancel();
  });

  it("raises an assumed count across instances in Redis's one step, with no call", async () => {
    // No budget at all: every count here is assumed.
    pair = await startPair({ dailyBudget: 0, assumeUnseenSessions: true });
    const { a, b, website } = pair;
    const sessionId = pair.emulator.createSession(website.websiteId);
    const onB = sseReader(await b.get(stream(sessionId)));
    await until(() => onB.counts().length === 1, 'first event');
    expect(onB.counts()[0]).toMatchObject({ count: 0, assumed: true });
    // A learns that first reads are paced out as B did: by a client's read it could not pay.
    expect(await (await a.get(unread(sessionId))).json()).toMatchObject({ assumed: true });
    pair.hookTo(a);
    pair.emulator.operatorSends(website.websiteId, sessionId);
    await until(() => onB.counts().length === 2, 'the first raise on B');
    pair.emulator.operatorSends(website.websiteId, sessionId);
    await until(() => onB.counts().length === 3, 'the second raise on B');
    expect(onB.counts().slice(1)).toMatchObject([
      { count: 1, assumed: true },
      { count: 2, assumed: true },
    ]);
    const key = `crisp-unread:${website.websiteId}:count:${sessionId}`;
    expect(JSON.parse((await a.client.get(key))!)).toMatchObject({
      count: 2,
      derived: true,
      assumed: true,
    });
    expect(await (await a.get(unread(sessionId))).json()).toMatchObject({
      count: 2,
      assumed: true,
    });
    expect(pair.upstream()).toBe(0);
    await onB.cancel();
  });

  it('keeps serving when one instance stops under load; no update is lost', async () => {
    pair = await startPair({ safetyRefreshMs: 100, timeoutMs: 2000 });
    const { a, b, emulator, website } = pair;
    const sessions = Array.from({ length: 5 }, () =>
      emulator.createSession(website.websiteId, { unread: 1 }),
    );
    const streamsOnB = await Promise.all(
      sessions.map(async (sessionId) => sseReader(await b.get(stream(sessionId)))),
    );
    await until(() => streamsOnB.every((sse) => sse.counts().length >= 1), 'first events');
    // Slow upstream reads, so that A holds leases when it stops.
    const slow = emulator.fault({ type: 'latency', ms: 50 });
    let stopped = false;
    const load = async (instance: Instance, failures: number[]) => {
      for (let round = 0; round < 30; round++) {
        await Promise.all(
          sessions.map((sessionId) =>
            instance.get(unread(sessionId)).then(
              (response) => {
                if (response.status !== 200) failures.push(response.status);
              },
              () => {
                if (instance === b || !stopped) failures.push(0);
              },
            ),
          ),
        );
        if (instance === a && stopped) return;
      }
    };
    const failuresOnA: number[] = [];
    const failuresOnB: number[] = [];
    const loadA = load(a, failuresOnA);
    const loadB = load(b, failuresOnB);
    await until(() => emulator.requestCount() >= 10, 'reads under load');
    // And A is in the middle of a read that B waits for when it stops.
    const cold = emulator.createSession(website.websiteId, { unread: 6 });
    emulator.fault({ type: 'hang' }, { sessionId: cold, times: 1 });
    const onA = a.get(unread(cold)).catch(() => null);
    const lease = `crisp-unread:${website.websiteId}:lease:read:${cold}`;
    await until(async () => (await b.client.exists(lease)) === 1, 'A holding the lease');
    const onB = b.get(unread(cold)).then((r) => r.json());
    stopped = true;
    await a.served.close();
    await Promise.all([loadA, loadB, onA]);
    expect(await onB).toMatchObject({ count: 6, stale: false });
    expect(failuresOnB).toEqual([]);
    slow.clear();

    // After A is gone, a hook to B reaches B's streams and B's GETs.
    pair.hookTo(b);
    const target = sessions[0]!;
    const before = streamsOnB[0]!.counts().length;
    const count = emulator.operatorSends(website.websiteId, target, 3);
    await until(
      () => streamsOnB[0]!.counts().at(-1)?.count === count,
      'the new count on the stream of B',
    );
    expect(streamsOnB[0]!.counts().length).toBeGreaterThan(before);
    // (Stale or not: safetyRefreshMs is 100 ms here, the count is the new one either way.)
    expect(await (await b.get(unread(target))).json()).toMatchObject({ count });
    const deliveries = await emulator.webhooksDelivered();
    expect(deliveries.every((delivery) => delivery.status === 200)).toBe(true);
    await Promise.all(streamsOnB.map((sse) => sse.cancel()));
  });

  it('does not wait forever on a lease left by an instance that died holding it', async () => {
    pair = await startPair({ timeoutMs: 500 });
    const { b, website, sessionId } = pair;
    // What a crashed instance leaves: a lease nobody gives back (it expires with timeoutMs + 1 s).
    const lease = `crisp-unread:${website.websiteId}:lease:read:${sessionId}`;
    await b.client.set(lease, 'dead-instance', 'PX', 1500);
    const bodies = await Promise.all(
      Array.from({ length: 20 }, () => b.get(unread(sessionId)).then((r) => r.json())),
    );
    expect(bodies.every((body) => (body as { count: number }).count === 2)).toBe(true);
    expect(pair.upstream()).toBe(1);
  });

  it('starts while Redis is unreachable: serves from memory, says degraded, closes cleanly', async () => {
    const emulator = await startCrispEmulator();
    const website = emulator.createWebsite();
    const sessionId = emulator.createSession(website.websiteId, { unread: 5 });
    // A port nothing listens on.
    const nowhere = new Redis(`redis://127.0.0.1:${await freePort()}`, clientOptions);
    nowhere.on('error', () => undefined);
    const logs: string[] = [];
    const relay = createUnreadRelay({
      ...emulator.restOptions(website),
      rateLimit: false,
      store: redisStore({ client: nowhere, operationTimeoutMs: 200 }),
      log: (line) => logs.push(line),
    });
    const ask = (path: string) => relay.fetch(new Request(`http://relay.test${path}`));
    const redisHealth = async () =>
      ((await (await ask('/healthz')).json()) as { redis?: string }).redis;
    // ioredis is still trying: connecting, until its first attempt is refused.
    expect(await redisHealth()).toBe('connecting');
    await until(async () => (await redisHealth()) === 'unreachable', 'the store giving up');
    const bodies = await Promise.all(
      Array.from({ length: 50 }, () => ask(unread(sessionId)).then((r) => r.json())),
    );
    expect(bodies.every((body) => (body as { count: number }).count === 5)).toBe(true);
    expect(emulator.requestCount()).toBe(1);
    expect(logs.some((line) => line.includes('Redis is unreachable'))).toBe(true);
    await relay.close();
    nowhere.disconnect();
    await emulator.close();
  });

  it('says connecting, and logs nothing, while ioredis connects to a Redis that is up', async () => {
    const client = new Redis(redis.url, clientOptions);
    client.on('error', () => undefined);
    clients.add(client);
    const logs: string[] = [];
    const emulator = await startCrispEmulator();
    const relay = createUnreadRelay({
      ...emulator.restOptions(emulator.createWebsite()),
      store: redisStore({ client }),
      log: (line) => logs.push(line),
    });
    const health = async () =>
      (await (await relay.fetch(new Request('http://relay.test/healthz'))).json()) as {
        status: string;
        redis?: string;
      };
    expect(client.status).not.toBe('ready');
    expect(await health()).toMatchObject({ status: 'degraded', redis: 'connecting' });
    await until(async () => (await health()).status === 'ok', 'the store connecting');
    expect(logs).toEqual([]);
    await relay.close();
    await emulator.close();
  });

  it("shares a cold start's first request through Redis: commands wait for the connection", async () => {
    const emulator = await startCrispEmulator();
    const website = emulator.createWebsite();
    const sessionId = emulator.createSession(website.websiteId, { unread: 4 });
    const coldRelay = () => {
      const client = new Redis(redis.url, clientOptions);
      client.on('error', () => undefined);
      clients.add(client);
      return createUnreadRelay({
        ...emulator.restOptions(website),
        store: redisStore({ client }),
        log: false,
      });
    };
    // Two instances created at the moment of their first request, as a route handler's are.
    const a = coldRelay();
    const first = await a.fetch(new Request(`http://relay.test${unread(sessionId)}`));
    expect(await first.json()).toMatchObject({ count: 4, stale: false });
    const b = coldRelay();
    const second = await b.fetch(new Request(`http://relay.test${unread(sessionId)}`));
    expect(await second.json()).toMatchObject({ count: 4, stale: false });
    expect(emulator.requestCount()).toBe(1);
    const inspector = connect();
    expect(await inspector.get(`crisp-unread:${website.websiteId}:count:${sessionId}`)).toMatch(
      /"count":4/,
    );
    await a.close();
    await b.close();
    await emulator.close();
  });

  it('leaves no listener on a subscriber it was given once closed', async () => {
    const client = connect();
    const subscriber = connect();
    const events = ['message', 'error', 'ready', 'close', 'end'] as const;
    const before = events.map((event) => subscriber.listenerCount(event));
    const store = redisStore({ client, subscriber, websiteId: crypto.randomUUID() });
    await until(async () => (await store.health!()).status === 'ok', 'the store connecting');
    expect(subscriber.listenerCount('error')).toBe(before[1]! + 1);
    await store.close!();
    expect(events.map((event) => subscriber.listenerCount(event))).toEqual(before);
  });

  it('refuses a client that is not an ioredis client, and a bad prefix', () => {
    expect(() => redisStore({ client: {} as never })).toThrow(/ioredis client/);
    expect(() => redisStore({ client: connect(), prefix: 'has space' })).toThrow(/prefix/);
  });
});

describe('redisStore: counts outlive a relay restart', () => {
  it('a new instance on the same Redis answers the counts read before, without reading Crisp', async () => {
    const pair = await startPair();
    try {
      const { a, emulator, website } = pair;
      const sessions = Array.from({ length: 10 }, () =>
        emulator.createSession(website.websiteId, { unread: 3 }),
      );
      for (const sessionId of sessions) await a.get(unread(sessionId));
      expect(pair.upstream()).toBe(10);
      // A deploy: the instance goes, another comes.
      await a.served.close();
      const next = await startInstance(emulator, website, {});
      try {
        await until(async () => (await next.health()).status === 'ok', 'the store connecting');
        for (const sessionId of sessions) {
          expect(await (await next.get(unread(sessionId))).json()).toMatchObject({
            count: 3,
            stale: false,
          });
        }
        expect(pair.upstream()).toBe(10);
        const key = `crisp-unread:${website.websiteId}:count:${sessions[0]}`;
        expect(await next.client.pttl(key)).toBeGreaterThan(6 * 86_400_000);
      } finally {
        await next.served.close();
        clients.delete(next.client);
        next.client.disconnect();
      }
    } finally {
      await pair.close();
    }
  });
});

describe.skipIf(Boolean(process.env.REDIS_URL))('redisStore: Redis hangs (SIGSTOP)', () => {
  it.each([
    // ioredis's own commandTimeout is the deadline (issue 14)...
    ['ioredis commandTimeout', { commandTimeout: 300 }],
    // ...or, for a client without one, the store's operationTimeoutMs.
    ['the store deadline', {}],
  ] as const)(
    'stops sending commands after one times out (%s), serves from memory, and comes back after SIGCONT',
    async (_, redisOptions) => {
      const emulator = await startCrispEmulator();
      const website = emulator.createWebsite();
      const sessionId = emulator.createSession(website.websiteId, { unread: 2 });
      const instance = await startInstance(emulator, website, {}, redisOptions);
      const observer = connect();
      const processed = async () =>
        Number(/total_commands_processed:(\d+)/.exec(await observer.info('stats'))![1]);
      try {
        await until(async () => (await instance.health()).status === 'ok', 'the store connecting');
        expect(await (await instance.get(unread(sessionId))).json()).toMatchObject({ count: 2 });
        const before = await processed();

        redis.pause();
        // 100 reads of a cached count and 10 cold reads: had each waited for its Redis commands,
        // this would take minutes (and time the test out).
        for (let i = 0; i < 100; i++) {
          expect(await (await instance.get(unread(sessionId))).json()).toMatchObject({ count: 2 });
        }
        for (let i = 0; i < 10; i++) {
          const cold = emulator.createSession(website.websiteId, { unread: i });
          expect(await (await instance.get(unread(cold))).json()).toMatchObject({
            count: i,
            stale: false,
          });
        }
        const health = await instance.get('/healthz');
        expect(health.status).toBe(200);
        expect(await health.json()).toMatchObject({ status: 'degraded', redis: 'unreachable' });
        expect(instance.logs.some((line) => line.includes('Redis is unreachable'))).toBe(true);

        redis.resume();
        await until(async () => (await instance.health()).status === 'ok', 'healthy again');
        // What reached Redis while it was frozen: the commands that found the hang, and the
        // background PINGs; not the ~6 commands of each of the 110 reads.
        const sent = (await processed()) - before;
        expect(sent).toBeLessThan(60);
        expect(instance.logs.some((line) => line.includes('Redis is reachable again'))).toBe(true);
        // Redis is used again: a new count is written there.
        const cold = emulator.createSession(website.websiteId, { unread: 9 });
        await instance.get(unread(cold));
        expect(await observer.get(`crisp-unread:${website.websiteId}:count:${cold}`)).toContain(
          '"count":9',
        );
      } finally {
        redis.resume();
        await instance.served.close();
        await emulator.close();
        clients.delete(instance.client);
        instance.client.disconnect();
      }
    },
    30_000,
  );
});

describe.skipIf(Boolean(process.env.REDIS_URL))(
  'redisStore: Redis goes away and comes back',
  () => {
    let pair: Pair;
    const rejections: unknown[] = [];
    const onRejection = (reason: unknown) => {
      rejections.push(reason);
    };
    let streamOnA: ReturnType<typeof sseReader>;
    let streamOnB: ReturnType<typeof sseReader>;

    beforeAll(async () => {
      process.on('unhandledRejection', onRejection);
      pair = await startPair({ ttlMs: 3_600_000 });
      streamOnA = sseReader(await pair.a.get(stream(pair.sessionId)));
      streamOnB = sseReader(await pair.b.get(stream(pair.sessionId)));
      await until(
        () => streamOnA.counts().length === 1 && streamOnB.counts().length === 1,
        'first events',
      );
    });

    afterAll(async () => {
      await streamOnA?.cancel();
      await streamOnB?.cancel();
      await pair?.close();
      process.off('unhandledRejection', onRejection);
    });

    it('Redis stopped: /healthz says degraded, GETs still answer, hooks still reach local streams', async () => {
      const { a, b, emulator, website, sessionId } = pair;
      await redis.stop();
      for (const instance of [a, b]) {
        await until(async () => (await instance.health()).status === 'degraded', 'degraded');
        const response = await instance.get('/healthz');
        expect(response.status).toBe(200);
        expect(await response.json()).toMatchObject({ status: 'degraded', redis: 'unreachable' });
      }
      // Cached counts come from each instance's memory, cold ones from Crisp.
      for (const instance of [a, b]) {
        expect(await (await instance.get(unread(sessionId))).json()).toMatchObject({ count: 2 });
        const cold = emulator.createSession(website.websiteId, { unread: 4 });
        const response = await instance.get(unread(cold));
        expect(response.status).toBe(200);
        expect(await response.json()).toMatchObject({ count: 4, stale: false });
      }
      // A hook to A still reaches A's own streams.
      pair.hookTo(a);
      emulator.operatorSends(website.websiteId, sessionId);
      await until(() => streamOnA.counts().length === 2, 'the count on A');
      expect(streamOnA.counts().at(-1)).toMatchObject({ count: 3 });
      expect((await emulator.webhooksDelivered()).every((d) => d.status === 200)).toBe(true);
      expect(a.logs.some((line) => line.includes('Redis is unreachable'))).toBe(true);
      // A bounded wait for stray rejections from commands that were in flight.
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(rejections).toEqual([]);
    });

    it('Redis back on the same port: healthy again, and pub/sub carries hooks across again', async () => {
      const { a, b, emulator, website, sessionId } = pair;
      await redis.restart();
      for (const instance of [a, b]) {
        await until(async () => (await instance.health()).status === 'ok', 'healthy again', 20_000);
      }
      expect(a.logs.some((line) => line.includes('Redis is reachable again'))).toBe(true);
      const seenOnB = streamOnB.counts().length;
      pair.hookTo(a);
      const count = emulator.operatorSends(website.websiteId, sessionId);
      await until(() => streamOnB.counts().at(-1)?.count === count, 'the count on B');
      expect(streamOnB.counts().length).toBeGreaterThan(seenOnB);
      // The calls counted while Redis was away were added back to the shared counters.
      const day = utcDay(Date.now());
      let used = 0;
      for (const share of ['hooks', 'firstReads', 'safety']) {
        used += Number(
          await a.client.get(`crisp-unread:${website.websiteId}:budget:${day}:${share}`),
        );
      }
      expect(used).toBeGreaterThanOrEqual(a.relay.stats().upstreamCalls);
      expect(rejections).toEqual([]);
    });
  },
);

describe.skipIf(Boolean(process.env.REDIS_URL))(
  'redisStore: what a Redis restarted without persistence lost comes back',
  () => {
    let pair: Pair | undefined;
    afterEach(async () => {
      redis.resume();
      await pair?.close();
      pair = undefined;
    });

    const countKey = (website: EmulatedWebsite, sessionId: string) =>
      `crisp-unread:${website.websiteId}:count:${sessionId}`;
    const budgetKey = (website: EmulatedWebsite, share: string) =>
      `crisp-unread:${website.websiteId}:budget:${utcDay(Date.now())}:${share}`;
    const restarted = async (instances: Instance[]) => {
      await redis.stop();
      for (const instance of instances) {
        await until(async () => (await instance.health()).status === 'degraded', 'degraded');
      }
    };
    const healthy = async (instances: Instance[]) => {
      for (const instance of instances) {
        await until(async () => (await instance.health()).status === 'ok', 'healthy', 20_000);
      }
    };

    it('writes back the counts served from memory: read during the outage, and read before it', async () => {
      pair = await startPair({ ttlMs: 3_600_000 });
      const { a, emulator, website, sessionId } = pair;
      const observer = connect();
      expect(await (await a.get(unread(sessionId))).json()).toMatchObject({ count: 2 });
      await restarted([pair.a, pair.b]);
      // Read from Crisp while Redis is away: kept in A's memory only.
      const during = emulator.createSession(website.websiteId, { unread: 7 });
      expect(await (await a.get(unread(during))).json()).toMatchObject({ count: 7 });
      await redis.restart();
      await healthy([pair.a, pair.b]);
      // Written back when Redis returned (the restarted Redis is empty).
      await until(
        async () => (await observer.get(countKey(website, during))) !== null,
        'write-back',
      );
      expect(JSON.parse((await observer.get(countKey(website, during)))!)).toMatchObject({
        count: 7,
      });
      const ttl = await observer.pttl(countKey(website, during));
      expect(ttl).toBeGreaterThan(89 * 86_400_000);
      // Read before the outage, lost by Redis: served from A's memory and written back at once.
      expect(await observer.get(countKey(website, sessionId))).toBeNull();
      expect(await (await a.get(unread(sessionId))).json()).toMatchObject({ count: 2 });
      expect(JSON.parse((await observer.get(countKey(website, sessionId)))!)).toMatchObject({
        count: 2,
      });
      // B reads both from Redis: no call to Crisp.
      const calls = pair.upstream();
      for (const id of [sessionId, during]) {
        expect((await pair.b.get(unread(id))).status).toBe(200);
      }
      expect(pair.upstream()).toBe(calls);
    }, 40_000);

    it('restores the budget counters after a restart, with no call made meanwhile', async () => {
      pair = await startPair({ ttlMs: 3_600_000 });
      const { a, emulator, website } = pair;
      const observer = connect();
      for (let i = 0; i < 3; i++) {
        const cold = emulator.createSession(website.websiteId, { unread: i });
        expect((await a.get(unread(cold))).status).toBe(200);
      }
      expect(await observer.get(budgetKey(website, 'firstReads'))).toBe('3');
      await restarted([pair.a, pair.b]);
      await redis.restart();
      await healthy([pair.a, pair.b]);
      await until(
        async () => (await observer.get(budgetKey(website, 'firstReads'))) === '3',
        'the counter restored',
      );
    }, 40_000);

    it('answers /healthz at once while Redis hangs', async () => {
      pair = await startPair({ ttlMs: 3_600_000 });
      const { a } = pair;
      await a.get(unread(pair.sessionId));
      redis.pause();
      const timings: number[] = [];
      for (let i = 0; i < 5; i++) {
        const startedAt = performance.now();
        const response = await a.get('/healthz');
        expect(response.status).toBe(200);
        await response.json();
        timings.push(performance.now() - startedAt);
      }
      console.info(
        `[figure] /healthz while Redis hangs: ${timings.map((t) => t.toFixed(0)).join(', ')} ms`,
      );
      // The store's operation timeout is 500 ms: no answer waited for it.
      expect(Math.max(...timings)).toBeLessThan(250);
      redis.resume();
    }, 40_000);
  },
);

/** Calls per command since the last `CONFIG RESETSTAT` (`INFO commandstats`). */
async function commandCalls(client: Redis): Promise<Record<string, number>> {
  const calls: Record<string, number> = {};
  for (const [, name, count] of (await client.info('commandstats')).matchAll(
    /^cmdstat_(\w+):calls=(\d+)/gm,
  )) {
    calls[name as string] = Number(count);
  }
  return calls;
}

// Server-wide statistics: only on a server of the tests' own.
describe.skipIf(Boolean(process.env.REDIS_URL))('redisStore: its Lua scripts', () => {
  it('sends a script’s text once per connection, then its SHA1; a Redis that forgot it (SCRIPT FLUSH) gets the text again', async () => {
    const admin = connect();
    const websiteId = crypto.randomUUID();
    const store = redisStore({ client: connect(), websiteId, prefix: 'crisp-unread-scripts' });
    await until(async () => (await store.health!()).status === 'ok', 'the store connecting');
    const take = async (times: number) => {
      for (let i = 0; i < times; i++)
        expect(await store.takeBudget('2026-01-15:hooks', 100)).toBe(true);
    };
    await admin.config('RESETSTAT');
    await take(20);
    expect(await commandCalls(admin)).toMatchObject({ eval: 1, evalsha: 19 });
    await admin.script('FLUSH');
    await take(5);
    // The first EVALSHA after the flush answers NOSCRIPT; ioredis sends the text again.
    const calls = await commandCalls(admin);
    expect(calls.eval).toBe(2);
    expect(calls.evalsha).toBeGreaterThanOrEqual(23);
    expect(await store.budgetUsed('2026-01-15:hooks')).toBe(25);
    expect(await admin.get(`crisp-unread-scripts:${websiteId}:budget:2026-01-15:hooks`)).toBe('25');
    await store.close!();
  });
});
