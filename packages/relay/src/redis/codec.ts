import type { CachedCount, RelayMessage, UpstreamFailure } from '../types';

// What the store writes to Redis and its channel, and the checks of what it reads back: another
// instance (or another program) may have written anything.

export function isEntry(value: unknown): value is CachedCount {
  if (typeof value !== 'object' || value === null) return false;
  const { count, readAt, changedAt } = value as Record<string, unknown>;
  return (
    (count === null || (typeof count === 'number' && Number.isFinite(count))) &&
    typeof readAt === 'number' &&
    typeof changedAt === 'number'
  );
}

/** A count as Redis holds it. */
export function encode(entry: CachedCount): string {
  return JSON.stringify({
    count: entry.count,
    readAt: entry.readAt,
    changedAt: entry.changedAt,
    ...(entry.removed ? { removed: true } : {}),
    ...(entry.derived ? { derived: true } : {}),
    ...(entry.assumed ? { assumed: true } : {}),
  });
}

/** A count read from Redis, or `undefined` for a value the store did not write. */
export function decode(text: unknown): CachedCount | undefined {
  if (typeof text !== 'string') return undefined;
  try {
    const entry: unknown = JSON.parse(text);
    return isEntry(entry) ? entry : undefined;
  } catch {
    return undefined;
  }
}

function isFailure(value: unknown): value is UpstreamFailure {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { code?: unknown }).code === 'string'
  );
}

/** A message read from the channel, checked field by field, or `null`. */
export function readMessage(value: unknown): RelayMessage | null {
  if (typeof value !== 'object' || value === null) return null;
  const { sessionId, entry, failure, released } = value as Record<string, unknown>;
  if (typeof sessionId !== 'string') return null;
  if (isEntry(entry)) return { sessionId, entry };
  if (isFailure(failure)) return { sessionId, failure };
  if (released === true) return { sessionId, released: true };
  return null;
}
