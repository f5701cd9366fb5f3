import type { QueryClient } from '@tanstack/query-core';
import type { Observable } from 'rxjs';
import type { UnreadError } from './errors';

/** Where the store is in its life. */
export type UnreadStatus = 'idle' | 'no-session' | 'loading' | 'ready' | 'error';

/** One immutable snapshot of the store. A new object only when a field changes. */
export interface UnreadState {
  /**
   * Unread messages the visitor has not read yet (`data.unread.visitor`), or `null` while it is
   * unknown: no session, first read pending, or the session is gone. Never NaN, never negative.
   */
  readonly count: number | null;
  readonly status: UnreadStatus;
  /** The last error, kept while it is retried; `null` after a successful read. */
  readonly error: UnreadError | null;
  /** The session being counted, or `null`. */
  readonly sessionId: string | null;
  /** When the count was last read successfully (epoch ms), or `null`. */
  readonly updatedAt: number | null;
  /**
   * `true` while the count shown is one the source could not refresh: the relay answered it stale
   * (Crisp failed, paused it or its budget is spent), or the store's own reads fail (status
   * `error` with the last good count on show).
   */
  readonly stale: boolean;
  /**
   * `true` while the store works towards a count it cannot show as `ready`: the first read in
   * flight (`loading`), and a failing session's retries (`error`, which the status keeps until a
   * read succeeds): from the first failure the store retries until a read succeeds, and it is
   * `true` for that whole run rather than on and off per attempt, so a retry costs no state. A
   * failure that stops the reads (`unauthorized`, `forbidden`, `misconfigured`, a gone session)
   * leaves it `false` until `refresh()` reads. Routine polls of a ready count leave it `false`,
   * so they cost no render.
   */
  readonly fetching: boolean;
  /**
   * `true` while the count shown was not read from Crisp but assumed by the relay: a session no
   * chat event has named and the relay has not read yet (its daily budget paces first reads).
   * Such a session has no unread message unless Crisp lost a web hook about it, so the count is 0;
   * the relay reads it once its budget allows or a chat event names it, and the page then shows
   * Crisp's count with `assumed: false`. Show it as a count (it is the likely one) and, where a
   * wrong badge matters, as unconfirmed. Always `false` for sources that read Crisp themselves.
   */
  readonly assumed: boolean;
}

/** One count as a source gives it: the count, and whether the source could not refresh it. */
export interface UnreadReading {
  /** Unread messages: a whole number from 0. */
  readonly count: number;
  /** `true` when the source served a count it could not refresh (see `UnreadState.stale`). */
  readonly stale: boolean;
  /** `true` when the relay assumed the count without reading Crisp (see `UnreadState.assumed`). */
  readonly assumed?: boolean | undefined;
}

/** What a source gets for one read. */
export interface SourceReadContext {
  /** Aborted when nobody needs the answer any more (session changed, store disposed). */
  readonly signal: AbortSignal;
}

/**
 * A place counts come from. The store does not know which one it has: it schedules `read` calls,
 * caches their results in the query cache and turns their failures into `UnreadError`s.
 */
export interface UnreadSource {
  /** Names the source in messages, e.g. `'crisp-rest'`. */
  readonly kind: string;
  /**
   * A secret-free id of the conversation space the source reads (the website id for Crisp REST).
   * Stores whose sources share a scope share cached counts and in-flight reads.
   */
  readonly scope: string;
  /**
   * Reads one session's unread count: a plain count is a fresh one. Rejects with an `UnreadError`
   * (never with a raw error).
   */
  read(sessionId: string, context: SourceReadContext): Promise<number | UnreadReading>;
  /** Marks the visitor's messages as read, where the source can. Rejects with an `UnreadError`. */
  markAsRead?(sessionId: string, context: SourceReadContext): Promise<void>;
  /**
   * Pushes counts as they change (a chatbox event, a server-sent event). The store writes each one
   * into its cache as a fresh read, so polling waits while pushes keep coming, and it goes back to
   * polling — and re-opens the stream with backoff — when the stream errors or ends. One stream per
   * session and `QueryClient`, however many stores watch it.
   */
  watch?(sessionId: string, context: SourceReadContext): Observable<number | UnreadReading>;
  /**
   * How the store re-opens this source's push stream after it fails, in place of the store's
   * `retry` settings (the stream's own backoff, e.g. `crispRelay`'s `reconnect` option). The
   * store is the only one that re-opens a stream: `watch` makes one connection per subscription.
   * Defaults to `undefined` (the store's `retry`).
   */
  readonly reconnect?: StreamReconnect | undefined;
  /**
   * The visitor's session as the source knows it (the chatbox does). Used when the store is given
   * no `sessionId`.
   */
  readonly session$?: Observable<string | null> | undefined;
  /**
   * Reads and pushes cost nothing (the chatbox reads the page itself): every tab reads for itself,
   * with no cross-tab lead.
   */
  readonly local?: boolean | undefined;
  /**
   * `false` where the source cannot run: it needs a page and there is none (a relay URL relative
   * to the page, or the page's own chatbox, during a server render). A store on it stays `idle`:
   * it reads nothing, opens nothing and throws nothing. Defaults to `true`.
   */
  readonly available?: boolean | undefined;
}

