import {
  focusManager,
  onlineManager,
  type Query,
  type QueryCacheNotifyEvent,
  type QueryClient,
  type QueryState,
} from '@tanstack/query-core';
import { Observable, type Subscriber, type Unsubscribable } from 'rxjs';
import { defaultRetry, type RetrySettings, retryDelay } from './backoff';
import { chatboxSession$ } from './crispChatbox';
import { joinCrossTab } from './crossTab';
import { getDefaultQueryClient, mapFor } from './defaultQueryClient';
import { isBrowser } from './environment';
import { isUnreadError, misconfigured, UnreadError } from './errors';
import { describeValue, isSessionId } from './ids';
import { unreadQueryKey } from './queryKey';
import { toReading } from './reading';
import { plan } from './schedule';
import type {
  RetryOptions,
  UnreadReading,
  UnreadSource,
  UnreadState,
  UnreadStore,
  UnreadStoreOptions,
} from './types';

// Size matters here (this file is in every bundle), so the store is written on `Observable` alone:
// each rxjs operator or Subject would bring its share of rxjs (and tslib) into every page. The plain
// listener sets and timers below do what `share`, `switchMap` and `retry` did, and are tested alike.

interface ResolvedOptions {
  source: UnreadSource;
  /** Subscribes to the session ids; returns the unsubscribe. */
  sessions: (next: (sessionId: unknown) => void, fail: (error: unknown) => void) => () => void;
  pollIntervalMs: number;
  pauseWhenHidden: boolean;
  crossTab: boolean;
  retry: RetrySettings | false;
  queryClient: QueryClient;
  graceMs: number;
  gcTimeMs: number;
}

/** One session's live part, while the store works on it. */
interface SessionWatch {
  readonly queryKey: readonly unknown[];
  refresh(): Promise<void>;
  markAsRead(): Promise<void>;
}

/** A count's cache data: what the store writes, or a plain count the app wrote (a fresh one). */
type CacheData = UnreadReading | number;

type Listener = Pick<Subscriber<UnreadState>, 'next'> & { complete?(): void };
type Teardown = () => void;

const idleState: UnreadState = Object.freeze({
  count: null,
  status: 'idle',
  error: null,
  sessionId: null,
  updatedAt: null,
  stale: false,
});

const noop = () => {};

/**
 * Creates a store holding one visitor's live unread count. Nothing happens until something
 * subscribes; then it reads at once, polls, backs off on failures, pauses while the page is
 * hidden, and stops again shortly after the last subscriber leaves.
 */
