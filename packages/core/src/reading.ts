import type { UnreadReading } from './types';

/**
 * A source's answer or a cache entry's data as an `UnreadReading`: a plain count (what older
 * sources give and what an app writes with `setQueryData(key, 3)`) is a fresh one. `undefined`
 * when the value is neither a whole count from 0 nor a reading of one.
 */
export function toReading(value: unknown): UnreadReading | undefined {
  const { count, stale } = isCount(value)
    ? { count: value, stale: false }
    : ((value ?? {}) as Partial<UnreadReading>);
  return isCount(count) && typeof stale === 'boolean' ? { count, stale } : undefined;
}

function isCount(value: unknown): value is number {
  return Number.isInteger(value) && (value as number) >= 0;
}
