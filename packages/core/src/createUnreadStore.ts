import {
  focusManager,
  onlineManager,
  type QueryCacheNotifyEvent,
  type QueryClient,
  QueryObserver,
  type QueryState,
} from '@tanstack/query-core';
import {
  BehaviorSubject,
  defer,
  distinctUntilChanged,
  finalize,
  from,
  ignoreElements,
  isObservable,
  map,
  merge,
  type Observable,
  of,
  ReplaySubject,
  Observable as RxObservable,
  repeat,
  retry,
  Subject,
  Subscription,
  share,
  skip,
  switchMap,
  takeUntil,
  tap,
  timer,
} from 'rxjs';
import { defaultRetry, retryDelay } from './backoff';
import { chatboxSession$ } from './crispChatbox';
import { joinCrossTab } from './crossTab';
import { getDefaultQueryClient } from './defaultQueryClient';
import { isBrowser } from './environment';
import { isUnreadError, misconfigured, UnreadError } from './errors';
import { describeValue, isSessionId } from './ids';
import { unreadQueryKey } from './queryKey';
import { plan } from './schedule';
import type {
  RetryOptions,
  UnreadSource,
  UnreadState,
  UnreadStore,
  UnreadStoreOptions,
} from './types';

interface ResolvedOptions {
  source: UnreadSource;
  session$: Observable<string | null>;
  pollIntervalMs: number;
  pauseWhenHidden: boolean;
  crossTab: boolean;
  retry: Required<RetryOptions> | false;
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

const idleState: UnreadState = Object.freeze({
  count: null,
  status: 'idle',
  error: null,
  sessionId: null,
  updatedAt: null,
});

/**
 * Creates a store holding one visitor's live unread count. Nothing happens until something
 * subscribes; then it reads at once, polls, backs off on failures, pauses while the page is
 * hidden, and stops again shortly after the last subscriber leaves.
 */
export function createUnreadStore(options: UnreadStoreOptions): UnreadStore {
  const config = resolveOptions(options);
  const { source, queryClient } = config;
  const state = new BehaviorSubject<UnreadState>(idleState);
  const dispose$ = new Subject<void>();
  const touched = new Set<string>();
  let watch: SessionWatch | null = null;
  let disposed = false;

  const setState = (patch: Partial<UnreadState>) => {
    const current = state.getValue();
    const keys = Object.keys(patch) as (keyof UnreadState)[];
    if (keys.every((key) => Object.is(current[key], patch[key]))) return;
    state.next(Object.freeze({ ...current, ...patch }));
  };

  const watchSession = (sessionId: string) =>
    new RxObservable<Partial<UnreadState>>((subscriber) => {
      const queryKey = unreadQueryKey(source.scope, sessionId);
      const observer = new QueryObserver<number, UnreadError, number, number, readonly unknown[]>(
        queryClient,
        {
          queryKey,
          queryFn: ({ signal }) => readCount(source, sessionId, signal),
          enabled: false,
          retry: false,
          gcTime: config.gcTimeMs,
        },
      );
      const queryHash = observer.getCurrentQuery().queryHash;
      touched.add(queryHash);
      let timeout: ReturnType<typeof setTimeout> | undefined;
      let failures = 0;
      let pushLive = false;
      let errorDelay: { at: number; ms: number } | undefined;

      const queryState = (): QueryState<number, UnreadError> => observer.getCurrentQuery().state;
      // One tab polls per key and broadcasts its reads: the others wait as if hidden until the lead
      // comes to them (crossTab.ts).
      const tabs =
        config.crossTab && !source.local
          ? joinCrossTab(queryClient, queryKey, queryHash, config.pollIntervalMs, () => update())
          : undefined;
      const active = () =>
        (tabs?.isLeader() ?? true) &&
        (!config.pauseWhenHidden || (focusManager.isFocused() && onlineManager.isOnline()));
      const fetchNow = () => observer.refetch({ cancelRefetch: false }).then(() => undefined);

      // Pushes are opened by the tab that polls (the only one, without cross-tab): the others get
      // the counts it writes through the tabs' channel, so a visitor's tabs hold one stream.
      let pushes: Subscription | undefined;
      const syncPushes = () => {
        const wanted = source.watch !== undefined && (tabs?.isLeader() ?? true);
        if (wanted && !pushes) {
          const subscription = new Subscription();
          pushes = subscription; // before subscribing: the first live value re-enters update()
          subscription.add(
            sharedPushes(queryClient, queryHash, () =>
              pushCounts(source, sessionId, queryKey, config),
            ).subscribe((isLive) => {
              pushLive = isLive;
              update();
            }),
          );
        } else if (!wanted && pushes) {
          pushes.unsubscribe();
          pushes = undefined;
          pushLive = false;
        }
      };

      const update = () => {
        if (subscriber.closed) return;
        syncPushes();
        clearTimeout(timeout);
        timeout = undefined;
        const current = queryState();
        subscriber.next(deriveState(sessionId, current));
        if (
          current.status === 'error' &&
          current.error &&
          errorDelay?.at !== current.errorUpdatedAt
        ) {
          errorDelay = {
            at: current.errorUpdatedAt,
            ms: retryDelay(
              Math.max(1, failures),
              current.error,
              config.pollIntervalMs,
              config.retry,
            ),
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

      const onCacheEvent = (event: QueryCacheNotifyEvent) => {
        if (event.query.queryHash !== queryHash) return;
        if (event.type === 'updated') {
          if (event.action.type === 'success') failures = 0;
          else if (event.action.type === 'error') failures += 1;
        }
        // The app removed the entry (queryClient.clear(), removeQueries): bind to a fresh one.
        if (event.type === 'removed') observer.setOptions(observer.options);
        if (event.type === 'updated' || event.type === 'removed') update();
      };

      const unsubscribeCache = queryClient.getQueryCache().subscribe(onCacheEvent);
      const unsubscribeObserver = observer.subscribe(() => {});
      const unsubscribeFocus = config.pauseWhenHidden ? focusManager.subscribe(update) : undefined;
      const unsubscribeOnline = config.pauseWhenHidden
        ? onlineManager.subscribe(update)
        : undefined;

      const self: SessionWatch = {
        queryKey,
        refresh: fetchNow,
        async markAsRead() {
          if (!source.markAsRead) {
            throw new UnreadError(
              'misconfigured',
              `crisp-unread: the ${source.kind} source cannot mark messages as read.`,
            );
          }
          await queryClient.cancelQueries({ queryKey, exact: true });
          const before = queryState();
          queryClient.setQueryData(queryKey, 0);
          try {
            await source.markAsRead(sessionId, { signal: new AbortController().signal });
          } catch (error) {
            if (before.data !== undefined && queryState().data === 0) {
              queryClient.setQueryData(queryKey, before.data, { updatedAt: before.dataUpdatedAt });
            }
            throw toUnreadError(error);
          }
        },
      };
      watch = self;
      update();

      return () => {
        if (watch === self) watch = null;
        clearTimeout(timeout);
        tabs?.leave();
        unsubscribeFocus?.();
        unsubscribeOnline?.();
        pushes?.unsubscribe();
        unsubscribeCache();
        unsubscribeObserver();
      };
    });

  const engine$ = config.session$.pipe(
    switchMap((sessionId): Observable<Partial<UnreadState>> => {
      if (sessionId === null) {
        return of({
          count: null,
          status: 'no-session',
          error: null,
          sessionId: null,
          updatedAt: null,
        });
      }
      if (!isSessionId(sessionId)) {
        const error = new UnreadError(
          'misconfigured',
          `crisp-unread: the session id must be session_<uuid>, got ${describeValue(sessionId)}.`,
        );
        return of({ count: null, status: 'error', error, sessionId: null, updatedAt: null });
      }
      return watchSession(sessionId);
    }),
    takeUntil(dispose$),
    // State is written here, before `share`, so that what the engine sees during the grace delay
    // (a read answering after the last unsubscribe) is there for the next subscriber.
    tap({
      next: setState,
      error: (error: unknown) =>
        setState({ status: 'error', error: toUnreadError(error, 'misconfigured'), count: null }),
    }),
    share({
      resetOnRefCountZero: config.graceMs > 0 ? () => timer(config.graceMs) : true,
      // A completed engine (disposed, or a finished session stream) has nothing left to do; with
      // the default reset, rxjs would also start a pointless grace timer on the way out.
      resetOnComplete: false,
    }),
  );

  const state$ = new RxObservable<UnreadState>((subscriber) => {
    if (disposed) {
      subscriber.complete();
      return;
    }
    const stateSubscription = state.subscribe(subscriber);
    const engineSubscription = engine$.subscribe({ error: () => {} });
    return () => {
      engineSubscription.unsubscribe();
      stateSubscription.unsubscribe();
    };
  });

  const unreadCount$ = state$.pipe(
    map((current) => current.count),
    distinctUntilChanged(),
  );

  /** Keeps the engine running while `task` runs, so a call works with or without subscribers. */
  const whileRunning = async <T>(task: () => Promise<T> | T): Promise<T> => {
    const subscription = state$.subscribe();
    try {
      return await task();
    } finally {
      subscription.unsubscribe();
    }
  };

  return {
    unreadCount$,
    state$,
    getSnapshot: () => state.getValue(),
    subscribe(listener) {
      const subscription = state$.pipe(skip(1)).subscribe(listener);
      return () => subscription.unsubscribe();
    },
    refresh() {
      if (disposed) return Promise.resolve();
      return whileRunning(() => watch?.refresh());
    },
    markAsRead() {
      if (disposed)
        return Promise.reject(
          new UnreadError('misconfigured', 'crisp-unread: the store was disposed.'),
        );
      return whileRunning(() => watch?.markAsRead());
    },
    get queryKey() {
      return watch?.queryKey ?? null;
    },
    dispose() {
      if (disposed) return;
      disposed = true;
      dispose$.next();
      dispose$.complete();
      state.next(idleState);
      state.complete();
      const cache = queryClient.getQueryCache();
      for (const hash of touched) {
        const query = cache.get(hash);
        if (query && query.getObserversCount() === 0 && query.state.fetchStatus === 'idle')
          cache.remove(query);
      }
      touched.clear();
    },
  };
}

const pushRegistry = new WeakMap<QueryClient, Map<string, Observable<boolean>>>();

/** One push stream per session and client, however many stores watch it. */
function sharedPushes(
  client: QueryClient,
  queryHash: string,
  create: () => Observable<boolean>,
): Observable<boolean> {
  let streams = pushRegistry.get(client);
  if (!streams) {
    streams = new Map();
    pushRegistry.set(client, streams);
  }
  let stream = streams.get(queryHash);
  if (!stream) {
    const registry = streams;
    stream = create().pipe(
      finalize(() => registry.delete(queryHash)),
      share({ connector: () => new ReplaySubject<boolean>(1) }),
    );
    streams.set(queryHash, stream);
  }
  return stream;
}

/**
 * Writes a source's pushed counts into the cache as fresh reads, and tells whether the stream is
 * live (it has delivered a count and has not failed since): while it is, the store does not poll.
 * A stream that fails or ends is re-opened with backoff, and polling covers the gap.
 */
function pushCounts(
  source: UnreadSource,
  sessionId: string,
  queryKey: readonly unknown[],
  config: ResolvedOptions,
): Observable<boolean> {
  const watch = source.watch!;
  const live = new BehaviorSubject(false);
  const reopen = (attempt: number, error: UnreadError) =>
    timer(retryDelay(attempt, error, config.pollIntervalMs, config.retry));
  const connection = defer(() => {
    const controller = new AbortController();
    return watch.call(source, sessionId, { signal: controller.signal }).pipe(
      map((count) => {
        if (typeof count !== 'number' || !Number.isInteger(count) || count < 0) {
          throw new UnreadError(
            'invalid-response',
            `The ${source.kind} source pushed a count that is not a non-negative integer.`,
          );
        }
        return count;
      }),
      finalize(() => controller.abort()),
    );
  }).pipe(
    tap({
      next: (count) => {
        config.queryClient.setQueryData(queryKey, count);
        live.next(true);
      },
      error: () => live.next(false),
      complete: () => live.next(false),
    }),
    repeat({ delay: () => timer(config.pollIntervalMs) }),
    retry({
      delay: (error: unknown, attempt) => reopen(attempt, toUnreadError(error)),
      resetOnSuccess: true,
    }),
    ignoreElements(),
  );
  return merge(live, connection).pipe(distinctUntilChanged());
}

async function readCount(
  source: UnreadSource,
  sessionId: string,
  signal: AbortSignal,
): Promise<number> {
  let count: unknown;
  try {
    count = await source.read(sessionId, { signal });
  } catch (error) {
    throw toUnreadError(error);
  }
  if (typeof count !== 'number' || !Number.isInteger(count) || count < 0) {
    throw new UnreadError(
      'invalid-response',
      `The ${source.kind} source gave a count that is not a non-negative integer.`,
    );
  }
  return count;
}

function toUnreadError(
  error: unknown,
  code: UnreadError['code'] = 'invalid-response',
): UnreadError {
  if (isUnreadError(error)) return error;
  return new UnreadError(
    code,
    `crisp-unread: the source failed: ${error instanceof Error ? error.message : 'unknown error'}.`,
    {
      cause: error,
    },
  );
}

function deriveState(
  sessionId: string,
  query: QueryState<number, UnreadError>,
): Partial<UnreadState> {
  const updatedAt = query.dataUpdatedAt > 0 ? query.dataUpdatedAt : null;
  if (query.status === 'error' && query.error) {
    if (query.error.code === 'session-not-found') {
      return { sessionId, count: null, status: 'no-session', error: query.error, updatedAt };
    }
    return { sessionId, count: query.data ?? null, status: 'error', error: query.error, updatedAt };
  }
  if (query.status === 'success') {
    return { sessionId, count: query.data, status: 'ready', error: null, updatedAt };
  }
  return { sessionId, count: null, status: 'loading', error: null, updatedAt: null };
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
    typeof source !== 'object' ||
    source === null ||
    typeof source.read !== 'function' ||
    typeof source.scope !== 'string' ||
    typeof source.kind !== 'string'
  ) {
    misconfigured('`source` must be a source such as crispRest({ websiteId, identifier, key }).');
  }
  if (!isDuration(pollIntervalMs) || pollIntervalMs < 100) {
    misconfigured(
      `\`pollIntervalMs\` must be a number of milliseconds of at least 100, got ${describeValue(pollIntervalMs)}.`,
    );
  }
  if (typeof pauseWhenHidden !== 'boolean') misconfigured('`pauseWhenHidden` must be a boolean.');
  if (typeof crossTab !== 'boolean') misconfigured('`crossTab` must be a boolean.');
  if (!isDuration(graceMs))
    misconfigured(`\`graceMs\` must be a number of milliseconds, got ${describeValue(graceMs)}.`);
  if (!(isDuration(gcTimeMs) || gcTimeMs === Number.POSITIVE_INFINITY)) {
    misconfigured(
      `\`gcTimeMs\` must be a number of milliseconds or Infinity, got ${describeValue(gcTimeMs)}.`,
    );
  }
  if (
    typeof queryClient !== 'object' ||
    queryClient === null ||
    typeof queryClient.getQueryCache !== 'function'
  ) {
    misconfigured('`queryClient` must be a QueryClient from @tanstack/query-core.');
  }
  return {
    source,
    session$: sessionId === undefined ? defaultSession$(source) : toSession$(sessionId),
    pollIntervalMs,
    pauseWhenHidden,
    crossTab,
    retry: resolveRetry(retry),
    queryClient,
    graceMs,
    gcTimeMs,
  };
}

function resolveRetry(retry: RetryOptions | false): Required<RetryOptions> | false {
  if (retry === false) return false;
  if (typeof retry !== 'object' || retry === null)
    misconfigured('`retry` must be backoff settings or false.');
  const merged = { ...defaultRetry, ...retry };
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

/** The source's own session, else the chatbox's where a page runs it, else none. */
function defaultSession$(source: UnreadSource): Observable<string | null> {
  if (source.session$) return source.session$.pipe(distinctUntilChanged());
  return defer(() =>
    isBrowser() && (globalThis as { $crisp?: unknown }).$crisp !== undefined
      ? chatboxSession$()
      : of(null),
  );
}

function toSession$(sessionId: UnreadStoreOptions['sessionId']): Observable<string | null> {
  if (sessionId === null || typeof sessionId === 'string') return of(sessionId);
  if (isObservable(sessionId))
    return (sessionId as Observable<string | null>).pipe(distinctUntilChanged());
  if (
    typeof sessionId === 'object' &&
    typeof (sessionId as { subscribe?: unknown }).subscribe === 'function'
  ) {
    return from(sessionId as Observable<string | null>).pipe(distinctUntilChanged());
  }
  return misconfigured(
    `\`sessionId\` must be a session id, null, or an observable of either, got ${describeValue(sessionId)}.`,
  );
}

function isDuration(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0;
}
