import { describe, expect, it } from 'vitest';
import {
  dayMs,
  defaultBudgetShares,
  nextAllowanceInMs,
  pacedAllowance,
  shareLimits,
  utcDay,
} from '../budget';

const midnight = Date.UTC(2026, 0, 15);

describe('shareLimits', () => {
  it('splits the total exactly, never more', () => {
    expect(shareLimits(5000, defaultBudgetShares)).toEqual({
      hooks: 2500,
      firstReads: 1500,
      safety: 1000,
    });
    for (const total of [0, 1, 2, 3, 7, 10, 999, 5001]) {
      const limits = shareLimits(total, { hooks: 1 / 3, firstReads: 1 / 3, safety: 1 / 3 });
      expect(limits.hooks + limits.firstReads + limits.safety).toBe(total);
      for (const limit of Object.values(limits)) expect(limit).toBeGreaterThanOrEqual(0);
    }
  });
});

describe('pacedAllowance', () => {
  it('allows the reserve at midnight, grows linearly, and the whole share by the end of the day', () => {
    expect(pacedAllowance(1000, midnight)).toBe(100);
    expect(pacedAllowance(1000, midnight + dayMs / 2)).toBe(550);
    expect(pacedAllowance(1000, midnight + dayMs - 1)).toBe(1000);
    expect(pacedAllowance(1000, midnight + dayMs)).toBe(100);
    // A share of 1 is usable at once; a share of 0 never.
    expect(pacedAllowance(1, midnight)).toBe(1);
    expect(pacedAllowance(0, midnight + dayMs / 2)).toBe(0);
  });

  it('never decreases during a day and never passes the limit', () => {
    let previous = 0;
    for (let at = midnight; at < midnight + dayMs; at += 600_000) {
      const allowance = pacedAllowance(1500, at);
      expect(allowance).toBeGreaterThanOrEqual(previous);
      expect(allowance).toBeLessThanOrEqual(1500);
      previous = allowance;
    }
  });
});

describe('nextAllowanceInMs', () => {
  it('is the time until the allowance passes what was spent, or the next midnight', () => {
    const at = midnight + 3_600_000;
    const spent = pacedAllowance(1000, at);
    const wait = nextAllowanceInMs(1000, spent, at);
    expect(pacedAllowance(1000, at + wait)).toBeGreaterThan(spent);
    expect(pacedAllowance(1000, at + wait - 2000)).toBe(spent);
    expect(nextAllowanceInMs(1000, 1000, at)).toBe(dayMs - 3_600_000);
    expect(nextAllowanceInMs(0, 0, at)).toBe(dayMs - 3_600_000);
  });

  it('names the UTC day of a time', () => {
    expect(utcDay(midnight + dayMs - 1)).toBe('2026-01-15');
    expect(utcDay(midnight + dayMs)).toBe('2026-01-16');
  });
});
