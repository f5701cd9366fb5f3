import type { QueryClient } from '@tanstack/query-core';
import {
  catchError,
  concat,
  defer,
  distinctUntilChanged,
  endWith,
  finalize,
  first,
  map,
  type Observable,
  of,
  ReplaySubject,
  repeat,
  retry,
  share,
  startWith,
  switchMap,
  throwError,
  timer,
} from 'rxjs';
import { type RetrySettings, retryDelay } from './backoff';
import { mapFor } from './defaultQueryClient';
import { UnreadError } from './errors';
import { entryRun$, halts } from './failureRun';
import { notACount, toReading, toUnreadError } from './reading';
import type { UnreadSource } from './types';

export interface PushOptions {
  client: QueryClient;
  source: UnreadSource;
  sessionId: string;
  queryKey: readonly unknown[];
  queryHash: string;
  pollIntervalMs: number;
  retry: RetrySettings | false;
}

const streams = /* @__PURE__ */ new WeakMap<QueryClient, Map<string, Observable<boolean>>>();

/**
 * One push stream per session and client, however many stores watch it. It writes each pushed
 * count into the cache as a fresh read and emits whether it is live (it has delivered a count and
 * has not failed since): while it is, the stores do not poll.
 */
export function pushLive$(options: PushOptions): Observable<boolean> {
  const registry = mapFor(streams, options.client);
  let live = registry.get(options.queryHash);
  if (!live) {
    live = openPushes(options).pipe(
      finalize(() => registry.delete(options.queryHash)),
      // A store joining a live stream learns at once that it need not poll.
      share({ connector: () => new ReplaySubject<boolean>(1), resetOnRefCountZero: true }),
    );
    registry.set(options.queryHash, live);
  }
  return live;
}

/**
 * The one reconnect policy of push streams (sources make one connection per `watch`): a failed
 * stream is re-opened on the source's `reconnect` backoff, else the store's `retry` one, an ended
 * one after a poll interval; polling covers the gap either way. The session keeps one failure
 * schedule: while its reads fail, the stream waits for a good read (the reads back off meanwhile)
 * rather than knock on its own, and a stream refused for good (a bad setup, refused credentials,
 * a gone session) waits for a good read, which only `refresh()` brings once the reads stop too.
 */
function openPushes(options: PushOptions): Observable<boolean> {
  const { source, sessionId, client, queryKey } = options;
  let failures = 0;
  const connection$ = defer(() => {
    const controller = new AbortController();
    return source.watch!(sessionId, { signal: controller.signal }).pipe(
      finalize(() => controller.abort()),
    );
  });
  return connection$.pipe(
    map((pushed) => {
      const reading = toReading(pushed);
      if (!reading)
        throw new UnreadError('invalid-response', `The ${source.kind} source pushed ${notACount}.`);
      failures = 0;
      client.setQueryData(queryKey, reading);
      return true;
    }),
    // The stream is no longer live the moment it ends or fails: the stores poll meanwhile.
    endWith(false),
    catchError((error: unknown) =>
      concat(
        of(false),
        throwError(() => error),
      ),
    ),
    // Failures are counted here, not by `retry` (its `resetOnSuccess` would count that `false` as
    // a success): a stream that delivered a count starts its backoff anew.
    retry({ delay: (error: unknown) => reopenAfter(toUnreadError(error), ++failures, options) }),
    repeat({ delay: () => timer(options.pollIntervalMs) }),
    startWith(false),
    distinctUntilChanged(),
  );
}

/** When a failed stream may be re-opened (see `openPushes`). */
function reopenAfter(
  error: UnreadError,
  failures: number,
  options: PushOptions,
): Observable<unknown> {
  const { client, queryHash, pollIntervalMs, retry } = options;
  const cache = client.getQueryCache();
  const runs$ = entryRun$(client, queryHash, pollIntervalMs, retry);
  if (halts(error)) {
    // A good read since the refusal: of this entry, or of a new one the app's removal made.
    const before = cache.get(queryHash);
    const since = before?.state.dataUpdateCount ?? 0;
    return runs$.pipe(
      first(() => {
        const entry = cache.get(queryHash);
        return (
          entry?.state.status === 'success' &&
          (entry !== before || entry.state.dataUpdateCount > since)
        );
      }),
    );
  }
  return timer(reopenDelay(failures, error, options)).pipe(
    switchMap(() => runs$),
    first((run) => run.failures === 0),
  );
}

/**
 * How long a stream that failed `failures` times in a row waits to be re-opened. On the source's
 * `reconnect` backoff, failure `maxAttempts` and every later one wait a poll interval (or a longer
 * `Retry-After`): the stream is then re-opened at the pace of polling.
 */
function reopenDelay(failures: number, error: UnreadError, options: PushOptions): number {
  const { reconnect } = options.source;
  if (!reconnect) return retryDelay(failures, error, options.pollIntervalMs, options.retry);
  if (failures >= reconnect.maxAttempts) {
    return Math.max(options.pollIntervalMs, error.retryAfterMs ?? 0);
  }
  return retryDelay(failures, error, options.pollIntervalMs, reconnect);
}