export function createUnreadStore(options: UnreadStoreOptions): UnreadStore {
  const config = resolveOptions(options);
  const { source, queryClient } = config;
  const listeners = new Set<Listener>();
  const touched = new Set<string>();
  let state = idleState;
  let watch: SessionWatch | null = null;
  let disposed = false;
  /** Stops the running engine; `undefined` while it rests. */
  let stopEngine: Teardown | undefined;
  let graceTimer: ReturnType<typeof setTimeout> | undefined;

  const emit = (next: UnreadState) => {
    state = next;
    for (const listener of [...listeners]) {
      if (state !== next) return; // a listener emitted a newer state, which everyone got
      if (listeners.has(listener)) listener.next(next);
    }
  };

  const setState = (patch: Partial<UnreadState>) => {
    const keys = Object.keys(patch) as (keyof UnreadState)[];
    if (!keys.every((key) => Object.is(state[key], patch[key])))
      emit(Object.freeze({ ...state, ...patch }));
  };

  const watchSession = (sessionId: string, cancelled: () => boolean): Teardown => {
    const queryKey = unreadQueryKey(source.scope, sessionId);
    const queryOptions = {
      queryKey,
      queryFn: ({ signal }: { signal: AbortSignal }) => readCount(source, sessionId, signal),
      retry: false,
      // The stores holding a count keep it alive (see `hold`); the cache never drops it under them.
      gcTime: Number.POSITIVE_INFINITY,
    } as const;
    const cache = queryClient.getQueryCache();
    /**
     * The count's cache entry, made ours: an entry the app created first (setQueryData, hydrate,
     * prefetch) has a finite gcTime and query-core's collection timer running, which would drop
     * it under the store. Raising gcTime to Infinity and re-arming query-core's timer stops that
     * (`scheduleGc` is protected in the typings only).
     */
    const own = () => {
      const built = cache.build<CacheData, UnreadError, CacheData, readonly unknown[]>(
        queryClient,
        queryOptions,
      );
      if (built.gcTime !== Number.POSITIVE_INFINITY) {
        built.setOptions(queryOptions);
        (built as unknown as { scheduleGc(): void }).scheduleGc();
      }
      return built;
    };
    let query = own();
    const queryHash = query.queryHash;
    touched.add(queryHash);
    const release = hold(queryClient, queryHash, config.gcTimeMs);
    let closed = false;
    let timeout: ReturnType<typeof setTimeout> | undefined;
    let failures = 0;
    let pushLive = false;
    let errorDelay: { at: number; ms: number } | undefined;
    let marking = 0;

    // One tab polls per key and broadcasts its reads: the others wait as if hidden until the lead
    // comes to them (crossTab.ts).
    const tabs =
      config.crossTab && !source.local
        ? joinCrossTab(queryClient, queryKey, queryHash, config.pollIntervalMs, () => update())
        : undefined;
    const isLeader = () => tabs?.isLeader() ?? true;
    const active = () =>
      marking === 0 &&
      isLeader() &&
      (!config.pauseWhenHidden || (focusManager.isFocused() && onlineManager.isOnline()));
    const fetchNow = () => query.fetch(queryOptions).then(noop, noop);

    // Pushes are opened by the tab that polls (the only one, without cross-tab): the others get
    // the counts it writes through the tabs' channel, so a visitor's tabs hold one stream.
    let leavePushes: Teardown | undefined;
    const syncPushes = () => {
      const wanted = source.watch !== undefined && isLeader();
      if (wanted && !leavePushes) {
        leavePushes = noop; // before joining: the first live value re-enters update()
        leavePushes = joinPushes(config, sessionId, queryKey, queryHash, (isLive) => {
          pushLive = isLive;
          update();
        });
      } else if (!wanted && leavePushes) {
        leavePushes();
        leavePushes = undefined;
        pushLive = false;
      }
    };

    // `update` notifies listeners (syncPushes, setState), and a listener may re-enter it, stop
    // this watch or dispose the store: after each notification, a newer run or a stop wins.
    let updates = 0;
    const update = () => {
      const run = ++updates;
      const superseded = () => closed || cancelled() || disposed || run !== updates;
      if (superseded()) return;
      syncPushes();
      if (superseded()) return;
      clearTimeout(timeout);
      timeout = undefined;
      const current: QueryState<CacheData, UnreadError> = query.state;
      setState(deriveState(sessionId, current));
      if (superseded()) return;
      if (
        current.status === 'error' &&
        current.error &&
        errorDelay?.at !== current.errorUpdatedAt
      ) {
        errorDelay = {
          at: current.errorUpdatedAt,
          ms: retryDelay(Math.max(1, failures), current.error, config.pollIntervalMs, config.retry),
        };
      }
      const next = plan({
        now: Date.now(),
        state: current,
        errorDelayMs: errorDelay?.ms,
        active: active() && !pushLive,
        pollIntervalMs: config.pollIntervalMs,
      });
      if (next.type === 'fetch') void fetchNow();
      else if (next.type === 'wait') timeout = setTimeout(update, next.ms);
    };

    const unsubscribeCache = cache.subscribe((event: QueryCacheNotifyEvent) => {
      if (event.query.queryHash !== queryHash) return;
      if (event.type === 'updated') {
        if (event.action.type === 'success') failures = 0;
        else if (event.action.type === 'error') failures += 1;
      } else if (event.type === 'removed') {
        // The app removed the entry (queryClient.clear(), removeQueries): start a fresh one.
        query = own();
      } else return;
      update();
    });
    const unsubscribeFocus = config.pauseWhenHidden ? focusManager.subscribe(update) : undefined;
    const unsubscribeOnline = config.pauseWhenHidden ? onlineManager.subscribe(update) : undefined;

    const self: SessionWatch = {
      queryKey,
      refresh: fetchNow,
      async markAsRead() {
        if (!source.markAsRead) {
          misconfigured(`the ${source.kind} source cannot mark messages as read.`);
        }
        marking += 1;
        try {
          await queryClient.cancelQueries({ queryKey, exact: true });
          const before = query.state;
          queryClient.setQueryData<UnreadReading>(queryKey, { count: 0, stale: false });
          try {
            await source.markAsRead(sessionId, { signal: new AbortController().signal });
          } catch (error) {
            if (before.data !== undefined && toReading(query.state.data)?.count === 0) {
              queryClient.setQueryData(queryKey, before.data, { updatedAt: before.dataUpdatedAt });
            }
            throw toUnreadError(error);
          }
        } finally {
          marking -= 1;
          update();
        }
      },
    };
    watch = self;
    update();

    return () => {
      closed = true;
      if (watch === self) watch = null;
      clearTimeout(timeout);
      tabs?.leave();
      unsubscribeFocus?.();
      unsubscribeOnline?.();
      leavePushes?.();
      unsubscribeCache();
      release();
      if (disposed) collect(queryClient, queryHash);
    };
  };

  /** Follows the session ids: one watch at a time, the previous one stopped first. */
  const startEngine = (): Teardown => {
    // A source that cannot run here (a server render of a page's store) leaves the store idle.
    if (source.available === false) return noop;
    const nothingYet = {};
    let shown: unknown = nothingYet;
    let stopWatch: Teardown | undefined;
    const show = (sessionId: unknown) => {
      if (Object.is(sessionId, shown)) return;
      shown = sessionId;
      stopWatch?.();
      stopWatch = undefined;
      if (sessionId === null) {
        setState({ ...idleState, status: 'no-session' });
      } else if (!isSessionId(sessionId)) {
        const error = new UnreadError(
          'misconfigured',
          `crisp-unread: the session id must be session_<uuid>, got ${describeValue(sessionId)}.`,
        );
        setState({ ...idleState, status: 'error', error });
      } else {
        let dropped = false;
        const drop = () => {
          dropped = true;
        };
        stopWatch = drop;
        const teardown = watchSession(sessionId, () => dropped);
        if (dropped) teardown();
        else if (stopWatch === drop) stopWatch = teardown;
      }
    };
    const fail = (error: unknown) => {
      stopWatch?.();
      stopWatch = undefined;
      setState({
        status: 'error',
        error: toUnreadError(error, 'misconfigured'),
        count: null,
        stale: false,
      });
    };
    const unsubscribe = config.sessions(show, fail);
    return () => {
      unsubscribe();
      stopWatch?.();
    };
  };

  const stop = () => {
    clearTimeout(graceTimer);
    graceTimer = undefined;
    const teardown = stopEngine;
    stopEngine = undefined;
    teardown?.();
  };

  /** Adds a listener and runs the engine while there is one, plus a grace delay after the last. */
  const connect = (listener: Listener): Teardown => {
    listeners.add(listener);
    clearTimeout(graceTimer);
    graceTimer = undefined;
    if (!stopEngine) {
      let stoppedWhileStarting = false;
      stopEngine = () => {
        stoppedWhileStarting = true;
      };
      let teardown: Teardown;
      try {
        teardown = startEngine();
      } catch (error) {
        stopEngine = undefined;
        listeners.delete(listener);
        throw error;
      }
      if (stoppedWhileStarting) teardown();
      else stopEngine = teardown;
    }
    return () => {
      if (!listeners.delete(listener) || listeners.size > 0) return;
      // A read answering during the grace delay lands in `state` for the next subscriber.
      if (config.graceMs > 0) graceTimer = setTimeout(stop, config.graceMs);
      else stop();
    };
  };

  const state$ = new Observable<UnreadState>((subscriber) => {
    if (disposed) return subscriber.complete();
    subscriber.next(state);
    return connect(subscriber);
  });

  const unreadCount$ = new Observable<number | null>((subscriber) => {
    let last: number | null | undefined;
    return state$.subscribe({
      next({ count }) {
        if (count === last) return;
        last = count;
        subscriber.next(count);
      },
      complete: () => subscriber.complete(),
    });
  });

  /** Keeps the engine running while `task` runs, so a call works with or without subscribers. */
  const whileRunning = async <T>(task: () => Promise<T> | undefined): Promise<T | undefined> => {
    const disconnect = connect({ next: noop });
    try {
      return await task();
    } finally {
      disconnect();
    }
  };

  return {
    unreadCount$,
    state$,
    getSnapshot: () => state,
    subscribe(listener) {
      let first = true;
      const subscription = state$.subscribe((next) => {
        if (first) first = false;
        else listener(next);
      });
      return () => subscription.unsubscribe();
    },
    async refresh() {
      if (!disposed) await whileRunning(() => watch?.refresh());
    },
    async markAsRead() {
      if (disposed) misconfigured('the store was disposed.');
      await whileRunning(() => watch?.markAsRead());
    },
    get queryKey() {
      return watch?.queryKey ?? null;
    },
    dispose() {
      if (disposed) return;
      disposed = true;
      stop();
      emit(idleState);
      const ended = [...listeners];
      listeners.clear();
      for (const listener of ended) listener.complete?.();
      for (const hash of touched) collect(queryClient, hash);
      touched.clear();
    },
  };
}

