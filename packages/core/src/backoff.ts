import type { UnreadError } from './errors';
import type { RetryOptions } from './types';

/** Retry options with every default filled in. */
export type RetrySettings = { readonly [K in keyof RetryOptions]-?: NonNullable<RetryOptions[K]> };

export const defaultRetry: RetrySettings = {
  baseDelayMs: 1000,
  maxDelayMs: 300_000,
  random: Math.random,
};

/**
 * How long to wait before attempt `attempt + 1` after `attempt` consecutive failures (1-based).
 * - Rate limits wait `Retry-After` when the server said, else back off starting at the interval.
 * - Other failures wait a random time in the upper half of a bound that doubles from the base to
 *   the cap, and at least a `Retry-After` the server gave. Jitter spreads the clients of one
 *   outage; the floor at half the bound keeps a run of small draws from retrying at once, so the
 *   requests in any window stay within a known bound.
 */
export function retryDelay(
  attempt: number,
  error: UnreadError,
  pollIntervalMs: number,
  retry: RetrySettings | false,
): number {
  if (error.code === 'rate-limited') {
    if (error.retryAfterMs !== undefined) return error.retryAfterMs;
    if (!retry) return pollIntervalMs;
    const floor = pollIntervalMs;
    const ceiling = Math.min(
      Math.max(retry.maxDelayMs, floor),
      floor * 2 ** Math.min(attempt - 1, 30),
    );
    const random = retry.random;
    return Math.round(floor + random() * (ceiling - floor));
  }
  if (!retry) return Math.max(pollIntervalMs, error.retryAfterMs ?? 0);
  const bound = retryBound(attempt, retry);
  return Math.max(Math.round(bound / 2 + (retry.random() * bound) / 2), error.retryAfterMs ?? 0);
}

/** The bound of the wait after `attempt` consecutive transient failures: base doubling to the cap. */
export const retryBound = (attempt: number, retry: RetrySettings): number =>
  Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** Math.min(attempt - 1, 30));

/** Caps honoured `Retry-After` values so a hostile header cannot park the store for days. */
const maxRetryAfterMs = 24 * 60 * 60 * 1000;

/**
 * Parses `Retry-After`: delay-seconds or an HTTP date. Returns milliseconds from `now`, or
 * `undefined` when absent or unreadable.
 */
export function parseRetryAfter(value: string | null | undefined, now: number): number | undefined {
  if (value == null) return undefined;
  const text = value.trim();
  if (text === '') return undefined;
  if (/^\d+$/.test(text)) return Math.min(Number(text) * 1000, maxRetryAfterMs);
  // Every HTTP-date form starts with a day name; V8 would also "parse" strings such as "1.5".
  if (!/^[A-Za-z]{3,9},?\s/.test(text)) return undefined;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.min(Math.max(0, at - now), maxRetryAfterMs);
}
