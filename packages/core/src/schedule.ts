import type { QueryState } from '@tanstack/query-core';
import {
  combineLatest,
  EMPTY,
  map,
  type Observable,
  type OperatorFunction,
  of,
  scan,
  switchMap,
  timer,
} from 'rxjs';
import { type RetrySettings, retryDelay } from './backoff';
import type { UnreadError } from './errors';

type CountState = QueryState<unknown, UnreadError>;

/** What the store does next for one session. */
export type Plan =
  | { readonly type: 'fetch' }
  | { readonly type: 'wait'; readonly ms: number }
  /** Nothing until something changes: a read is in flight, the page is hidden, or offline. */
  | { readonly type: 'idle' }
  /** No more reads until `refresh()`: the credentials were refused or the session is gone. */
  | { readonly type: 'halt' };

export interface PlanInput {
  now: number;
  state: CountState;
  /** The backoff delay chosen for the current error (random, so chosen once per error). */
  errorDelayMs: number | undefined;
  active: boolean;
  pollIntervalMs: number;
}

const haltCodes: ReadonlySet<string> = new Set([
  'unauthorized',
  'forbidden',
  'session-not-found',
  'misconfigured',
]);

/** Whether the entry's failure stops the reads until `refresh()`. */
export const isHalted = (state: CountState): boolean =>
  state.status === 'error' && !!state.error && haltCodes.has(state.error.code);

/**
 * Decides the next step from the shared cache entry alone, so that every store sharing it agrees
 * on when the next read is due: N stores make one read per interval, and one per backoff step.
 */
export function plan(input: PlanInput): Plan {
  const { state, now } = input;
  if (state.fetchStatus !== 'idle') return { type: 'idle' };
  if (isHalted(state)) return { type: 'halt' };
  if (!input.active) return { type: 'idle' };
  if (state.status === 'pending') return { type: 'fetch' };
  let due: number;
  if (state.status === 'error' && state.error) {
    due = state.errorUpdatedAt + (input.errorDelayMs ?? input.pollIntervalMs);
  } else {
    // An invalidated entry is query-core's to refetch (it does so for active queries).
    due = state.dataUpdatedAt + input.pollIntervalMs;
  }
  return due <= now ? { type: 'fetch' } : { type: 'wait', ms: due - now };
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
 * The polling schedule of one session: emits whenever a read is due. The delays are timers
 * re-planned on every change of the entry (a read, a push, another store's read, an invalidation)
 * and of `active$`, so they work alike in pages and in Node, where query-core schedules no
 * refetch interval.
 */
export function pollSchedule(
  states$: Observable<CountState>,
  active$: Observable<boolean>,
  pollIntervalMs: number,
  retry: RetrySettings | false,
): Observable<unknown> {
  return combineLatest([states$.pipe(withBackoff(pollIntervalMs, retry)), active$]).pipe(
    map(([{ state, delayMs }, active]) =>
      plan({ now: Date.now(), state, errorDelayMs: delayMs, active, pollIntervalMs }),
    ),
    switchMap((next) =>
      next.type === 'fetch' ? of(0) : next.type === 'wait' ? timer(next.ms) : EMPTY,
    ),
  );
}