/** One count's holders in one client: the stores working on it, and its pending collection. */
interface Hold {
  count: number;
  /** The longest `gcTimeMs` of the stores that held it. */
  gcTimeMs: number;
  /** Cancels the pending collection: a timer, or a wait for the app's observers. */
  cancel: Teardown;
}

const holders = new WeakMap<QueryClient, Map<string, Hold>>();

/**
 * Keeps a count in the cache while a store works on it (its gcTime is Infinity, see `own`). The
 * last store letting go cancels the read in flight, as query-core does when its last observer
 * leaves, and the entry is dropped `gcTimeMs` after nobody uses it; `dispose()` drops it at once.
 */
function hold(client: QueryClient, queryHash: string, gcTimeMs: number): Teardown {
  const byHash = mapFor(holders, client);
  const entry = byHash.get(queryHash) ?? { count: 0, gcTimeMs, cancel: noop };
  byHash.set(queryHash, entry);
  entry.count += 1;
  entry.gcTimeMs = Math.max(entry.gcTimeMs, gcTimeMs);
  entry.cancel();
  let held = true;
  return () => {
    if (!held) return;
    held = false;
    if (--entry.count > 0) return;
    const query = client.getQueryCache().get(queryHash);
    if (query && query.state.fetchStatus !== 'idle' && query.getObserversCount() === 0)
      void query.cancel({ revert: true });
    collectLater(client, queryHash, entry);
  };
}

