import type { QueryState } from '@tanstack/query-core';
import {
  combineLatest,
  EMPTY,
  map,
  type Observable,
  type OperatorFunction,
  scan,
  switchMap,
  timer,
} from 'rxjs';
import { type RetrySettings, retryDelay } from './backoff';
import type { UnreadError } from './errors';

type CountState = QueryState<unknown, UnreadError>;

export interface DueInput {
  state: CountState;
  /** The backoff delay drawn for the entry's current failure (random, so drawn once per failure). */
  errorDelayMs: number | undefined;
  pollIntervalMs: number;
}

/** Failures that stop the reads until `refresh()`: refused credentials, a gone session, a bad setup. */
const haltCodes: ReadonlySet<string> = new Set([
  'unauthorized',
  'forbidden',
  'session-not-found',
  'misconfigured',
]);

/**
 * When the next read of a session is due (epoch ms), from the shared cache entry alone, so that
 * every store sharing it agrees: N stores make one read per interval, and one per backoff step.
 * `undefined` while a read is in flight and after a failure that stops the reads. An invalidated
 * entry is query-core's to refetch (it does so for the queries it sees active).
 */
export function nextReadAt({ state, errorDelayMs, pollIntervalMs }: DueInput): number | undefined {
  if (state.fetchStatus !== 'idle') return undefined;
  if (state.status === 'pending') return 0;
  if (state.status !== 'error' || !state.error) return state.dataUpdatedAt + pollIntervalMs;
  if (haltCodes.has(state.error.code)) return undefined;
  return state.errorUpdatedAt + (errorDelayMs ?? pollIntervalMs);
}

interface Backoff {
  state: CountState;
  /** The failures since the last good read. */
  failures: number;
  /** The `errorUpdatedAt` of the failure `delayMs` was chosen for. */
  at: number;
  delayMs: number | undefined;
}

/** Pairs each state with the backoff delay of its failure, drawn once per failure. */
function withBackoff(
  pollIntervalMs: number,
  retry: RetrySettings | false,
): OperatorFunction<CountState, Backoff> {
  return scan<CountState, Backoff, undefined>((last, state) => {
    if (state.status !== 'error' || !state.error)
      return { state, failures: 0, at: 0, delayMs: undefined };
    if (last && last.at === state.errorUpdatedAt) return { ...last, state };
    const failures = (last?.failures ?? 0) + 1;
    const delayMs = retryDelay(failures, state.error, pollIntervalMs, retry);
    return { state, failures, at: state.errorUpdatedAt, delayMs };
  }, undefined);
}

/**
 * The polling schedule of one session: emits when a read is due, while `active$` says this store
 * reads. Each change of the entry (a read, a push, another store's read) or of `active$` sets the
 * timer anew. rxjs timers, not query-core's `refetchInterval`: they run in Node too, and they wait
 * for the shared entry, where each observer's interval would read on its own.
 */
export function pollSchedule(
  states$: Observable<CountState>,
  active$: Observable<boolean>,
  pollIntervalMs: number,
  retry: RetrySettings | false,
): Observable<unknown> {
  return combineLatest([states$.pipe(withBackoff(pollIntervalMs, retry)), active$]).pipe(
    map(([{ state, delayMs }, active]) =>
      active ? nextReadAt({ state, errorDelayMs: delayMs, pollIntervalMs }) : undefined,
    ),
    switchMap((at) => (at === undefined ? EMPTY : timer(new Date(at)))),
  );
}
