import { crispRest } from '@crisp-unread/core';
import type { Context } from 'hono';
import { bloomStatusNotes } from './bloomStatus';
import { Budget } from './budget';
import { burstWindow, ClientLimit, strikesWindow } from './clientLimits';
import { CountReader } from './countReader';
import { FailureMemory } from './failureMemory';
import { FirstReads } from './firstReads';
import { Heartbeat } from './heartbeat';
import { HookHealth } from './hookHealth';
import { memoryStore } from './memoryStore';
import { OpenStreams } from './relayLifecycle';
import type { RelaySettings } from './relayOptions';
import { clientOf, defaultClientId, type RelayEnv } from './requestClient';
import { StreamSlots } from './streamSlots';
import type { RelayStore } from './types';
import { UpstreamGate } from './upstreamGate';
import { UpstreamHealth } from './upstreamHealth';
import { Watchers } from './watchers';

/** What one relay is made of: built once from its settings, shared by its routes. */
export interface RelayParts {
  readonly settings: RelaySettings;
  /** The website id, lower-cased: the store's namespace and the hooks' check. */
  readonly websiteId: string;
  /** The relay's log, scrubbed of every secret it was given. */
  readonly log: (line: string) => void;
  readonly store: RelayStore;
  readonly budget: Budget;
  readonly reader: CountReader;
  readonly watchers: Watchers;
  readonly upstream: UpstreamHealth;
  readonly hookHealth: HookHealth;
  /** Names the client of a request, for every per-client limit. */
  readonly client: (c: Context<RelayEnv>) => string;
  readonly limits: ClientLimits;
  readonly slots: StreamSlots;
  readonly streams: OpenStreams;
  /** One heartbeat for every open stream. */
  readonly heartbeat: Heartbeat;
}

/** The per-client limits (`null` where the option is `false`). */
export interface ClientLimits {
  readonly rate: ClientLimit | null;
  readonly firstReads: FirstReads;
  readonly failedSignatures: ClientLimit | null;
}

export function relayParts(s: RelaySettings): RelayParts {
  const websiteId = s.websiteId.toLowerCase();
  const log = scrubbedLog(s);
  const store = s.store ?? memoryStore({ now: s.now });
  store.attach?.({ websiteId, log, now: s.now, retainMs: s.retainMs });
  const upstream = new UpstreamHealth(log);
  const budget = new Budget({ store, total: s.dailyBudget, shares: s.shares, now: s.now });
  const reader = countReader(s, { store, budget, log, upstream });
  return {
    settings: s,
    websiteId,
    log,
    store,
    budget,
    reader,
    watchers: new Watchers(reader, store, {
      periodMs: s.maxAgeMs,
      retryMs: s.failureMemoryMs,
      safetyWaitMs: () => budget.waitMs('safety'),
      now: s.now,
    }),
    upstream,
    hookHealth: new HookHealth(log, s.now),
    client: clientOf(s.clientId ?? defaultClientId(s.trustProxy)),
    limits: clientLimits(s, store),
    slots: new StreamSlots(s.maxStreams, s.maxStreamsPerClient),
    streams: new OpenStreams(),
    heartbeat: new Heartbeat(s.heartbeatMs),
  };
}

/** The `log` option behind a filter: the relay logs no secret, but a message from below might. */
function scrubbedLog(s: RelaySettings): (line: string) => void {
  const secrets = [s.key, s.webhookSecret, s.webhookToken, s.metricsToken].filter(
    (x): x is string => typeof x === 'string',
  );
  const sink = s.log === false ? () => {} : (s.log ?? ((line: string) => console.warn(line)));
  return (line) => {
    let safe = line;
    for (const secret of secrets) safe = safe.split(secret).join('[redacted]');
    sink(safe);
  };
}

/** The reader of counts: Crisp's REST API behind the cache, the budget and the upstream gate. */
function countReader(
  s: RelaySettings,
  parts: Pick<RelayParts, 'store' | 'budget' | 'log' | 'upstream'>,
): CountReader {
  const bloom = bloomStatusNotes(s.fetch);
  const source = crispRest({
    websiteId: s.websiteId,
    identifier: s.identifier,
    key: s.key,
    tier: s.tier,
    baseUrl: s.baseUrl,
    timeoutMs: s.timeoutMs,
    fetch: bloom.fetch,
  });
  return new CountReader({
    ...parts,
    source,
    gate: new UpstreamGate({
      store: parts.store,
      now: s.now,
      rateLimitedPauseMs: s.rateLimitedPauseMs,
      outagePauseMs: s.failureMemoryMs,
    }),
    failures: new FailureMemory(s.failureMemoryMs, s.now),
    maxAgeMs: s.maxAgeMs,
    retainMs: s.retainMs,
    timeoutMs: s.timeoutMs,
    now: s.now,
    metrics: s.metrics,
    webhooks: s.webhooks,
    assumeUnseen: s.webhooks && s.assumeUnseenSessions,
    cacheHitRereadMs: s.cacheHitRereadMs,
    takeBloomStatus: bloom.take,
  });
}

/** The per-client limits, shared over the store's Redis when it has one. */
function clientLimits(s: RelaySettings, store: RelayStore): ClientLimits {
  const shared = store.sharedLimits?.();
  const limit = (name: string, window: Parameters<typeof burstWindow>[0] | false) =>
    window ? new ClientLimit(name, burstWindow(window), shared) : null;
  return {
    rate: limit('rate', s.rateLimit),
    firstReads: new FirstReads(
      {
        perClient: limit('first', s.firstReadLimit),
        strikes: s.unknownSessionLimit
          ? new ClientLimit('unknown', strikesWindow(s.unknownSessionLimit), shared)
          : null,
      },
      store,
    ),
    failedSignatures: limit('hooks', s.failedSignatureLimit),
  };
}