/** Whether the app still uses an entry: its own observers, or a read still settling. */
const inUse = (query: Query | undefined): query is Query =>
  query !== undefined && (query.getObserversCount() > 0 || query.state.fetchStatus !== 'idle');

/**
 * Drops the entry `gcTimeMs` after nobody uses it. While the app does, it waits for the cache to
 * say the last observer (or the read) is gone, and counts from there.
 */
function collectLater(client: QueryClient, queryHash: string, entry: Hold): void {
  entry.cancel();
  const cache = client.getQueryCache();
  const query = cache.get(queryHash);
  if (inUse(query)) {
    entry.cancel = cache.subscribe((event) => {
      if (event.query !== query) return;
      if (event.type === 'removed') {
        // The app removed it itself: nothing left to collect.
        entry.cancel();
        if (holders.get(client)?.get(queryHash) === entry) holders.get(client)?.delete(queryHash);
      } else if (!inUse(query)) collectLater(client, queryHash, entry);
    });
  } else if (entry.gcTimeMs !== Number.POSITIVE_INFINITY) {
    const timer = setTimeout(() => collect(client, queryHash), entry.gcTimeMs);
    // In Node, collecting a cache entry is no reason to keep the process alive.
    (timer as { unref?: () => void }).unref?.();
    entry.cancel = () => clearTimeout(timer);
  }
}

/** Drops an entry no store holds, now if the app does not use it either, else later. */
function collect(client: QueryClient, queryHash: string): void {
  const byHash = holders.get(client);
  const entry = byHash?.get(queryHash);
  if (!byHash || !entry || entry.count > 0) return;
  const cache = client.getQueryCache();
  const query = cache.get(queryHash);
  if (inUse(query)) {
    collectLater(client, queryHash, entry);
    return;
  }
  entry.cancel();
  byHash.delete(queryHash);
  if (query) cache.remove(query);
}

interface PushHub {
  live: boolean;
  readonly listeners: Set<(live: boolean) => void>;
  close: Teardown;
}

const pushHubs = new WeakMap<QueryClient, Map<string, PushHub>>();

