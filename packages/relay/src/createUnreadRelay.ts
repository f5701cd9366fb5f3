import { crispRest, normalizeSessionId } from '@crisp-unread/core';
import { type Context, Hono } from 'hono';
import { cors } from 'hono/cors';
import { HTTPException } from 'hono/http-exception';
import { bloomStatusNotes } from './bloomStatus';
import { Budget } from './budget';
import { burstWindow, ClientLimit, strikesWindow } from './clientLimits';
import { CountReader, type ReadOutcome } from './countReader';
import { eventStream, type FirstCount } from './eventStream';
import { FailureMemory } from './failureMemory';
import { type FirstReadRefusal, FirstReads } from './firstReads';
import { HookHealth } from './hookHealth';
import { lazyRelay } from './lazyRelay';
import { memoryStore } from './memoryStore';
import { mountMetricsRoute } from './metrics';
import { resolveOptions } from './relayOptions';
import { clientOf, defaultClientId, type RelayEnv } from './requestClient';
import { errorBody, json, rateLimited, retryAfter } from './responses';
import { type StreamRefusal, StreamSlots } from './streamSlots';
import type { RelayStore, StoreHealth, UnreadRelay, UnreadRelayOptions } from './types';
import { UpstreamGate } from './upstreamGate';
import { isNotSubscribed, UpstreamHealth } from './upstreamHealth';
import { Watchers } from './watchers';
import { mountWebhookRoute } from './webhookRoute';

export { countEvents } from './webhookRoute';

/** How long a client refused a stream is told to wait: no stream's end can be foreseen. */
const streamRetryMs = 30_000;

/** 429 when the client holds its share of streams, 503 when the relay holds all it may. */
function streamRefused(refusal: StreamRefusal): Response {
  return refusal === 'client'
    ? errorBody(
        429,
        'too-many-streams',
        'This client has too many open streams.',
        {},
        retryAfter(streamRetryMs),
      )
    : errorBody(
        503,
        'too-many-streams',
        'The relay holds as many streams as it may.',
        {},
        retryAfter(streamRetryMs),
      );
}

