import { isUnreadError, UnreadError } from './errors';
import { halts } from './failureRun';
import type { CountView } from './schedule';
import type { UnreadReading, UnreadSource, UnreadState } from './types';

/**
 * The state of a store that works on nothing (exported as `idleUnreadState`, the state adapters
 * show without a store).
 */
export const idleState: UnreadState = Object.freeze({
  count: null,
  status: 'idle',
  error: null,
  sessionId: null,
  updatedAt: null,
  stale: false,
  fetching: false,
  assumed: false,
});

/**
 * A source's answer or a cache entry's data as an `UnreadReading`: a plain count (what older
 * sources give and what an app writes with `setQueryData(key, 3)`) is a fresh one. `undefined`
 * when the value is neither a whole count from 0 nor a reading of one.
 */
export function toReading(value: unknown): UnreadReading | undefined {
  const {
    count,
    stale,
    assumed = false,
  } = isCount(value) ? { count: value, stale: false } : ((value ?? {}) as Partial<UnreadReading>);
  if (!isCount(count) || typeof stale !== 'boolean' || typeof assumed !== 'boolean') return;
  // `assumed` only when set: a read of Crisp is `{ count, stale }` as it always was.
  return assumed ? { count, stale, assumed } : { count, stale };
}

function isCount(value: unknown): value is number {
  return Number.isInteger(value) && (value as number) >= 0;
}

export const notACount = 'a count that is not a non-negative integer';

/** The query function of one session's count. */
export async function readCount(
  source: UnreadSource,
  sessionId: string,
  signal: AbortSignal,
): Promise<UnreadReading> {
  let answer: unknown;
  try {
    answer = await source.read(sessionId, { signal });
  } catch (error) {
    throw toUnreadError(error);
  }
  const reading = toReading(answer);
  if (!reading)
    throw new UnreadError('invalid-response', `The ${source.kind} source gave ${notACount}.`);
  return reading;
}

/** Any failure as an `UnreadError`; a raw one keeps its message and becomes the cause. */
export function toUnreadError(
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

/**
 * What the store shows for one session's cache entry. A failing entry shows `error` from its first
 * failure until a good read, whatever query-core does between (a retry puts an entry without data
 * back to `pending`): never a flip back to `loading`. Its retries show as `fetching` for the whole
 * run, not per attempt: a mark that went on and off at each retry would be two states a retry, and
 * the run of alike failures is meant to cost the page no state at all.
 */
export function deriveState(
  sessionId: string,
  { state, run }: CountView,
  leaderFetching = false,
): UnreadState {
  const reading = toReading(state.data);
  const updatedAt = reading && state.dataUpdatedAt > 0 ? state.dataUpdatedAt : null;
  const shown = {
    sessionId,
    count: reading?.count ?? null,
    stale: reading?.stale ?? false,
    assumed: reading?.assumed ?? false,
  };
  // A follower tab shows the reads of the tab that leads it.
  const fetching = state.fetchStatus === 'fetching' || leaderFetching;
  const error = run.error ?? (state.status === 'error' ? state.error : null);
  if (error) {
    // A gone session has no count, however recent the last one was.
    if (error.code === 'session-not-found') {
      const gone = { ...shown, count: null, stale: false, assumed: false, updatedAt };
      return { ...gone, status: 'no-session', error, fetching };
    }
    // The count shown is the last good one: one the source could not refresh. The store goes on
    // trying unless the failure halts it (until `refresh()`, which is a read in flight).
    const retrying = !halts(error) || fetching;
    return {
      ...shown,
      stale: reading !== undefined,
      status: 'error',
      error,
      updatedAt,
      fetching: retrying,
    };
  }
  // Routine polls of a ready count are not shown: they would re-render the page twice an interval.
  if (reading) return { ...shown, status: 'ready', error: null, updatedAt, fetching: false };
  return { ...shown, status: 'loading', error: null, updatedAt: null, fetching };
}
