// The per-request cost of a per-client limit at 1,000 and 250,000 clients: this instance's
// memory (rate-limiter-flexible's RateLimiterMemory) and, with `REDIS_URL` or a local
// `redis-server`, its Redis limiter. Run: `pnpm --filter @crisp-unread/relay bench:limits`.
import { performance } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import { startTestRedis } from '../src/__tests__/redisServer';
import { burstWindow, ClientLimit } from '../src/clientLimits';
import type { SharedLimits } from '../src/types';

const sizes = [1_000, 250_000];
const measured = 20_000;
const window = burstWindow({ burst: 60, perSecond: 1 });

const address = (i: number) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;

/** Fills `limit` with `clients` clients, `batch` at a time, then times `measured` new clients. */
async function perRequestUs(limit: ClientLimit, clients: number, batch: number): Promise<number> {
  for (let i = 0; i < clients; i += batch) {
    await Promise.all(
      Array.from({ length: Math.min(batch, clients - i) }, (_, j) => limit.take(address(i + j))),
    );
  }
  const start = performance.now();
  for (let i = 0; i < measured; i += batch) {
    await Promise.all(
      Array.from({ length: batch }, (_, j) => limit.take(address(clients + i + j))),
    );
  }
  return ((performance.now() - start) * 1000) / measured;
}

const rows: string[] = [
  '| limiter | clients held | µs per request (new clients) |',
  '| --- | --- | --- |',
];
for (const clients of sizes) {
  const memory = new ClientLimit(`m${clients}`, window, undefined);
  rows.push(
    `| memory | ${clients.toLocaleString('en')} | ${(await perRequestUs(memory, clients, 1)).toFixed(2)} |`,
  );
}

const redis = await startTestRedis();
const client = new Redis(redis.url, { maxRetriesPerRequest: 1 });
const shared: SharedLimits = {
  client,
  keyPrefix: 'bench:limit:',
  usable: () => client.status === 'ready',
};
try {
  await client.ping();
  for (const clients of sizes) {
    const limit = new ClientLimit(`r${clients}`, window, shared);
    const us = await perRequestUs(limit, clients, 100);
    rows.push(`| Redis (100 in flight) | ${clients.toLocaleString('en')} | ${us.toFixed(2)} |`);
  }
} finally {
  client.disconnect();
  await redis.close();
}
console.log(rows.join('\n'));
