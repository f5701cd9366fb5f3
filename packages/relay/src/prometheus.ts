import { misconfigured } from '@crisp-unread/core';
import { Counter, Gauge, Registry } from 'prom-client';
import { shareNames } from './budget';
import type { RelayMetrics, RelayMetricsSource } from './metrics';

/** Options of `prometheusMetrics`. */
export interface PrometheusMetricsOptions {
  /**
   * The prom-client registry the relay's metrics are registered in. Defaults to a new `Registry`
   * of its own (never prom-client's global one), so that two relays in one process never clash;
   * pass yours to expose them beside your other metrics (one relay per registry, or a `prefix`
   * each).
   */
  registry?: Registry | undefined;
  /** The start of every metric name. Defaults to `'crisp_unread_relay_'`. */
  prefix?: string | undefined;
}

/**
 * The relay's metrics in Prometheus' text format, kept by prom-client: upstream calls by share and
 * outcome, each share's remaining budget, open streams, web hooks by result and reason, and cache
 * reads. Give it to `createUnreadRelay({ metrics })` and scrape `GET /metrics`. Labels come from
 * closed sets: no session id, key or secret is ever a label.
 */
export function prometheusMetrics(options: PrometheusMetricsOptions = {}): RelayMetrics {
  const registry = options.registry ?? new Registry();
  const prefix = options.prefix ?? 'crisp_unread_relay_';
  if (!/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(prefix)) {
    misconfigured(
      '`prefix` must be a Prometheus metric name prefix.',
      'crisp-unread relay: prometheusMetrics',
    );
  }
  let source: RelayMetricsSource | undefined;
  const registers = [registry];

  const upstreamCalls = new Counter({
    name: `${prefix}upstream_calls_total`,
    help: 'Calls to the Crisp REST API, by budget share and outcome.',
    labelNames: ['share', 'outcome'] as const,
    registers,
  });
  const hooks = new Counter({
    name: `${prefix}hooks_total`,
    help: 'Web hooks received, by result (accepted, rejected) and reason.',
    labelNames: ['result', 'reason'] as const,
    registers,
  });
  const cacheReads = new Counter({
    name: `${prefix}cache_reads_total`,
    help: 'Count reads by clients, by cache result (hit: fresh, stale: answered and read again, miss).',
    labelNames: ['result'] as const,
    registers,
  });
  new Gauge({
    name: `${prefix}open_streams`,
    help: 'Server-Sent Event streams open in this instance.',
    registers,
    collect() {
      this.set(source?.openStreams() ?? 0);
    },
  });
  const budgetGauge = (name: string, help: string, field: 'remaining' | 'limit') =>
    new Gauge({
      name: `${prefix}${name}`,
      help,
      labelNames: ['share'] as const,
      registers,
      async collect() {
        if (!source) return;
        const report = await source.budget();
        for (const share of shareNames) this.set({ share }, report.shares[share][field]);
      },
    });
  budgetGauge(
    'budget_remaining',
    'Upstream calls left today in each budget share (shared by every instance with Redis).',
    'remaining',
  );
  budgetGauge('budget_limit', "Each budget share's upstream calls per UTC day.", 'limit');

  return {
    contentType: registry.contentType,
    attach(relay) {
      if (source)
        misconfigured(
          'one relay per prometheusMetrics().',
          'crisp-unread relay: prometheusMetrics',
        );
      source = relay;
    },
    upstreamCall: (share, outcome) => upstreamCalls.inc({ share, outcome }),
    hook: (result, reason) => hooks.inc({ result, reason }),
    cacheRead: (result) => cacheReads.inc({ result }),
    render: () => registry.metrics(),
  };
}
