import type { Hono } from 'hono';
import { mountMetricsRoute } from './metrics';
import type { RelayParts } from './relayParts';
import type { RelayEnv } from './requestClient';
import { json } from './responses';
import type { StoreHealth } from './types';

/** `GET /healthz`, and `GET /metrics` when the relay exports metrics. */
export function mountHealthRoutes(routes: Hono<RelayEnv>, parts: RelayParts): void {
  const { settings: s, store, budget, upstream, hookHealth, reader, streams } = parts;
  // 200 in both states: when Redis is down every instance degrades at once, and a load balancer
  // that took them all out would turn a degraded service into an outage. Monitor the body.
  routes.get('/healthz', async () => {
    let health: StoreHealth = { status: 'ok' };
    try {
      health = (await store.health?.()) ?? health;
    } catch {
      health = { status: 'degraded', store: 'failing' };
    }
    return json(200, {
      ...health,
      budget: await budget.report({ wait: false }),
      upstream: upstream.report(),
      hooks: s.webhooks ? hookHealth.report() : null,
      derived: s.webhooks ? { ...reader.derived } : null,
      // Answers `assumed: true` since start: how often the budget could not pay a first read.
      assumed: s.webhooks ? reader.assumedAnswers : null,
    });
  });

  if (s.metrics) {
    mountMetricsRoute(routes, s.metrics, s.metricsToken, {
      openStreams: () => streams.size,
      budget: () => budget.report(),
    });
  }
}
