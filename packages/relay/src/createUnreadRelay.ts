import { crispRest, isSessionId, UnreadError } from '@crisp-unread/core';
import { type Context, Hono } from 'hono';
import { cors } from 'hono/cors';
import { CountReader, type ReadOutcome } from './countReader';
import { eventStream } from './eventStream';
import { memoryStore } from './memoryStore';
import { connectionOf, defaultClientId, RateLimiter } from './rateLimiter';
import { verifyCrispSignature } from './signature';
import type {
  RateLimitOptions,
  RelayStore,
  StoreHealth,
  UnreadRelay,
  UnreadRelayOptions,
} from './types';
import { Watchers } from './watchers';

/** The web hook events after which a conversation's unread count may have changed. */
export const countEvents: ReadonlySet<string> = new Set([
  'message:send',
  'message:received',
  'message:acknowledge:read:send',
  'message:acknowledge:read:received',
  'message:acknowledge:unread:send',
  'message:updated',
  'message:removed',
]);

type Settings = ReturnType<typeof resolveOptions>;

function fail(message: string): never {
  throw new UnreadError('misconfigured', `crisp-unread relay: ${message}`);
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

function resolveOptions(options: UnreadRelayOptions) {
  if (typeof options !== 'object' || options === null)
    fail('createUnreadRelay() needs an options object.');
  const settings = {
    tier: 'plugin' as const,
    baseUrl: 'https://api.crisp.chat',
    ttlMs: 15_000,
    dailyBudget: 5000,
    webhookSecret: undefined as string | undefined,
    webhookToleranceMs: 300_000,
    maxWebhookBytes: 65_536,
    allowedOrigins: [] as readonly string[] | '*',
    basePath: '',
    trustProxy: false,
    heartbeatMs: 15_000,
    sseRetryMs: 3000,
    timeoutMs: 10_000,
    rateLimitedPauseMs: 60_000,
    now: Date.now,
    ...Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)),
  } as Defaulted<
    Omit<UnreadRelayOptions, 'store' | 'clientId' | 'fetch' | 'log' | 'rateLimit' | 'webhookSecret'>
  > &
    Pick<
      UnreadRelayOptions,
      'store' | 'clientId' | 'fetch' | 'log' | 'rateLimit' | 'webhookSecret'
    >;
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
  if (
    settings.webhookSecret !== undefined &&
    (typeof settings.webhookSecret !== 'string' || settings.webhookSecret === '')
  ) {
    fail('`webhookSecret` must be a non-empty string.');
  }
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
  // An option given as `undefined` (an unset environment value) takes its default.
  const rateLimit: Defaulted<RateLimitOptions> | false =
    settings.rateLimit === false
      ? false
      : { burst: settings.rateLimit?.burst ?? 60, perSecond: settings.rateLimit?.perSecond ?? 1 };
  if (rateLimit) {
    positive('rateLimit.burst', rateLimit.burst, true);
    positive('rateLimit.perSecond', rateLimit.perSecond);
  }
  return { ...settings, rateLimit };
}

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: {
      ...headers,
      'Content-Type': 'application/json; charset=utf-8',
      'Cache-Control': 'no-store',
    },
  });
}

function errorBody(
  status: number,
  error: string,
  message: string,
  extra: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): Response {
  return json(status, { error, message, ...extra }, headers);
}

const retryAfter = (ms: number) => ({ 'Retry-After': String(Math.max(1, Math.ceil(ms / 1000))) });

/** The answer for a read that brought no count. */
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
 */
