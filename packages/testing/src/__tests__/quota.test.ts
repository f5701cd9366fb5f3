import { describe, expect, it } from 'vitest';
import { DailyQuota } from '../quota.js';

describe('DailyQuota', () => {
  it('allows the limit per website, then refuses', () => {
    const quota = new DailyQuota(2, () => 0);
    expect([quota.take('a'), quota.take('a'), quota.take('a')]).toEqual([true, true, false]);
    expect(quota.take('b')).toBe(true);
  });

  it('starts a new count at midnight UTC', () => {
    let now = Date.UTC(2026, 5, 1, 23, 59, 59, 999);
    const quota = new DailyQuota(1, () => now);
    expect(quota.take('a')).toBe(true);
    expect(quota.take('a')).toBe(false);
    now += 1;
    expect(quota.take('a')).toBe(true);
  });

  it('refuses everything with a limit of 0', () => {
    expect(new DailyQuota(0, () => 0).take('a')).toBe(false);
  });

  it('throws a clear error for a limit that is not a non-negative integer', () => {
    expect(() => new DailyQuota(1.5, () => 0)).toThrow(/dailyQuota must be a non-negative integer/);
  });
});