/**
 * A push stream's backoff, every field given. After failure `n` (counted since the stream last
 * delivered a count) the store waits a random time between half and all of
 * `min(maxDelayMs, baseDelayMs * 2^(n-1))` (a rate limit waits its `Retry-After`); from failure `maxAttempts` on it waits a poll interval
 * instead (polling covers the gap), or a longer `Retry-After`.
 */
export interface StreamReconnect {
  /** The bound of the first wait, doubling per failure. */
  readonly baseDelayMs: number;
  /** The bound never grows past this. */
  readonly maxDelayMs: number;
  /** Consecutive failed connections after which the stream is re-opened once per poll interval. */
  readonly maxAttempts: number;
  /** A source of randomness in `[0, 1)`. */
  readonly random: () => number;
}

/** The backoff for transient failures (timeouts, network errors, 5xx, invalid responses). */
export interface RetryOptions {
  /**
   * The bound of the first retry's wait, doubling per failure from the session's first one,
   * whether or not it was ever read. Each wait is random between half the bound and the bound: the
   * jitter spreads the clients of one outage, the floor keeps a run of small draws from retrying at
   * once. Defaults to `1000`.
   */
  baseDelayMs?: number | undefined;
  /** The bound never grows past this. Defaults to `300000` (5 minutes). */
  maxDelayMs?: number | undefined;
  /** A source of randomness in `[0, 1)`, for tests. Defaults to `Math.random`. */
  random?: (() => number) | undefined;
}

/** Options of `createUnreadStore`. */
export interface UnreadStoreOptions {
  /** Where counts come from: `crispRest(…)`, or a later source. Required. */
  source: UnreadSource;
  /**
   * The visitor's session: a `session_<uuid>` id, `null` for none yet, or an observable of either
   * (a session appearing starts a read at once; a change cancels the read in flight).
   * Defaults to the source's own `session$` (the chatbox source has one), else, in a page that runs
   * the Crisp chatbox (`window.$crisp` exists), the chatbox's session, else `null`.
   */
  sessionId?: string | null | Observable<string | null> | undefined;
  /** How often to read while subscribed. Defaults to `30000`. */
  pollIntervalMs?: number | undefined;
  /**
   * In browsers, make no requests while the document is hidden (and while offline), and read at
   * once on becoming visible or online when the count is older than the interval.
   * Uses `@tanstack/query-core`'s `focusManager` and `onlineManager`. Defaults to `true`.
   */
  pauseWhenHidden?: boolean | undefined;
  /**
   * Share one poller among the browser tabs of a site: per session, one tab reads (the leader,
   * elected with Web Locks, else by a heartbeat over `BroadcastChannel`) and sends every count and
   * error to the other tabs, which show the same state and make no requests. When the leader
   * closes, another tab takes over; a hidden leader hands over to a visible tab. `false` makes
   * every tab read for itself; outside browsers it does nothing.
   * Defaults to `true` in browsers that have `navigator.locks` or `BroadcastChannel`.
   */
  crossTab?: boolean | undefined;
  /** Backoff for transient failures, or `false` to wait a whole interval after one. Defaults to `{}`. */
  retry?: RetryOptions | false | undefined;
  /**
   * The cache. Pass the app's own client to share counts and in-flight reads with it.
   * Defaults to one client shared by every store of the page or process.
   */
  queryClient?: QueryClient | undefined;
  /**
   * How long the store keeps working after its last subscriber leaves, so that an immediate
   * re-subscribe (React StrictMode) costs nothing. Defaults to `1000`.
   */
  graceMs?: number | undefined;
  /**
   * How long an unused count stays in the query cache: its query's `gcTime`, which query-core
   * counts from when its last observer leaves (the longest `gcTime` among them wins). In Node that
   * timer keeps the process alive until it fires: a script that is done calls `dispose()`, which
   * frees the store's entries at once. Defaults to `300000` (5 minutes).
   */
  gcTimeMs?: number | undefined;
}

/** The store: a live count with a small, framework-free contract. */
export interface UnreadStore {
  /** The count, distinct values only. Subscribing starts the work; the last unsubscribe stops it. */
  readonly unreadCount$: Observable<number | null>;
  /** Every state, replaying the current one. Subscribing starts the work like `unreadCount$`. */
  readonly state$: Observable<UnreadState>;
  /** The current state; the same object until a field changes. */
  getSnapshot(): UnreadState;
  /**
   * Calls `listener` with the current state at once, then with every new state; starts the work
   * and returns the unsubscribe function. This is Svelte's store contract, so `$store` in a Svelte
   * component is the `UnreadState`. React's `useSyncExternalStore` and Vue adapters compare
   * snapshots, so the call at once renders nothing.
   */
  subscribe(listener: (state: UnreadState) => void): () => void;
  /**
   * Reads now, whatever the schedule, and resumes after a stop (401, 403, a gone session).
   * Resolves once that read is over; never rejects.
   */
  refresh(): Promise<void>;
  /**
   * Marks the visitor's messages as read through the source. The count shows 0 at once and rolls
   * back if the call fails (the promise then rejects with the `UnreadError`).
   */
  markAsRead(): Promise<void>;
  /** The query key of the current session's count, or `null` without a session. */
  readonly queryKey: readonly unknown[] | null;
  /** Stops all work for good, ends every subscription and frees the store's idle cache entries. */
  dispose(): void;
}
