import { crispRest, misconfigured, normalizeSessionId } from '@crisp-unread/core';
import { type Context, Hono } from 'hono';
import { cors } from 'hono/cors';
import { HTTPException } from 'hono/http-exception';
import { bloomStatusNotes } from './bloomStatus';
import { Budget, dayMs } from './budget';
import { burstWindow, ClientLimit } from './clientLimits';
import { CountReader, type ReadOutcome } from './countReader';
import { economySettings } from './economySettings';
import { eventStream, type FirstCount } from './eventStream';
import { FailureMemory } from './failureMemory';
import { type FirstReadRefusal, FirstReads } from './firstReads';
import { HookHealth } from './hookHealth';
import { lazyRelay } from './lazyRelay';
import { memoryStore } from './memoryStore';
import { mountMetricsRoute, type RelayMetrics } from './metrics';
import { clientOf, defaultClientId, type RelayEnv } from './requestClient';
import { errorBody, json, rateLimited, retryAfter } from './responses';
import { type StreamRefusal, StreamSlots } from './streamSlots';
import type {
  RateLimitOptions,
  RelayStore,
  StoreHealth,
  UnknownSessionLimitOptions,
  UnreadRelay,
  UnreadRelayOptions,
} from './types';
import { UpstreamGate } from './upstreamGate';
import { isNotSubscribed, UpstreamHealth } from './upstreamHealth';
import { Watchers } from './watchers';
import { mountWebhookRoute } from './webhookRoute';

export { countEvents } from './webhookRoute';

type Settings = ReturnType<typeof resolveOptions>;

function fail(message: string): never {
  return misconfigured(message, 'crisp-unread relay');
}

function positive(name: string, value: unknown, integer = false): number {
  if (
    typeof value !== 'number' ||
    !Number.isFinite(value) ||
    value <= 0 ||
    (integer && !Number.isInteger(value))
  ) {
    fail(`\`${name}\` must be a positive ${integer ? 'integer' : 'number'}.`);
  }
  return value;
}

/** Options with every default filled in: none is optional, none `undefined`. */
type Defaulted<T> = { [K in keyof T]-?: Exclude<T[K], undefined> };

const credentials = [
  ['websiteId', 'CRISP_WEBSITE_ID'],
  ['identifier', 'CRISP_IDENTIFIER'],
  ['key', 'CRISP_KEY'],
] as const;

/** `unknownSessionLimit`: `false`, or the defaults merged with what was given, checked. */
function strikesOption(
  value: UnknownSessionLimitOptions | false | undefined,
): Defaulted<UnknownSessionLimitOptions> | false {
  if (value === false) return false;
  if (value !== undefined && (typeof value !== 'object' || value === null)) {
    fail('`unknownSessionLimit` must be { strikes, forMs } or false.');
  }
  const merged = { strikes: value?.strikes ?? 3, forMs: value?.forMs ?? 3_600_000 };
  positive('unknownSessionLimit.strikes', merged.strikes, true);
  positive('unknownSessionLimit.forMs', merged.forMs);
  return merged;
}

/** A per-client limit option: `false`, or the defaults merged with what was given, checked. */
function bucket(
  name: string,
  value: RateLimitOptions | false | undefined,
  defaults: Defaulted<RateLimitOptions>,
): Defaulted<RateLimitOptions> | false {
  if (value === false) return false;
  if (value !== undefined && (typeof value !== 'object' || value === null)) {
    fail(`\`${name}\` must be { burst, perSecond } or false.`);
  }
  // A field given as `undefined` (an unset environment value) takes its default.
  const merged = {
    burst: value?.burst ?? defaults.burst,
    perSecond: value?.perSecond ?? defaults.perSecond,
  };
  positive(`${name}.burst`, merged.burst, true);
  positive(`${name}.perSecond`, merged.perSecond);
  return merged;
}