/** One push stream per session and client, however many stores watch it. Returns the leave. */
function joinPushes(
  config: ResolvedOptions,
  sessionId: string,
  queryKey: readonly unknown[],
  queryHash: string,
  onLive: (live: boolean) => void,
): Teardown {
  const registry = mapFor(pushHubs, config.queryClient);
  let hub = registry.get(queryHash);
  if (!hub) {
    const created: PushHub = { live: false, listeners: new Set(), close: noop };
    registry.set(queryHash, created);
    created.close = openPushes(config, sessionId, queryKey, (live) => {
      if (created.live === live) return;
      created.live = live;
      for (const listener of [...created.listeners]) listener(live);
    });
    hub = created;
  }
  const joined = hub;
  joined.listeners.add(onLive);
  if (joined.live) onLive(true);
  return () => {
    if (!joined.listeners.delete(onLive) || joined.listeners.size > 0) return;
    if (registry.get(queryHash) === joined) registry.delete(queryHash);
    joined.close();
  };
}

/**
 * Writes a source's pushed counts into the cache as fresh reads, and tells whether the stream is
 * live (it has delivered a count and has not failed since): while it is, the store does not poll.
 * A stream that fails is re-opened with backoff, one that ends after an interval, and polling
 * covers the gap.
 */
function openPushes(
  config: ResolvedOptions,
  sessionId: string,
  queryKey: readonly unknown[],
  setLive: (live: boolean) => void,
): Teardown {
  const { source, pollIntervalMs } = config;
  let failures = 0;
  let closed = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopConnection: Teardown = noop;

  const connect = () => {
    const controller = new AbortController();
    let done = false;
    let subscription: Unsubscribable | undefined;
    const end = (error: unknown, delayMs?: number) => {
      if (done) return;
      done = true;
      subscription?.unsubscribe();
      controller.abort();
      setLive(false);
      if (!closed) {
        timer = setTimeout(
          connect,
          delayMs ?? retryDelay(++failures, toUnreadError(error), pollIntervalMs, config.retry),
        );
      }
    };
    stopConnection = () => end(undefined, 0);
    try {
      subscription = source.watch!(sessionId, { signal: controller.signal }).subscribe({
        next(value) {
          if (done) return;
          const reading = toReading(value);
          if (!reading) {
            return end(
              new UnreadError('invalid-response', `The ${source.kind} source pushed ${notACount}.`),
            );
          }
          failures = 0;
          config.queryClient.setQueryData<UnreadReading>(queryKey, reading);
          setLive(true);
        },
        error: (error: unknown) => end(error),
        complete: () => end(undefined, pollIntervalMs),
      });
    } catch (error) {
      end(error);
    }
    if (done) subscription?.unsubscribe();
  };

  connect();
  return () => {
    closed = true;
    clearTimeout(timer);
    stopConnection();
  };
}

const notACount = 'a count that is not a non-negative integer';

async function readCount(
  source: UnreadSource,
  sessionId: string,
  signal: AbortSignal,
): Promise<UnreadReading> {
  let value: unknown;
  try {
    value = await source.read(sessionId, { signal });
  } catch (error) {
    throw toUnreadError(error);
  }
  const reading = toReading(value);
  if (!reading) {
    throw new UnreadError('invalid-response', `The ${source.kind} source gave ${notACount}.`);
  }
  return reading;
}

function toUnreadError(
  error: unknown,
  code: UnreadError['code'] = 'invalid-response',
): UnreadError {
  if (isUnreadError(error)) return error;
  return new UnreadError(
    code,
    `crisp-unread: the source failed: ${error instanceof Error ? error.message : 'unknown error'}.`,
    { cause: error },
  );
}

function deriveState(
  sessionId: string,
  query: QueryState<CacheData, UnreadError>,
): Partial<UnreadState> {
  const updatedAt = query.dataUpdatedAt > 0 ? query.dataUpdatedAt : null;
  const reading = toReading(query.data);
  const error = query.status === 'error' ? query.error : null;
  if (error) {
    const gone = error.code === 'session-not-found';
    return {
      sessionId,
      count: gone ? null : (reading?.count ?? null),
      status: gone ? 'no-session' : 'error',
      error,
      updatedAt,
      stale: !gone && !!reading?.stale,
    };
  }
  if (query.status === 'success') {
    return { sessionId, count: query.data ?? null, status: 'ready', error: null, updatedAt };
  }
  return { ...idleState, sessionId, status: 'loading' };
}

