import type { BudgetShareName, CachedCount } from './types';

/**
 * Whether a cached count may be answered as fresh: no web hook said the conversation changed
 * after it was read, and it is younger than `maxAgeMs` (`safetyRefreshMs` with web hooks, else
 * `ttlMs`).
 */
export function isFresh(
  entry: CachedCount | undefined,
  changedAt: number | undefined,
  at: number,
  maxAgeMs: number,
): entry is CachedCount {
  if (entry === undefined) return false;
  if (changedAt !== undefined && changedAt > entry.readAt) return false;
  // Crisp said it deleted the conversation: nothing to read again until a hook names it.
  if (entry.removed) return true;
  return at - entry.readAt < maxAgeMs;
}

/**
 * Whether an outdated cached count is answered `stale: true` while it is read again. With web
 * hooks only when one said the conversation changed after the count was read: a count merely
 * older than `safetyRefreshMs` is re-read for safety (hooks can be lost), but no hook said it
 * changed, so it is as good as the last read. Without web hooks nothing says when a count
 * changes: past `ttlMs` its age is the only evidence, so it is stale.
 */
export function isStale(
  entry: CachedCount,
  changedAt: number | undefined,
  webhooks: boolean,
): boolean {
  if (!webhooks) return true;
  return changedAt !== undefined && changedAt > entry.readAt;
}

/**
 * The budget share a read is spent from: a web hook's (the session changed since it was read, or
 * was never read but a hook named it), a first read's (never seen, or Crisp said it does not
 * exist: reading unknown ids again must not spend what watched sessions need), else a
 * safety/TTL refresh's.
 */
export function shareOf(
  entry: CachedCount | undefined,
  changedAt: number | undefined,
): BudgetShareName {
  if (changedAt !== undefined && (entry === undefined || changedAt > entry.readAt)) return 'hooks';
  return entry === undefined || entry.count === null ? 'firstReads' : 'safety';
}