function resolveOptions(options: UnreadRelayOptions) {
  if (typeof options !== 'object' || options === null)
    fail('createUnreadRelay() needs an options object (or a function that returns one).');
  // Named one by one, so that a relay built at request time says which one the deployment lacks.
  for (const [name, variable] of credentials) {
    if (typeof options[name] !== 'string' || options[name] === '') {
      fail(`\`${name}\` is required (a non-empty string; ${variable} for the CLI).`);
    }
  }
  const settings = {
    tier: 'plugin' as const,
    baseUrl: 'https://api.crisp.chat',
    ttlMs: 15_000,
    dailyBudget: 5000,
    webhookSecret: undefined as string | undefined,
    webhookToken: undefined as string | undefined,
    webhookToleranceMs: 3_600_000,
    cacheHitRereadMs: 2000 as number | false,
    maxWebhookBytes: 65_536,
    allowedOrigins: [] as readonly string[] | '*',
    basePath: '',
    trustProxy: false as boolean | number,
    maxStreamsPerClient: 20,
    maxStreams: 25_000,
    retainMs: 90 * dayMs,
    deriveFromHooks: true,
    assumeUnseenSessions: true,
    firstReadWaitMs: 2000,
    heartbeatMs: 15_000,
    sseRetryMs: 3000,
    timeoutMs: 10_000,
    rateLimitedPauseMs: 60_000,
    now: Date.now,
    ...Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)),
  } as Defaulted<Omit<UnreadRelayOptions, Unmerged>> & Pick<UnreadRelayOptions, Unmerged>;
  positive('ttlMs', settings.ttlMs);
  if (!Number.isInteger(settings.dailyBudget) || settings.dailyBudget < 0) {
    fail('`dailyBudget` must be an integer >= 0.');
  }
  positive('webhookToleranceMs', settings.webhookToleranceMs);
  positive('maxWebhookBytes', settings.maxWebhookBytes, true);
  positive('heartbeatMs', settings.heartbeatMs);
  positive('sseRetryMs', settings.sseRetryMs, true);
  positive('timeoutMs', settings.timeoutMs);
  positive('rateLimitedPauseMs', settings.rateLimitedPauseMs);
  positive('retainMs', settings.retainMs);
  if (typeof settings.deriveFromHooks !== 'boolean') fail('`deriveFromHooks` must be a boolean.');
  if (typeof settings.assumeUnseenSessions !== 'boolean') {
    fail('`assumeUnseenSessions` must be a boolean.');
  }
  positive('firstReadWaitMs', settings.firstReadWaitMs);
  if (
    settings.webhookSecret !== undefined &&
    (typeof settings.webhookSecret !== 'string' || settings.webhookSecret === '')
  ) {
    fail('`webhookSecret` must be a non-empty string.');
  }
  if (
    settings.webhookToken !== undefined &&
    (typeof settings.webhookToken !== 'string' || !/^[\w.~-]{16,256}$/.test(settings.webhookToken))
  ) {
    fail(
      '`webhookToken` must be 16 to 256 URL-safe characters (letters, digits, - _ . ~), e.g. 32 random hex digits.',
    );
  }
  if (settings.cacheHitRereadMs !== false) positive('cacheHitRereadMs', settings.cacheHitRereadMs);
  const origins = settings.allowedOrigins;
  if (origins !== '*' && !(Array.isArray(origins) && origins.every((o) => typeof o === 'string'))) {
    fail("`allowedOrigins` must be an array of origins such as 'https://shop.example', or '*'.");
  }
  if (typeof settings.basePath !== 'string' || !/^(\/[\w.~-]+)*$/.test(settings.basePath)) {
    fail("`basePath` must be '' or a path such as '/api/crisp-unread' (no trailing slash).");
  }
  if (typeof settings.now !== 'function') fail('`now` must be a function.');
  if (settings.clientId !== undefined && typeof settings.clientId !== 'function') {
    fail('`clientId` must be a function.');
  }
  const proxy = settings.trustProxy;
  if (typeof proxy !== 'boolean' && !(Number.isInteger(proxy) && proxy >= 0)) {
    fail('`trustProxy` must be true, false or a number of trusted proxy hops.');
  }
  positive('maxStreamsPerClient', settings.maxStreamsPerClient, true);
  positive('maxStreams', settings.maxStreams, true);
  checkMetrics(settings.metrics, settings.metricsToken);
  return {
    ...settings,
    ...economySettings(settings),
    rateLimit: bucket('rateLimit', settings.rateLimit, { burst: 60, perSecond: 1 }),
    firstReadLimit: bucket('firstReadLimit', settings.firstReadLimit, {
      burst: 20,
      perSecond: 0.1,
    }),
    failedSignatureLimit: bucket('failedSignatureLimit', settings.failedSignatureLimit, {
      burst: 10,
      perSecond: 0.1,
    }),
    unknownSessionLimit: strikesOption(settings.unknownSessionLimit),
    ...economySettings(settings),
  };
}

/** Options without a single default value, merged by hand in `resolveOptions`. */
type Unmerged =
  | 'store'
  | 'clientId'
  | 'fetch'
  | 'log'
  | 'rateLimit'
  | 'firstReadLimit'
  | 'failedSignatureLimit'
  | 'unknownSessionLimit'
  | 'webhookSecret'
  | 'webhookToken'
  | 'safetyRefreshMs'
  | 'budgetShares'
  | 'failureMemoryMs'
  | 'metrics'
  | 'metricsToken';

function checkMetrics(metrics: RelayMetrics | undefined, token: string | undefined): void {
  if (
    metrics !== undefined &&
    (typeof metrics !== 'object' ||
      metrics === null ||
      typeof metrics.render !== 'function' ||
      typeof metrics.attach !== 'function')
  ) {
    fail(
      '`metrics` must be a RelayMetrics, such as prometheusMetrics() from @crisp-unread/relay/prometheus.',
    );
  }
  if (token !== undefined && (typeof token !== 'string' || !/^[\x21-\x7e]{16,}$/.test(token))) {
    fail('`metricsToken` must be at least 16 printable characters without spaces.');
  }
  if (token !== undefined && metrics === undefined) fail('`metricsToken` needs `metrics`.');
}

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

/** The answer for a read that brought no count. */
/** `unknownSessionLimit` in `rate-limiter-flexible`'s terms: `strikes` per `forMs`, then blocked. */
function strikesWindow(limit: Defaulted<UnknownSessionLimitOptions>) {
  const seconds = Math.max(1, Math.round(limit.forMs / 1000));
  return { points: limit.strikes, durationS: seconds, blockS: seconds };
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
  const s: Settings = resolveOptions(options);
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
    assumeUnseen: s.webhooks && s.assumeUnseenSessions,
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
      ...(outcome.entry.assumed ? { assumed: true } : {}),
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
