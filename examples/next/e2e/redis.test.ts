import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// The relay's own test Redis: a real redis-server on a free loopback port (or REDIS_URL's).
import {
  startTestRedis,
  type TestRedis,
  until,
} from '../../../packages/relay/src/__tests__/redisServer';
import { startNextApp } from './app';

let redis: TestRedis;
let inspector: Redis;

beforeAll(async () => {
  redis = await startTestRedis();
  inspector = new Redis(redis.url, { maxRetriesPerRequest: 1 });
});

afterAll(async () => {
  inspector?.disconnect();
  await redis?.close();
});

describe('the Next.js example with REDIS_URL, after next build', () => {
  it("keeps the relay route's state in Redis from the first request, and logs no false outage", async () => {
    const app = await startNextApp({ REDIS_URL: redis.url });
    try {
      const route = `${app.url}/api/crisp-unread`;
      const response = await fetch(`${route}/sessions/${app.sessionId}/unread`);
      expect(response.status).toBe(200);
      const { count } = (await response.json()) as { count: number };
      // The first request created the store: it waited for Redis, so the count is shared already.
      const key = `crisp-unread:${app.website.websiteId.toLowerCase()}:count:${app.sessionId}`;
      expect(JSON.parse((await inspector.get(key)) ?? 'null')).toMatchObject({ count });
      await until(
        async () => (await (await fetch(`${route}/healthz`)).json()).status === 'ok',
        'the route sharing state through Redis',
      );
      expect(app.output.join('')).not.toContain('unreachable');
    } finally {
      await app.close();
    }
  });
});