export function createUnreadRelay(options: UnreadRelayOptions): UnreadRelay {
  const s: Settings = resolveOptions(options);
  const source = crispRest({
    websiteId: s.websiteId,
    identifier: s.identifier,
    key: s.key,
    tier: s.tier,
    baseUrl: s.baseUrl,
    timeoutMs: s.timeoutMs,
    ...(s.fetch ? { fetch: s.fetch } : {}),
  });
  const websiteId = s.websiteId.toLowerCase();
  const secrets = [s.key, s.webhookSecret].filter((x): x is string => typeof x === 'string');
  const sink = s.log === false ? () => {} : (s.log ?? ((line: string) => console.warn(line)));
  // Belt and braces: nothing the relay logs should hold a secret, but a message from below might.
  const log = (line: string) => {
    let safe = line;
    for (const secret of secrets) safe = safe.split(secret).join('[redacted]');
    sink(safe);
  };
  const store: RelayStore = s.store ?? memoryStore({ now: s.now });
  store.attach?.({ websiteId, log });
  const closing = new AbortController();
  const reader = new CountReader({
    source,
    store,
    ttlMs: s.ttlMs,
    dailyBudget: s.dailyBudget,
    timeoutMs: s.timeoutMs,
    rateLimitedPauseMs: s.rateLimitedPauseMs,
    now: s.now,
    log,
  });
  const watchers = new Watchers(reader, store, s.ttlMs, s.now);
  const limiter = s.rateLimit ? new RateLimiter(s.rateLimit, s.now) : null;
  const clientId = s.clientId ?? defaultClientId(s.trustProxy);
  const streams = new Set<() => void>();

  const app = new Hono();
  const routes = s.basePath ? app.basePath(s.basePath) : app;

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

  const limited = (c: Context): Response | null => {
    if (!limiter) return null;
    const waitMs = limiter.take(clientId(c.req.raw, connectionOf(c.req.raw, c.env)));
    if (waitMs === 0) return null;
    return errorBody(
      429,
      'rate-limited',
      'Too many requests from this client.',
      {},
      retryAfter(waitMs),
    );
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
    return json(200, health);
  });

  /** What both session routes start with: the rate limit, the id check and a read. */
  const readSession = async (
    c: Context,
  ): Promise<
    Response | { sessionId: string; outcome: Extract<ReadOutcome, { kind: 'count' }> }
  > => {
    const refused = limited(c);
    if (refused) return refused;
    const sessionId = c.req.param('sessionId') ?? '';
    if (!isSessionId(sessionId)) return invalidId();
    const outcome = await reader.read(sessionId);
    return outcome.kind === 'count' ? { sessionId, outcome } : outcomeError(outcome);
  };

  routes.get('/sessions/:sessionId/unread', async (c) => {
    const read = await readSession(c);
    if (read instanceof Response) return read;
    const { outcome } = read;
    return json(200, {
      count: outcome.entry.count,
      updatedAt: outcome.entry.readAt,
      stale: outcome.stale,
    });
  });

  routes.get('/sessions/:sessionId/unread/stream', async (c) => {
    const read = await readSession(c);
    if (read instanceof Response) return read;
    const { sessionId, outcome } = read;
    const lastEventId = c.req.header('last-event-id') ?? null;
    return eventStream({
      first: outcome.entry,
      stale: outcome.stale,
      lastEventId: lastEventId && lastEventId.length <= 32 ? lastEventId : null,
      retryMs: s.sseRetryMs,
      heartbeatMs: s.heartbeatMs,
      watch: (listener) => watchers.add(sessionId, listener),
      signal: c.req.raw.signal,
      onOpen: (end) => {
        if (closing.signal.aborted) end();
        else streams.add(end);
      },
      onClose: (end) => {
        streams.delete(end);
      },
      headers: Object.fromEntries(c.res.headers),
    });
  });

  routes.post('/webhooks/crisp', async (c) => {
    const secret = s.webhookSecret;
    if (secret === undefined) return errorBody(404, 'not-found', 'Web hooks are not configured.');
    const text = await readCapped(c.req.raw, s.maxWebhookBytes);
    if (text === null) {
      return errorBody(
        413,
        'payload-too-large',
        `A web hook body may hold ${s.maxWebhookBytes} bytes.`,
      );
    }
    const timestamp = c.req.header('x-crisp-request-timestamp') ?? '';
    const signature = c.req.header('x-crisp-signature') ?? '';
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    const forged = () =>
      errorBody(401, 'invalid-signature', 'The web hook signature does not match.');
    if (body === undefined || !/^\d{1,16}$/.test(timestamp)) return forged();
    if (!(await verifyCrispSignature(secret, timestamp, body, signature))) return forged();
    const age = Math.abs(s.now() - Number(timestamp));
    if (age > s.webhookToleranceMs) {
      return errorBody(
        401,
        'stale-webhook',
        'The web hook timestamp is too old (or in the future).',
      );
    }
    // A signed hook replayed within the tolerance window is acknowledged and ignored.
    if (!(await store.acquire(`hook:${signature.toLowerCase()}`, s.webhookToleranceMs * 2))) {
      return json(200, { ok: true, ignored: 'duplicate' });
    }
    const hook = readHook(body);
    if (!hook || hook.websiteId !== websiteId) return json(200, { ok: true, ignored: 'website' });
    if (!countEvents.has(hook.event)) return json(200, { ok: true, ignored: 'event' });
    if (!isSessionId(hook.sessionId)) return json(200, { ok: true, ignored: 'session' });
    const outcome = await reader.refresh(hook.sessionId);
    return json(200, {
      ok: true,
      count: outcome.kind === 'count' && !outcome.stale ? outcome.entry.count : null,
    });
  });

  app.notFound(() => errorBody(404, 'not-found', 'No such route.'));
  app.onError((error) => {
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
        closing.abort();
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

/** The fields of a Crisp web hook the relay needs, or `null`. */
function readHook(body: unknown): { websiteId: string; event: string; sessionId: unknown } | null {
  if (typeof body !== 'object' || body === null) return null;
  const { website_id, event, data } = body as Record<string, unknown>;
  if (typeof website_id !== 'string' || typeof event !== 'string') return null;
  const sessionId =
    typeof data === 'object' && data !== null
      ? (data as Record<string, unknown>).session_id
      : undefined;
  return { websiteId: website_id.toLowerCase(), event, sessionId };
}

/** The body as text, or `null` past `maxBytes` (checked before and while reading). */
async function readCapped(request: Request, maxBytes: number): Promise<string | null> {
  const declared = Number(request.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > maxBytes) return null;
  if (!request.body) return '';
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => undefined);
      return null;
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return new TextDecoder().decode(bytes);
}
