// The relay: concurrent cold requests for one session -> upstream calls (beside a naive proxy that
// forwards each one), and cache-hit throughput against a bare hono handler on the same server.
import { createUnreadRelay, type UnreadRelay } from '@crisp-unread/relay';
import { type ServedRelay, serveUnreadRelay } from '@crisp-unread/relay/node';
import { Hono } from 'hono';
import { type Case, newCase, startEmulator } from '../emulator';
import { type Group, load, median, type Row, round } from '../util';

/** Serves a plain hono app with the relay's own Node server (same @hono/node-server, options). */
function serveApp(app: Hono): Promise<ServedRelay> {
  const relayLike: UnreadRelay = {
    fetch: app.fetch as UnreadRelay['fetch'],
    stats: () => ({ upstreamCalls: 0, streams: 0, watchedSessions: 0 }),
    close: async () => {},
  };
  return serveUnreadRelay(relayLike, { port: 0 });
}

function relayFor(c: Case) {
  return createUnreadRelay({
    ...c.emulator.restOptions(c.website),
    ttlMs: 600_000,
    dailyBudget: 1_000_000,
    // One load generator is one client: the per-client rate limit would answer 429s.
    rateLimit: false,
    log: false,
  });
}

const spread = (rates: number[]) =>
  `${Math.round(Math.min(...rates))}–${Math.round(Math.max(...rates))}`;

export const relay: Group = async ({ quick, log }) => {
  const emulator = await startEmulator();
  const rows: Row[] = [];
  const servers: ServedRelay[] = [];
  try {
    // Coalescing: 1,000 concurrent cold GETs while Crisp takes 100 ms to answer.
    const burst = 1000;
    log(`relay coalescing: ${burst} concurrent cold GETs, upstream answering in 100 ms`);
    const fault = emulator.fault({ type: 'latency', ms: 100 });
    const relayCase = newCase(emulator);
    const served = await serveUnreadRelay(relayFor(relayCase), { port: 0 });
    servers.push(served);
    const fire = (url: string) =>
      Promise.all(
        Array.from({ length: burst }, async () => {
          const response = await fetch(url);
          await response.arrayBuffer();
          if (response.status !== 200) throw new Error(`bench: ${url} answered ${response.status}`);
        }),
      );
    await fire(`${served.url}/sessions/${relayCase.sessionId}/unread`);
    const relayCalls = relayCase.gets();

    // The baseline: a proxy that forwards every request to Crisp.
    const naiveCase = newCase(emulator);
    const upstream = `${emulator.url}/v1/website/${naiveCase.website.websiteId}/conversation/${naiveCase.sessionId}`;
    const headers = {
      Authorization: `Basic ${btoa(`${naiveCase.website.identifier}:${naiveCase.website.key}`)}`,
      'X-Crisp-Tier': naiveCase.website.tier,
    };
    const proxy = new Hono().get('/sessions/:id/unread', async (c) => {
      const response = await fetch(upstream, { headers });
      const body = (await response.json()) as { data?: { unread?: { visitor?: number } } };
      return c.json({ count: body.data?.unread?.visitor ?? 0, updatedAt: Date.now() });
    });
    const proxyServer = await serveApp(proxy);
    servers.push(proxyServer);
    await fire(`${proxyServer.url}/sessions/${naiveCase.sessionId}/unread`);
    fault.clear();
    rows.push({
      group: 'relay',
      metric: `${burst} concurrent cold GETs, one session -> upstream calls`,
      value: relayCalls,
      unit: `calls/${burst}`,
      baseline: naiveCase.gets(),
      baselineLabel: 'naive proxy (fetch per request)',
      goal: '<= 1',
      pass: relayCalls <= 1,
    });

    // Throughput of cache hits beside a bare hono handler returning the same JSON.
    const total = quick ? 800 : 1500;
    const concurrency = 50;
    const rounds = quick ? 3 : 8;
    const relayUrl = `${served.url}/sessions/${relayCase.sessionId}/unread`;
    const warm = await fetch(relayUrl);
    const body: unknown = await warm.json();
    const bare = new Hono().get('/sessions/:id/unread', (c) => c.json(body as object));
    const bareServer = await serveApp(bare);
    servers.push(bareServer);
    const bareUrl = `${bareServer.url}/sessions/${relayCase.sessionId}/unread`;
    log(
      `relay throughput: ${rounds} x ${total} cache-hit GETs, concurrency ${concurrency}, vs bare hono`,
    );
    // Warm both servers (JIT, sockets) before measuring; then alternate, and take medians.
    const warmup = quick ? 300 : 1000;
    await load(bareUrl, warmup, concurrency);
    await load(relayUrl, warmup, concurrency);
    const bareRates: number[] = [];
    const relayRates: number[] = [];
    for (let i = 0; i < rounds; i++) {
      bareRates.push(await load(bareUrl, total, concurrency));
      relayRates.push(await load(relayUrl, total, concurrency));
    }
    const callsAfter = relayCase.gets();
    const relayRate = median(relayRates);
    const bareRate = median(bareRates);
    const ratio = relayRate / bareRate;
    rows.push({
      group: 'relay',
      metric: 'cache-hit throughput, relay / bare hono',
      value: round(ratio),
      unit: 'ratio',
      baseline: 1,
      baselineLabel: 'bare hono handler, same JSON',
      goal: '>= 0.8',
      pass: ratio >= 0.8,
      note: `relay ${Math.round(relayRate)} req/s (${spread(relayRates)}), bare ${Math.round(bareRate)} req/s (${spread(bareRates)}); medians of ${rounds} alternating rounds of ${total} requests, concurrency ${concurrency}, loopback, node:http keep-alive load from a worker thread); upstream calls during the load: ${callsAfter - relayCalls}`,
    });
  } finally {
    for (const server of servers) await server.close();
    await emulator.close();
  }
  return rows;
};
