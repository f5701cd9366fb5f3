import type { QueryState } from '@tanstack/query-core';
import { isUnreadError, UnreadError } from './errors';
import type { UnreadReading, UnreadSource, UnreadState } from './types';

/** The state of a store that works on nothing. */
export const idleState: UnreadState = Object.freeze({
  count: null,
  status: 'idle',
  error: null,
  sessionId: null,
  updatedAt: null,
  stale: false,
});

/**
 * A source's answer as the cache holds it, or `undefined` when it is not a count: sources give a
 * plain count or a reading, and the app may write a plain count with `setQueryData`.
 */
export function toReading(value: unknown): UnreadReading | undefined {
  const { count, stale = false } = (
    typeof value === 'number' ? { count: value } : (value ?? {})
  ) as Partial<UnreadReading>;
  return Number.isInteger(count) && (count as number) >= 0 && typeof stale === 'boolean'
    ? { count: count as number, stale }
    : undefined;
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
  return (
    toReading(answer) ??
    fail(new UnreadError('invalid-response', `The ${source.kind} source gave ${notACount}.`))
  );
}

const fail = (error: UnreadError): never => {
  throw error;
};

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

/** What the store shows for one session's cache entry. */
export function deriveState(
  sessionId: string,
  query: QueryState<unknown, UnreadError>,
): Omit<UnreadState, never> {
  const reading = toReading(query.data);
  const updatedAt = reading && query.dataUpdatedAt > 0 ? query.dataUpdatedAt : null;
  const shown = { sessionId, count: reading?.count ?? null, stale: reading?.stale ?? false };
  const error = query.status === 'error' ? query.error : null;
  if (error) {
    // A gone session has no count, however recent the last one was.
    if (error.code === 'session-not-found')
      return { ...shown, count: null, stale: false, status: 'no-session', error, updatedAt };
    return { ...shown, status: 'error', error, updatedAt };
  }
  if (reading) return { ...shown, status: 'ready', error: null, updatedAt };
  return { ...shown, status: 'loading', error: null, updatedAt: null };
}
