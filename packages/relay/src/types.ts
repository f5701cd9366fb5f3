import type { CrispTier, FetchLike, UnreadErrorCode } from '@crisp-unread/core';

/** One session's count as the relay last read it from Crisp. */
export interface CachedCount {
  /** `data.unread.visitor`, or `null` when Crisp said the session does not exist. */
  readonly count: number | null;
  /** When Crisp was last read for this session (epoch ms). */
  readonly readAt: number;
  /**
   * When the count last changed (epoch ms), strictly increasing per session: the SSE event id.
   */
  readonly changedAt: number;
}

/** What a store carries between relay instances about one session. */
export type RelayMessage =
  /** A fresh read of Crisp (the count may or may not have changed). */
  | { readonly sessionId: string; readonly entry: CachedCount }
  /** A failed read, so that waiters on the single-flight lock do not call Crisp again. */
  | {
      readonly sessionId: string;
      readonly failure: UpstreamFailure;
    }
  /**
   * The lease holder gave the lease back without reading Crisp (the cache was fresh, the budget
   * spent, Crisp paused, or the instance is closing): waiters read themselves.
   */
  | { readonly sessionId: string; readonly released: true };

/** An upstream failure, without its message (which stays in the instance that saw it). */
export interface UpstreamFailure {
  readonly code: UnreadErrorCode;
  readonly status?: number | undefined;
  readonly retryAfterMs?: number | undefined;
}

/**
 * The relay's shared state. The default keeps it in memory (one process); a shared
 * implementation (Redis) lets several relay instances share one cache, one daily budget and
 * one push channel. Every operation may be asynchronous.
 */
export interface RelayStore {
  /** The cached entry of a session, or `undefined`. */
  getCount(sessionId: string): Promise<CachedCount | undefined>;
  /** Caches an entry; the store may forget it after `retainMs`. */
  setCount(sessionId: string, entry: CachedCount, retainMs: number): Promise<void>;
  /**
   * Takes a lease on `key` for `leaseMs` when nobody holds it (SET NX PX): `true` when taken.
   * Used for the single-flight read of a session and to recognise replayed web hooks.
   */
  acquire(key: string, leaseMs: number): Promise<boolean>;
  /** Gives a lease back early. */
  release(key: string): Promise<void>;
  /**
   * Counts one upstream call against `day` (a UTC date, `YYYY-MM-DD`) if fewer than `limit`
   * were counted: `true` when counted. Must be atomic across instances.
   */
  takeBudget(day: string, limit: number): Promise<boolean>;
  /** How many upstream calls were counted against `day`. */
  budgetUsed(day: string): Promise<number>;
  /** Until when (epoch ms) Crisp asked not to be called (Retry-After), or `undefined`. */
  getPausedUntil(): Promise<number | undefined>;
  /** Records Crisp's Retry-After. */
  setPausedUntil(until: number): Promise<void>;
  /** Sends a message to every subscriber of its session, in every instance. */
  publish(message: RelayMessage): Promise<void>;
  /** Receives the messages of one session; resolves with the unsubscribe function. */
  subscribe(
    sessionId: string,
    listener: (message: RelayMessage) => void,
  ): Promise<() => Promise<void>>;
  /**
   * Called once by `createUnreadRelay` with the relay's website (to namespace keys) and its log
   * (which scrubs secrets). Optional.
   */
  attach?(context: RelayStoreContext): void;
  /** The store's state, for `GET /healthz`. Optional: a store without it is always healthy. */
  health?(): Promise<StoreHealth>;
  /** Frees what the store holds (timers, connections it owns). */
  close?(): Promise<void>;
}

/** What `createUnreadRelay` tells its store (`RelayStore.attach`). */
export interface RelayStoreContext {
  /** The relay's Crisp website id, lower-cased. */
  readonly websiteId: string;
  /** The relay's log (never given a secret). */
  readonly log: (line: string) => void;
}

/** A store's health: `ok`, or degraded with secret-free details (e.g. `{ redis: 'unreachable' }`). */
export type StoreHealth =
  | { readonly status: 'ok' }
  | { readonly status: 'degraded'; readonly [detail: string]: string };

/** The per-client token bucket. */
export interface RateLimitOptions {
  /** Requests a client may make at once. Defaults to `60`. */
  burst?: number | undefined;
  /** Tokens given back per second. Defaults to `1`. */
  perSecond?: number | undefined;
}

