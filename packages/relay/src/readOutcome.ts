// What a read of a session's count comes to, and how a cached entry or a failure becomes one.
import { isUnreadError } from '@crisp-unread/core';
import type { CachedCount, UpstreamFailure } from './types';

/** What a read of one session's count comes to. */
export type ReadOutcome =
  | {
      readonly kind: 'count';
      readonly entry: CachedCount & { count: number };
      readonly stale: boolean;
    }
  | { readonly kind: 'gone' }
  | { readonly kind: 'budget-exhausted'; readonly retryAfterMs: number }
  | { readonly kind: 'failed'; readonly failure: UpstreamFailure };

/**
 * `read`: a client's; `refresh`: a web hook's; `recheck`: the one more after a cache HIT;
 * `verify`: the check of a derived count.
 */
export type ReadMode = 'read' | 'refresh' | 'recheck' | 'verify';

/** What a web hook's event does to `unread.visitor`: `raise` by one, `none`, or `unknown`. */
export type HookEffect = 'raise' | 'none' | 'unknown';

export const gone: CachedCount = { count: null, readAt: 0, changedAt: 0 };

export function fromCache(entry: CachedCount, stale: boolean): ReadOutcome {
  if (entry.count === null) return { kind: 'gone' };
  return { kind: 'count', entry: entry as CachedCount & { count: number }, stale };
}

/**
 * A failed read answers the last known count as stale, except for setup failures (credentials
 * refused, plugin not subscribed): those answer the error, so the operator sees it.
 */
export function fallback(cached: CachedCount | undefined, failure: UpstreamFailure): ReadOutcome {
  const credentials =
    failure.code === 'unauthorized' ||
    failure.code === 'forbidden' ||
    failure.code === 'misconfigured';
  if (!credentials && cached?.count != null) return fromCache(cached, true);
  return { kind: 'failed', failure };
}

export function toFailure(error: unknown): UpstreamFailure {
  if (isUnreadError(error)) {
    return { code: error.code, status: error.status, retryAfterMs: error.retryAfterMs };
  }
  return { code: 'network' };
}

/**
 * The answer for a session no hook has named and the relay never read, when the budget cannot
 * read it: 0, marked. Answered, never stored: a flood of made-up ids leaves nothing behind.
 */
export function assumedCount(at: number): ReadOutcome {
  return fromCache({ count: 0, readAt: at, changedAt: 0, assumed: true }, false);
}
