import type { CrispTier, FetchLike, UnreadErrorCode } from '@crisp-unread/core';
import type { RelayMetrics } from './metrics';

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
  /**
   * A `session:removed` web hook said the conversation was deleted: `count` is `null` and stays
   * so, whatever its age, until a later web hook names the session again.
   */
  readonly removed?: true | undefined;
  /**
   * The count was derived from a signed web hook (an operator's message raised it by one), not
   * read from Crisp; a later read verifies it.
   */
  readonly derived?: true | undefined;
  /**
   * Not read from Crisp but assumed (`assumeUnseenSessions`): a session no web hook has named and
   * the relay never read, when the budget cannot pay for its first read (0, answered, not stored),
   * or a count raised by operators' messages from that assumption (stored, until a read).
   */
  readonly assumed?: true | undefined;
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
   * Counts one upstream call against `counter` if fewer than `limit` were counted: `true` when
   * counted. Must be atomic across instances. A counter is a UTC date and a budget share,
   * `YYYY-MM-DD:<share>` (e.g. `2026-01-15:hooks`); counters of earlier days may be forgotten.
   */
  takeBudget(counter: string, limit: number): Promise<boolean>;
  /**
   * How many upstream calls were counted against `counter`. With `wait: false` (`/healthz`) a
   * shared store answers what it last knew at once rather than wait on its server.
   */
  budgetUsed(counter: string, options?: { wait?: boolean }): Promise<number>;
  /**
   * Records that a web hook said the session's conversation changed at `at` (epoch ms); the store
   * may forget it after `retainMs`. A count read before `at` is outdated.
   */
  markChanged(sessionId: string, at: number, retainMs: number): Promise<void>;
  /** When a web hook last said the session changed (epoch ms), or `undefined`. */
  getChanged(sessionId: string): Promise<number | undefined>;
  /**
   * Adds `delta` to a session's cached count in one atomic step, when a count is cached, the
   * session is not removed and no web hook mark is later than its read: the new entry (`readAt`
   * and the mark become `at`, `derived: true`), or `undefined` when nothing could be derived.
   * Optional: a store without it makes every hook a read.
   */
  deriveCount?(
    sessionId: string,
    delta: number,
    at: number,
    retainMs: number,
  ): Promise<CachedCount | undefined>;
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
  /**
   * The Redis connection the per-client limits share (`rate-limiter-flexible`'s Redis limiter),
   * called after `attach`; `undefined` (or no method) keeps them in this instance's memory.
   */
  sharedLimits?(): SharedLimits | undefined;
  /** The store's state, for `GET /healthz`. Optional: a store without it is always healthy. */
  health?(): Promise<StoreHealth>;
  /** Frees what the store holds (timers, connections it owns). */
  close?(): Promise<void>;
}

/** The parts of `dailyBudget` (see `UnreadRelayOptions.budgetShares`). */
export type BudgetShareName = 'hooks' | 'firstReads' | 'safety';

/** Fractions of `dailyBudget`, adding up to 1. */
export interface BudgetShares {
  /** Re-reads after a web hook said a watched, cached or marked session changed. */
  readonly hooks: number;
  /**
   * First reads of sessions the relay never read (nor heard of from a web hook), and re-reads of
   * ids Crisp said do not exist.
   */
  readonly firstReads: number;
  /** Safety re-reads of watched sessions (web hooks may be lost) and TTL refreshes. */
  readonly safety: number;
}

/** One budget share's figures today (`GET /healthz`). */
export interface ShareReport {
  /** Calls this share may make today. */
  readonly limit: number;
  /** Calls it made today (every instance sharing the store). */
  readonly spent: number;
  /** `limit - spent`. */
  readonly remaining: number;
  /** What it may have spent by now under the pacing rule (`spent` stops there). */
  readonly allowance: number;
}

/** The daily budget's state (`GET /healthz`'s `budget`). */
export interface BudgetReport {
  /** The UTC day, `YYYY-MM-DD`. */
  readonly day: string;
  /** `dailyBudget`. */
  readonly total: number;
  readonly shares: Readonly<Record<BudgetShareName, ShareReport>>;
}

/** Where a store lets the per-client limits live: see `RelayStore.sharedLimits`. */
export interface SharedLimits {
  /** An ioredis client (`rate-limiter-flexible` defines its Lua command on it). */
  readonly client: unknown;
  /** The first part of every limit key, e.g. `crisp-unread:<websiteId>:limit:`. */
  readonly keyPrefix: string;
  /** How long a limit waits for Redis before it counts in memory instead (a hanging Redis). */
  readonly timeoutMs: number;
  /** Whether commands may go to Redis now; when not, the limits count in memory. */
  usable(): boolean;
}

/** What `createUnreadRelay` tells its store (`RelayStore.attach`). */
export interface RelayStoreContext {
  /** The relay's Crisp website id, lower-cased. */
  readonly websiteId: string;
  /** The relay's log (never given a secret). */
  readonly log: (line: string) => void;
  /** The relay's clock (its `now` option), for a store that was not given one. */
  readonly now?: (() => number) | undefined;
  /** How long the relay keeps a count (its `retainMs` option). */
  readonly retainMs?: number | undefined;
}