/** What `promise` brings within `waitMs`, or `'late'` (it goes on). */
async function within<T>(promise: Promise<T>, waitMs: number): Promise<T | 'late'> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<'late'>((resolve) => {
        timer = setTimeout(() => resolve('late'), waitMs);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

function firstReadRefused(refusal: FirstReadRefusal): Response {
  switch (refusal.refused) {
    case 'client':
      return rateLimited(refusal.waitMs, 'Too many new sessions from this client.');
    case 'unknown-sessions':
      return errorBody(
        429,
        'rate-limited',
        'Too many sessions Crisp does not know from this client.',
        {},
        retryAfter(refusal.waitMs),
      );
  }
}

function outcomeError(outcome: Exclude<ReadOutcome, { kind: 'count' }>): Response {
  switch (outcome.kind) {
    case 'gone':
      return errorBody(404, 'session-not-found', 'Crisp has no such session.');
    case 'budget-exhausted':
      return errorBody(
        503,
        'budget-exhausted',
        "The relay's daily budget of Crisp API calls is spent and this count was never read.",
        {},
        retryAfter(outcome.retryAfterMs),
      );
    case 'failed': {
      const { code } = outcome.failure;
      if (isNotSubscribed(outcome.failure)) {
        return errorBody(
          502,
          'upstream-not-subscribed',
          'Crisp answers not_subscribed: the plugin is not installed on this website.',
        );
      }
      if (code === 'unauthorized') {
        return errorBody(502, 'upstream-unauthorized', "Crisp refused the relay's credentials.");
      }
      if (code === 'forbidden') {
        return errorBody(502, 'upstream-forbidden', "Crisp does not allow the relay's token here.");
      }
      if (code === 'rate-limited') {
        return errorBody(
          503,
          'upstream-unavailable',
          'Crisp rate-limited the relay.',
          { upstream: code },
          retryAfter(outcome.failure.retryAfterMs ?? 60_000),
        );
      }
      return errorBody(
        code === 'timeout' ? 504 : 502,
        'upstream-unavailable',
        `Crisp could not be read (${code}).`,
        { upstream: code },
      );
    }
  }
}

/**
 * The relay: Crisp's REST key stays here, browsers get counts (`GET /sessions/{id}/unread`, SSE
 * at `…/unread/stream`), and Crisp's web hooks (`POST /webhooks/crisp`) push changes.
 * A fetch handler built on hono: Node, Bun, Deno, Workers, Next.js route handlers.
 *
 * Given options, it checks them at once and throws a `misconfigured` error. Given a function
 * returning them, it calls it on the first request, once: a module that builds the relay then
 * loads without credentials (a Next.js build), and a relay that lacks one answers every request
 * 500 `misconfigured` naming the option, and logs it once.
 */
export function createUnreadRelay(
  options: UnreadRelayOptions | (() => UnreadRelayOptions),
): UnreadRelay {
  return typeof options === 'function' ? lazyRelay(options, createRelay) : createRelay(options);
}

function createRelay(options: UnreadRelayOptions): UnreadRelay {
  const s = resolveOptions(options);
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
  const websiteId = s.websiteId.toLowerCase();
  const secrets = [s.key, s.webhookSecret, s.webhookToken, s.metricsToken].filter(
    (x): x is string => typeof x === 'string',
  );
  const sink = s.log === false ? () => {} : (s.log ?? ((line: string) => console.warn(line)));
  // Belt and braces: nothing the relay logs should hold a secret, but a message from below might.
  const log = (line: string) => {
    let safe = line;
    for (const secret of secrets) safe = safe.split(secret).join('[redacted]');
    sink(safe);
  };
  const store: RelayStore = s.store ?? memoryStore({ now: s.now });
  store.attach?.({ websiteId, log, now: s.now, retainMs: s.retainMs });
  // A flag, not an AbortController: Workers refuse `new AbortController()` at global scope, where
  // a module builds its relay.
  let closing = false;
  const upstream = new UpstreamHealth(log);
  const hookHealth = new HookHealth(log, s.now);
  const budget = new Budget({ store, total: s.dailyBudget, shares: s.shares, now: s.now });
  const reader = new CountReader({
    source,
    store,
    budget,
    gate: new UpstreamGate({
      store,
      now: s.now,
      rateLimitedPauseMs: s.rateLimitedPauseMs,
      outagePauseMs: s.failureMemoryMs,
    }),
    failures: new FailureMemory(s.failureMemoryMs, s.now),
    maxAgeMs: s.maxAgeMs,
    retainMs: s.retainMs,
    timeoutMs: s.timeoutMs,
    now: s.now,
    log,
    metrics: s.metrics,
    webhooks: s.webhooks,
    cacheHitRereadMs: s.cacheHitRereadMs,
    takeBloomStatus: bloom.take,
    upstream,
  });
  const watchers = new Watchers(reader, store, {
    periodMs: s.maxAgeMs,
    retryMs: s.failureMemoryMs,
    now: s.now,
  });
  const shared = store.sharedLimits?.();
  const limiter = s.rateLimit ? new ClientLimit('rate', burstWindow(s.rateLimit), shared) : null;
  const firstReads = new FirstReads(
    {
      perClient: s.firstReadLimit
        ? new ClientLimit('first', burstWindow(s.firstReadLimit), shared)
        : null,
      strikes: s.unknownSessionLimit
        ? new ClientLimit('unknown', strikesWindow(s.unknownSessionLimit), shared)
        : null,
    },
    store,
  );
  const slots = new StreamSlots(s.maxStreams, s.maxStreamsPerClient);
  const streams = new Set<() => void>();

  const app = new Hono<RelayEnv>();
  const routes = s.basePath ? app.basePath(s.basePath) : app;
  const client = clientOf(s.clientId ?? defaultClientId(s.trustProxy));

  if (s.allowedOrigins === '*' || s.allowedOrigins.length > 0) {
    const allowed = s.allowedOrigins === '*' ? null : new Set(s.allowedOrigins);
    routes.use(
      '/sessions/*',
      cors({
        origin: (origin) => (allowed === null ? '*' : allowed.has(origin) ? origin : null),
        allowMethods: ['GET', 'OPTIONS'],
        allowHeaders: ['Last-Event-ID', 'Accept'],
        exposeHeaders: ['Retry-After'],
        maxAge: 600,
      }),
    );
  }

  const limited = async (c: Context<RelayEnv>): Promise<Response | null> => {
    const waitMs = (await limiter?.take(client(c))) ?? 0;
    return waitMs === 0 ? null : rateLimited(waitMs);
  };
  const invalidId = () =>
    errorBody(400, 'invalid-session-id', 'The session id must be session_ and a UUID.');

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
    });
  });

  if (s.metrics) {
    mountMetricsRoute(routes, s.metrics, s.metricsToken, {
      openStreams: () => streams.size,
      budget: () => budget.report(),
    });
  }

  /**
   * What both session routes start with: the rate limit, the id check, `before` (the stream
   * slot), the first-read limit and a read: answered by the cache `now`, or read from Crisp
   * `later` (a cold session).
   */
  const readSession = async (
    c: Context<RelayEnv>,
    before: () => Response | null = () => null,
  ): Promise<
    | Response
    | { sessionId: string; now: ReadOutcome }
    | { sessionId: string; later: Promise<ReadOutcome> }
  > => {
    const refused = await limited(c);
    if (refused) return refused;
    const sessionId = normalizeSessionId(c.req.param('sessionId'));
    if (sessionId === null) return invalidId();
    const refusedSlot = before();
    if (refusedSlot) return refusedSlot;
    const admitted = await firstReads.admit(client(c), sessionId);
    if ('refused' in admitted) return firstReadRefused(admitted);
    // A strike is kept for a session Crisp does not know, given back for any other outcome.
    const done = (outcome?: ReadOutcome) =>
      admitted.done(outcome?.kind === 'count' || outcome?.kind === 'gone' ? outcome.kind : 'other');
    let started: Awaited<ReturnType<typeof reader.start>>;
    try {
      started = await reader.start(sessionId);
    } catch (error) {
      done();
      throw error;
    }
    if ('now' in started) {
      done(started.now);
      return { sessionId, now: started.now };
    }
    // The first read's admission lasts as long as the read, however long the client waits.
    started.later.then(done, () => done());
    return { sessionId, later: started.later };
  };

  const countBody = (outcome: Extract<ReadOutcome, { kind: 'count' }>) =>
    json(200, {
      count: outcome.entry.count,
      updatedAt: outcome.entry.readAt,
      stale: outcome.stale,
    });

  routes.get('/sessions/:sessionId/unread', async (c) => {
    const read = await readSession(c);
    if (read instanceof Response) return read;
    const outcome = 'now' in read ? read.now : await within(read.later, s.firstReadWaitMs);
    if (outcome === 'late') {
      // The read goes on: a retry joins it, or finds its count cached.
      return errorBody(
        503,
        'upstream-unavailable',
        'Crisp is slow to answer the first read of this session; it goes on.',
        { upstream: 'timeout' },
        retryAfter(s.firstReadWaitMs),
      );
    }
    return outcome.kind === 'count' ? countBody(outcome) : outcomeError(outcome);
  });

  routes.get('/sessions/:sessionId/unread/stream', async (c) => {
    let release: (() => void) | undefined;
    const claim = () => {
      const slot = slots.claim(client(c));
      if (typeof slot !== 'function') return streamRefused(slot);
      release = slot;
      return null;
    };
    let read: Awaited<ReturnType<typeof readSession>>;
    try {
      read = await readSession(c, claim);
    } catch (error) {
      release?.();
      throw error;
    }
    if (read instanceof Response) {
      release?.();
      return read;
    }
    const { sessionId } = read;
    // Known at once (cached, or a failure remembered): a refusal is an HTTP answer as before.
    if ('now' in read && read.now.kind !== 'count') {
      release?.();
      return outcomeError(read.now);
    }
    const first = ('now' in read ? Promise.resolve(read.now) : read.later).then(
      (outcome): FirstCount =>
        outcome.kind === 'count'
          ? { entry: outcome.entry, stale: outcome.stale }
          : outcome.kind === 'gone'
            ? 'gone'
            : 'failed',
    );
    const lastEventId = c.req.header('last-event-id') ?? null;
    return eventStream(c, {
      first,
      lastEventId: lastEventId && lastEventId.length <= 32 ? lastEventId : null,
      retryMs: s.sseRetryMs,
      heartbeatMs: s.heartbeatMs,
      watch: (listener) => watchers.add(sessionId, listener),
      // Read through the cache: fresh, it costs no call; marked changed by a web hook that landed
      // while the stream opened (its re-read deferred, the session not yet watched), it is read.
      latest: async () => {
        const now = await reader.current(sessionId);
        if (now.kind === 'gone') return { count: null, readAt: s.now(), changedAt: s.now() };
        return now.kind === 'count' && !now.stale ? now.entry : 'failed';
      },
      signal: c.req.raw.signal,
      onOpen: (end) => {
        if (closing) end();
        else streams.add(end);
      },
      onClose: (end) => {
        streams.delete(end);
        release?.();
      },
    });
  });

  mountWebhookRoute(routes, {
    secret: s.webhookSecret,
    token: s.webhookToken,
    health: hookHealth,
    websiteId,
    maxBytes: s.maxWebhookBytes,
    toleranceMs: s.webhookToleranceMs,
    now: s.now,
    store,
    client,
    failedSignatures: s.failedSignatureLimit
      ? new ClientLimit('hooks', burstWindow(s.failedSignatureLimit), shared)
      : null,
    hook: async (sessionId, effect) => {
      const known = s.deriveFromHooks ? effect : 'unknown';
      const outcome = await reader.hook(sessionId, watchers.has(sessionId), known);
      // Nobody watches or caches it: marked changed, read on the next demand.
      if (outcome === null) return { count: null, deferred: true };
      return { count: outcome.kind === 'count' && !outcome.stale ? outcome.entry.count : null };
    },
    removed: (sessionId) => reader.remove(sessionId),
  });

  app.notFound(() => errorBody(404, 'not-found', 'No such route.'));
  app.onError((error) => {
    // hono's middleware (bearerAuth on /metrics) refuses by throwing its answer.
    if (error instanceof HTTPException) return error.getResponse();
    log(`crisp-unread relay: internal error: ${error instanceof Error ? error.name : 'unknown'}`);
    return errorBody(500, 'internal', 'The relay failed.');
  });

  let closed: Promise<void> | null = null;
  return {
    fetch: async (request, env, executionContext) =>
      app.fetch(request, env as never, executionContext as never),
    stats: () => ({
      upstreamCalls: reader.upstreamCalls,
      streams: streams.size,
      watchedSessions: watchers.size,
    }),
    close() {
      closed ??= (async () => {
        closing = true;
        reader.abortAll();
        for (const end of [...streams]) end();
        watchers.closeAll();
        // Reads in flight end first, so that they give their leases back to a shared store.
        await reader.settle();
        await store.close?.();
      })();
      return closed;
    },
  };
}
