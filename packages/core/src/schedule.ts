import type { QueryState } from '@tanstack/query-core';
import { combineLatest, EMPTY, map, type Observable, switchMap, timer } from 'rxjs';
import type { UnreadError } from './errors';
import { type FailureRun, halted } from './failureRun';

type CountState = QueryState<unknown, UnreadError>;

/** One session's cache entry as the store plans from it: its state and its failure run. */
export interface CountView {
  readonly state: CountState;
  readonly run: FailureRun;
}

export interface DueInput extends CountView {
  pollIntervalMs: number;
}

/**
 * When the next read of a session is due (epoch ms), from the shared cache entry and its failure
 * run alone, so that every store sharing it agrees: N stores make one read per interval, and one
 * per backoff step. `undefined` while a read is in flight and after a failure that stops the reads.
 * A failing entry waits out its backoff whatever query-core did to it meanwhile (a retry puts an
 * entry without data back to `pending`); an invalidated healthy entry is query-core's to refetch.
 */
export function nextReadAt({ state, run, pollIntervalMs }: DueInput): number | undefined {
  if (state.fetchStatus !== 'idle') return undefined;
  if (run.failures > 0) return halted(run) ? undefined : run.at + run.delayMs;
  if (state.status === 'pending') return 0;
  return state.dataUpdatedAt + pollIntervalMs;
}

/**
 * The polling schedule of one session: emits when a read is due, while `active$` says this store
 * reads. Each change of the entry (a read, a push, another store's read) or of `active$` sets the
 * timer anew. rxjs timers, not query-core's `refetchInterval`: they run in Node too, and they wait
 * for the shared entry, where each observer's interval would read on its own.
 */
export function pollSchedule(
  views$: Observable<CountView>,
  active$: Observable<boolean>,
  pollIntervalMs: number,
): Observable<unknown> {
  return combineLatest([views$, active$]).pipe(
    map(([view, active]) => (active ? nextReadAt({ ...view, pollIntervalMs }) : undefined)),
    switchMap((at) => (at === undefined ? EMPTY : timer(new Date(at)))),
  );
}