/** A store's health: `ok`, or degraded with secret-free details (e.g. `{ redis: 'unreachable' }`). */
export type StoreHealth =
  | { readonly status: 'ok' }
  | { readonly status: 'degraded'; readonly [detail: string]: string };

/** The per-client token bucket. */
/** `UnreadRelayOptions.unknownSessionLimit`. */
export interface UnknownSessionLimitOptions {
  /** First reads of sessions Crisp does not know a client may cause. Defaults to `3`. */
  strikes?: number | undefined;
  /** How long strikes count, and how long a client past them waits. Defaults to `3600000`. */
  forMs?: number | undefined;
}

export interface RateLimitOptions {
  /** Requests a client may make at once. Defaults to `60`. */
  burst?: number | undefined;
  /** Tokens given back per second. Defaults to `1`. */
  perSecond?: number | undefined;
}

/** What the relay knows about a request's connection, where the runtime says. */
export interface ConnectionInfo {
  /**
   * The peer's address: Node's `socket.remoteAddress`, Bun's `requestIP`, or the `clientAddress`
   * the server passed (`RelayRequestContext`).
   */
  readonly remoteAddress?: string | undefined;
}

/**
 * The second argument of `relay.fetch` for runtimes whose handler the relay cannot read an
 * address from: the visitor's address as the server knows it (Deno's `info.remoteAddr.hostname`,
 * a Worker's `CF-Connecting-IP`). Every per-client limit keys on it, like Node's socket address.
 */
