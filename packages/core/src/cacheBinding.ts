import {
  type Query,
  type QueryClient,
  QueryObserver,
  type QueryObserverOptions,
  type QueryState,
} from '@tanstack/query-core';
import { Observable } from 'rxjs';
import type { RetrySettings } from './backoff';
import type { UnreadError } from './errors';
import { failureRun } from './failureRun';
import { unreadQueryKey } from './queryKey';
import { readCount } from './reading';
import type { CountView } from './schedule';
import type { UnreadReading, UnreadSource } from './types';

export type CountState = QueryState<unknown, UnreadError>;

/** One session's count in the query cache, as one store works on it. */
export interface CountBinding {
  readonly queryKey: readonly unknown[];
  /**
   * The entry's state and failure run now and on every change. After the app removes the entry
   * (`clear()`, `removeQueries`), those of the fresh one the store reads into.
   */
  readonly state$: Observable<CountView>;
  /** Reads now, joining a read in flight. Never rejects. */
  fetch(): Promise<void>;
  /**
   * Tells query-core whether it may read by itself: on mount, on the app's invalidation, on
   * becoming enabled while the count is stale. Never while the entry's failure run lasts (even
   * while a retry has put it back to `pending`): retrying a failure is the store's schedule
   * (backoff, `Retry-After`, no retry after a refused key).
   */
  setEnabled(enabled: boolean): void;
}

export interface BindingOptions {
  client: QueryClient;
  source: UnreadSource;
  sessionId: string;
  gcTimeMs: number;
  pollIntervalMs: number;
  retry: RetrySettings | false;
}

/**
 * Binds a store to one session's cache entry through a `QueryObserver`: while the store works,
 * the entry is active to query-core, which dedupes reads in flight, refetches it when the app
 * invalidates it, cancels the read when the last observer leaves and collects it `gcTime` after.
 */
export function bindCount(options: BindingOptions): CountBinding {
  const { client, source, sessionId } = options;
  const queryKey = unreadQueryKey(source.scope, sessionId);
  const observerOptions: QueryObserverOptions<UnreadReading, UnreadError> = {
    queryKey,
    queryFn: ({ signal }) => readCount(source, sessionId, signal),
    // Failures are the store's to schedule (backoff, Retry-After, halts), and they show at once.
    retry: false,
    gcTime: options.gcTimeMs,
    staleTime: options.pollIntervalMs,
    enabled: false,
  };
  const runOf = (query: Query<UnreadReading, UnreadError, UnreadReading, readonly unknown[]>) =>
    failureRun(query, options.pollIntervalMs, options.retry);
  const healthy: QueryObserverOptions<UnreadReading, UnreadError>['enabled'] = (query) =>
    query.state.status !== 'error' && runOf(query).failures === 0;
  const observer = new QueryObserver(client, observerOptions);

  const state$ = new Observable<CountView>((subscriber) => {
    const emit = () => {
      const query = observer.getCurrentQuery();
      subscriber.next({ state: query.state, run: runOf(query) });
    };
    // The cache's events rather than the observer's results: they also tell when the app removed
    // the entry, and they carry every change the schedule plans from.
    const stopCache = client.getQueryCache().subscribe((event) => {
      if (event.query !== observer.getCurrentQuery()) return;
      if (event.type === 'removed') {
        // Setting the options again builds a fresh entry and moves the observer onto it.
        observer.setOptions(observer.options);
        emit();
      } else if (event.type === 'updated') emit();
    });
    const stopObserver = observer.subscribe(() => {});
    emit();
    return () => {
      stopCache();
      stopObserver();
    };
  });

  return {
    queryKey,
    state$,
    fetch: () => observer.refetch({ cancelRefetch: false }).then(() => {}),
    setEnabled(enabled) {
      observer.setOptions({ ...observerOptions, enabled: enabled && healthy });
    },
  };
}
