// What the pages of a simulated day talk to: the relay as configured for production, and the two
// baselines of the same run.
import { createUnreadRelay, type UnreadRelayOptions } from '@crisp-unread/relay';
import { Hono } from 'hono';
import { type ServerContext, type Variant, webhookSecret } from './simulateDay';

/** Options every relay of the sim shares: Crisp in-process, the sim's store, visitors' addresses. */
function relayOptions({ crisp, store, website }: ServerContext): UnreadRelayOptions {
  return {
    ...website,
    baseUrl: 'http://crisp.sim',
    fetch: crisp.fetch,
    store,
    // Behind the site's proxy: each visitor is its own client.
    trustProxy: true,
    log: false,
  };
}

/** The relay with web hooks, everything else at its defaults (the daily budget included). */
export function projectRelay(dailyBudget = 5000): Variant {
  return {
    name: 'relay (web hooks, defaults)',
    stream: true,
    hooks: true,
    build: (context) => createUnreadRelay({ ...relayOptions(context), webhookSecret, dailyBudget }),
  };
}

/**
 * Today's TTL relay: a count is fresh for 15 s and streamed sessions are re-read every 15 s, with
 * no web hooks. The budget is lifted so that its calls show what it would spend.
 */
export function ttlRelay(): Variant {
  return {
    name: "today's TTL relay (ttlMs 15 s, no web hooks)",
    stream: true,
    hooks: false,
    build: (context) =>
      createUnreadRelay({ ...relayOptions(context), ttlMs: 15_000, dailyBudget: 1_000_000_000 }),
  };
}

/** The naive proxy: a Crisp call per page request; pages poll it every 30 s. */
export function naiveProxy(): Variant {
  return {
    name: 'naive proxy (a Crisp call per request)',
    stream: false,
    hooks: false,
    build: ({ crisp, website }) => {
      const upstream = (sessionId: string) =>
        `http://crisp.sim/v1/website/${website.websiteId}/conversation/${sessionId}`;
      const app = new Hono().get('/sessions/:id/unread', async (c) => {
        const response = await crisp.fetch(upstream(c.req.param('id')));
        if (response.status !== 200) return c.json({ error: 'session-not-found' }, 404);
        const body = (await response.json()) as { data?: { unread?: { visitor?: number } } };
        return c.json({
          count: body.data?.unread?.visitor ?? 0,
          updatedAt: Date.now(),
          stale: false,
        });
      });
      return { fetch: (request) => Promise.resolve(app.fetch(request)), close: async () => {} };
    },
  };
}