export interface RelayRequestContext {
  readonly clientAddress?: string | null | undefined;
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
   * Without web hooks (neither `webhookSecret` nor `webhookToken`): how long a count read from Crisp is served as
   * fresh, and the refresh period of streamed sessions. With web hooks a count stays fresh until
   * a hook says it changed, and `safetyRefreshMs` applies instead. Defaults to `15000`.
   */
  ttlMs?: number | undefined;
  /**
   * With web hooks configured: the age at which a count is read again even though no hook said
   * it changed (hooks can be lost), and the period of that safety re-read for streamed sessions.
   * Spent from the `safety` share, so it may happen less often. Defaults to `900000` (15 minutes).
   */
  safetyRefreshMs?: number | undefined;
  /** Upstream calls allowed per UTC day in all, never exceeded. Defaults to `5000`. */
  dailyBudget?: number | undefined;
  /**
   * How `dailyBudget` is split, as fractions adding up to 1. Each share is paced over the UTC day
   * (see the README) and one share running out never stops another: a flood of unknown ids
   * spends `firstReads` only. Without web hooks the `hooks` fraction goes to `safety`.
   * Defaults to `{ hooks: 0.45, firstReads: 0.45, safety: 0.1 }`.
   */
  budgetShares?: BudgetShares | undefined;
  /**
   * After a failed read of a session, how long its cached count (`stale: true`) or the error is
   * answered without calling Crisp again; also how long upstream calls pause after repeated
   * server failures or timeouts across sessions (then one probe call decides). Defaults to
   * `30000`.
   */
  failureMemoryMs?: number | undefined;
  /**
   * The signing secret of Crisp's Plugin Hooks (`X-Crisp-Signature`). With neither it nor
   * `webhookToken`, `POST /webhooks/crisp` answers 404. Defaults to none.
   */
  webhookSecret?: string | undefined;
  /**
   * A token of your own (16 to 256 URL-safe characters) that Crisp's Website Hooks, which are not
   * signed, carry in the hook URL you give Crisp: `https://…/webhooks/crisp?token=…`. Compared in
   * constant time. Either or both of `webhookSecret` and `webhookToken` may be set; a hook is
   * taken with a valid signature or a valid token. Defaults to none.
   */
  webhookToken?: string | undefined;
  /**
   * How far a web hook's timestamp (seconds or milliseconds) may be from the relay's clock: it
   * covers Crisp's late deliveries and retries, and hooks already taken are remembered for twice
   * as long, so none is taken twice. Defaults to `3600000` (1 hour).
   */
  webhookToleranceMs?: number | undefined;
  /**
   * After a read a web hook asked for, answered by Crisp's cache (`Bloom-Status: HIT`) with the
   * count unchanged, read once more this much later (from the `hooks` share; at most one extra
   * call per hook). `false` for never. Defaults to `2000`.
   */
  cacheHitRereadMs?: number | false | undefined;
  /**
   * Take a signed web hook at its word where its effect is known, with no read: an operator's
   * message (`message:received`) raises a cached count by one, the visitor's own (`message:send`)
   * leaves it. Derived counts are verified by paced reads; `/healthz`'s `derived` says how many
   * were found wrong. `false` makes every hook a read. Defaults to `true`.
   */
  deriveFromHooks?: boolean | undefined;
  /**
   * With web hooks: a session no hook has named and the relay never read, whose first read the
   * budget cannot pay for now (the `firstReads` share is paced), is answered `count: 0` with
   * `assumed: true` instead of 503 `budget-exhausted`. Its conversation has no unread message
   * unless Crisp lost a hook about it; the relay reads it once the pacing allows (on a client's
   * next read, and every `safetyRefreshMs` while a stream watches it) or a hook names it. A relay
   * whose store was emptied (a memory store restarted) assumes for every returning visitor until
   * their reads come through: keep counts in Redis where that matters. `false` answers 503 as
   * before. Defaults to `true`.
   */
  assumeUnseenSessions?: boolean | undefined;
  /**
   * How long a count (and a web hook's mark) is kept after it was last written, in the store's
   * memory or Redis (the same TTL): a returning visitor's count costs no call while it is kept.
   * Defaults to `7776000000` (90 days).
   */
  retainMs?: number | undefined;
  /**
   * How long `GET /sessions/{id}/unread` waits for the first read of a session the relay holds
   * no count for; past it the answer is 503 `upstream-unavailable` with `Retry-After` while the
   * read goes on (a stream opens at once whatever). Defaults to `2000`.
   */
  firstReadWaitMs?: number | undefined;
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
   * A second, smaller bucket per client, taken only by reads of a session the store holds no
   * count for (each such read costs an upstream call and a unit of the daily budget): a client
   * cycling through made-up or harvested session ids is refused with 429 `rate-limited` long
   * before the budget feels it. `false` for none. Defaults to `{ burst: 20, perSecond: 0.1 }`.
   */
  firstReadLimit?: RateLimitOptions | false | undefined;
  /**
   * A bucket per client taken by each web hook whose signature fails; while it is empty the
   * client's hooks are answered 429 `rate-limited` before their body is read or verified.
   * `false` for none. Defaults to `{ burst: 10, perSecond: 0.1 }`.
   */
  failedSignatureLimit?: RateLimitOptions | false | undefined;
  /**
   * Made-up ids cost their senders: each first read a client causes holds a strike until Crisp
   * answers, kept when Crisp says the session does not exist (404 `session-not-found`). A client
   * with `strikes` kept within `forMs` gets no first reads for `forMs` (429 `rate-limited` with
   * `Retry-After`); reads of counts the relay holds still work. `false` for none. Defaults to
   * `{ strikes: 3, forMs: 3600000 }`.
   */
  unknownSessionLimit?: UnknownSessionLimitOptions | false | undefined;
  /**
   * SSE streams one client may hold open at once; past it 429 `too-many-streams` with
   * `Retry-After`. Defaults to `20`.
   */
  maxStreamsPerClient?: number | undefined;
  /**
   * SSE streams the relay holds open at once, all clients together (each is a socket and a file
   * descriptor); past it 503 `too-many-streams` with `Retry-After`. Defaults to `25000`, above
   * the ~10,000 pages open at the peak of a 100,000-visitor day (mind `ulimit -n`).
   */
  maxStreams?: number | undefined;
  /**
   * Trust `X-Forwarded-For` as the client address: only behind proxies that append to it. `true`
   * takes its right-most entry (the peer your one proxy saw; entries to its left are written by
   * the client and can be anything); a number `N` takes the N-th entry from the right, for `N`
   * trusted proxies in a row (`true` is `1`). Defaults to `false`.
   */
  trustProxy?: boolean | number | undefined;
  /**
   * Names the client a request comes from, for every per-client limit. Defaults to the
   * `X-Forwarded-For` entry `trustProxy` picks, else the connection address where the runtime
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
  /**
   * Serves `GET /metrics` (Prometheus text) from these metrics: `prometheusMetrics()` from
   * `@crisp-unread/relay/prometheus`. Defaults to none: `/metrics` answers 404.
   */
  metrics?: RelayMetrics | undefined;
  /**
   * A bearer token `GET /metrics` requires (`Authorization: Bearer <token>`), at least 16
   * characters. Defaults to none: anyone who reaches the route reads it (it holds no session id
   * nor secret, but tells your traffic and budget).
   */
  metricsToken?: string | undefined;
  /**
   * The clock (epoch ms), for tests. Defaults to `Date.now`. The per-client limits keep
   * `rate-limiter-flexible`'s own time (`Date.now`, Redis key expiry) whatever it says.
   */
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
  /**
   * `true` when the count may be out of date. With web hooks: a hook said the conversation
   * changed and its re-read has not landed, or the last read of it failed. Without: the count is
   * older than `ttlMs` (being read again, or it could not be). Never for age alone with hooks.
   */
  stale: boolean;
  /**
   * Present (`true`) when the count was not read from Crisp but assumed (`assumeUnseenSessions`):
   * a session no web hook has named, whose first read the budget could not pay yet.
   */
  assumed?: true;
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
  /**
   * Answers one request. `env` is the runtime's second argument: Node bindings, Bun's server, or
   * `{ clientAddress }` (`RelayRequestContext`) where the runtime hands the address apart.
   */
  fetch(
    request: Request,
    env?: RelayRequestContext | unknown,
    executionContext?: unknown,
  ): Promise<Response>;
  /** Secret-free counters. */
  stats(): RelayStats;
  /** Ends every stream and timer, and closes the store. */
  close(): Promise<void>;
}