/** What the relay knows about a request's connection, where the runtime says. */
export interface ConnectionInfo {
  /** The peer's address (Node's `socket.remoteAddress`, Bun's `requestIP`). */
  readonly remoteAddress?: string | undefined;
}

/** Options of `createUnreadRelay`. */
export interface UnreadRelayOptions {
  /** The Crisp website id, a UUID. Required. */
  websiteId: string;
  /** The REST token identifier. Required. */
  identifier: string;
  /** The REST token key. A secret: it never appears in a response or a log line. Required. */
  key: string;
  /** Sent as `X-Crisp-Tier`. Defaults to `'plugin'`. */
  tier?: CrispTier | undefined;
  /** Crisp's API origin (the emulator's URL in tests). Defaults to `https://api.crisp.chat`. */
  baseUrl?: string | undefined;
  /**
   * How long a count read from Crisp is served without reading again, and the refresh period of
   * streamed sessions. With web hooks configured it can be long. Defaults to `15000`.
   */
  ttlMs?: number | undefined;
  /** Upstream calls allowed per UTC day, never exceeded. Defaults to `5000`. */
  dailyBudget?: number | undefined;
  /** The Crisp web hook secret; without it `POST /webhooks/crisp` answers 404. Defaults to none. */
  webhookSecret?: string | undefined;
  /** How old a web hook's timestamp may be. Defaults to `300000` (5 minutes). */
  webhookToleranceMs?: number | undefined;
  /** The largest web hook body accepted, in bytes. Defaults to `65536`. */
  maxWebhookBytes?: number | undefined;
  /**
   * Origins allowed to call the relay from a browser (`https://shop.example`), or `'*'`.
   * Defaults to `[]` (no CORS headers: same-origin pages only).
   */
  allowedOrigins?: readonly string[] | '*' | undefined;
  /** A path prefix for every route, e.g. `'/api/crisp-unread'`. Defaults to `''`. */
  basePath?: string | undefined;
  /** The shared state. Defaults to `memoryStore()`. */
  store?: RelayStore | undefined;
  /** The per-client rate limit, or `false` for none. Defaults to `{ burst: 60, perSecond: 1 }`. */
  rateLimit?: RateLimitOptions | false | undefined;
  /**
   * Trust `X-Forwarded-For` (its first entry) as the client address: only behind a proxy that
   * sets it. Defaults to `false`.
   */
  trustProxy?: boolean | undefined;
  /**
   * Names the client a request comes from, for the rate limit. Defaults to the first
   * `X-Forwarded-For` entry with `trustProxy`, else the connection address where the runtime
   * gives it, else one bucket shared by everyone.
   */
  clientId?: ((request: Request, connection: ConnectionInfo) => string) | undefined;
  /** SSE heartbeat comment period. Defaults to `15000`. */
  heartbeatMs?: number | undefined;
  /** The reconnection delay SSE clients are told (`retry:`). Defaults to `3000`. */
  sseRetryMs?: number | undefined;
  /** Deadline of each upstream request. Defaults to `10000`. */
  timeoutMs?: number | undefined;
  /** How long Crisp is left alone after a 429/420 without `Retry-After`. Defaults to `60000`. */
  rateLimitedPauseMs?: number | undefined;
  /** The clock (epoch ms), for tests. Defaults to `Date.now`. */
  now?: (() => number) | undefined;
  /** The `fetch` for upstream calls. Defaults to the global one. */
  fetch?: FetchLike | undefined;
  /** Where the relay logs (never a secret). Defaults to `console.warn`-based; `false` for silence. */
  log?: ((line: string) => void) | false | undefined;
}

/** What `GET /sessions/{id}/unread` answers. */
export interface UnreadCountBody {
  count: number;
  /** When the count was read from Crisp (epoch ms). */
  updatedAt: number;
  /** `true` when the relay could not read Crisp again (budget, Retry-After, outage). */
  stale: boolean;
}

/** Counters for tests and health checks. Secret-free. */
export interface RelayStats {
  /** Upstream calls made by this instance since it started. */
  upstreamCalls: number;
  /** Open SSE streams. */
  streams: number;
  /** Sessions with a refresh timer and a store subscription (those with open streams). */
  watchedSessions: number;
}

/** A relay: a fetch handler for any runtime. */
export interface UnreadRelay {
  /** Answers one request. `env` is the runtime's second argument (Node bindings, Bun server). */
  fetch(request: Request, env?: unknown, executionContext?: unknown): Promise<Response>;
  /** Secret-free counters. */
  stats(): RelayStats;
  /** Ends every stream and timer, and closes the store. */
  close(): Promise<void>;
}