function resolveOptions(options: UnreadStoreOptions): ResolvedOptions {
  if (typeof options !== 'object' || options === null)
    misconfigured('createUnreadStore() needs an options object.');
  const {
    source,
    sessionId,
    pollIntervalMs = 30_000,
    pauseWhenHidden = true,
    crossTab = true,
    retry = {},
    queryClient = getDefaultQueryClient(),
    graceMs = 1000,
    gcTimeMs = 300_000,
  } = options;
  if (
    typeof source?.read !== 'function' ||
    typeof source.scope !== 'string' ||
    typeof source.kind !== 'string'
  ) {
    misconfigured('`source` must be a source such as crispRest({ websiteId, identifier, key }).');
  }
  const milliseconds = (name: string, value: unknown, min = 0, infinite = false) => {
    if (!((isDuration(value) && value >= min) || (infinite && value === Number.POSITIVE_INFINITY)))
      misconfigured(
        `\`${name}\` must be a number of milliseconds${min ? ` of at least ${min}` : ''}${infinite ? ' or Infinity' : ''}, got ${describeValue(value)}.`,
      );
  };
  milliseconds('pollIntervalMs', pollIntervalMs, 100);
  milliseconds('graceMs', graceMs);
  milliseconds('gcTimeMs', gcTimeMs, 0, true);
  if (typeof pauseWhenHidden !== 'boolean') misconfigured('`pauseWhenHidden` must be a boolean.');
  if (typeof crossTab !== 'boolean') misconfigured('`crossTab` must be a boolean.');
  if (typeof queryClient?.getQueryCache !== 'function') {
    misconfigured('`queryClient` must be a QueryClient from @tanstack/query-core.');
  }
  return {
    source,
    sessions: sessionId === undefined ? defaultSessions(source) : toSessions(sessionId),
    pollIntervalMs,
    pauseWhenHidden,
    crossTab,
    retry: resolveRetry(retry),
    queryClient,
    graceMs,
    gcTimeMs,
  };
}

function resolveRetry(retry: RetryOptions | false): RetrySettings | false {
  if (retry === false) return false;
  if (typeof retry !== 'object' || retry === null)
    misconfigured('`retry` must be backoff settings or false.');
  // An option given as `undefined` (an unset environment value) takes its default.
  const merged = {
    baseDelayMs: retry.baseDelayMs ?? defaultRetry.baseDelayMs,
    maxDelayMs: retry.maxDelayMs ?? defaultRetry.maxDelayMs,
    random: retry.random ?? defaultRetry.random,
  };
  if (
    !isDuration(merged.baseDelayMs) ||
    !isDuration(merged.maxDelayMs) ||
    merged.maxDelayMs < merged.baseDelayMs
  ) {
    misconfigured(
      '`retry.baseDelayMs` and `retry.maxDelayMs` must be milliseconds with baseDelayMs <= maxDelayMs.',
    );
  }
  if (typeof merged.random !== 'function') misconfigured('`retry.random` must be a function.');
  return merged;
}

type Sessions = ResolvedOptions['sessions'];

/** The source's own session, else the chatbox's where a page runs it, else none. */
function defaultSessions(source: UnreadSource): Sessions {
  if (source.session$) return toSessions(source.session$);
  return (next, fail) => {
    if (isBrowser() && (globalThis as { $crisp?: unknown }).$crisp !== undefined)
      return toSessions(chatboxSession$())(next, fail);
    next(null);
    return noop;
  };
}

interface Subscribable {
  subscribe(observer: { next(value: unknown): void; error(error: unknown): void }): Unsubscribable;
}

/** A fixed id or `null`, an rxjs observable, or any interop observable (`Symbol.observable`). */
function toSessions(sessionId: UnreadStoreOptions['sessionId']): Sessions {
  if (sessionId === null || typeof sessionId === 'string') {
    return (next) => {
      next(sessionId);
      return noop;
    };
  }
  const interop = (sessionId as { [key: symbol | string]: unknown } | undefined)?.[
    (Symbol as { observable?: symbol }).observable ?? '@@observable'
  ];
  const target = (typeof interop === 'function' ? interop.call(sessionId) : sessionId) as
    | Subscribable
    | undefined;
  if (typeof target?.subscribe !== 'function') {
    misconfigured(
      `\`sessionId\` must be a session id, null, or an observable of either, got ${describeValue(sessionId)}.`,
    );
  }
  return (next, error) => {
    try {
      const subscription = target.subscribe({ next, error });
      return () => subscription.unsubscribe();
    } catch (thrown) {
      error(thrown);
      return noop;
    }
  };
}

function isDuration(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0;
}
