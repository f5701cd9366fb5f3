import { describe, expect, it } from 'vitest';
import {
  Budget,
  dayMs,
  defaultBudgetShares,
  hourCounter,
  hourlyCap,
  nextAllowanceInMs,
  pacedAllowance,
  reserveOf,
  shareLimits,
  utcDay,
} from '../budget';
import { createUnreadRelay } from '../createUnreadRelay';
import { memoryStore } from '../memoryStore';
import type { BudgetShares } from '../types';

const midnight = Date.UTC(2026, 0, 15);

describe('shareLimits', () => {
  it('splits the total exactly, never more', () => {
    expect(shareLimits(5000, defaultBudgetShares)).toEqual({
      hooks: 4500,
      firstReads: 250,
      safety: 250,
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

describe('hourlyCap and hourCounter (the firstReads share within the hour)', () => {
  it('allows 4 hours of the daily average, at least 25 calls (or the whole share when smaller)', () => {
    expect(hourlyCap(2250)).toBe(375);
    expect(hourlyCap(450)).toBe(75);
    expect(hourlyCap(30)).toBe(25);
    expect(hourlyCap(12)).toBe(12);
    expect(hourlyCap(0)).toBe(0);
  });

  it('names the UTC hour', () => {
    expect(hourCounter(Date.UTC(2026, 0, 15, 23, 59))).toBe('2026-01-15:firstReads:h23');
    expect(hourCounter(Date.UTC(2026, 0, 16, 0, 0))).toBe('2026-01-16:firstReads:h00');
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

describe('economy options', () => {
  const base = {
    websiteId: '8c842203-7ed8-4e29-a608-7cf78a7d2fcc',
    identifier: 'id',
    key: 'key',
    log: false as const,
  };

  it('refuses bad shares, safety periods and failure memories with an error naming the option', () => {
    for (const budgetShares of [
      { hooks: 0.5, firstReads: 0.3, safety: 0.3 },
      { hooks: 0.5, firstReads: 0.5 },
      { hooks: -0.1, firstReads: 0.6, safety: 0.5 },
      { hooks: Number.NaN, firstReads: 0.5, safety: 0.5 },
    ]) {
      expect(() => createUnreadRelay({ ...base, budgetShares: budgetShares as never })).toThrow(
        /`budgetShares`/,
      );
    }
    expect(() => createUnreadRelay({ ...base, safetyRefreshMs: 0 })).toThrow(/`safetyRefreshMs`/);
    expect(() => createUnreadRelay({ ...base, failureMemoryMs: -1 })).toThrow(/`failureMemoryMs`/);
  });

  it('accepts shares that add up to 1, and undefined for every default', async () => {
    const relay = createUnreadRelay({
      ...base,
      budgetShares: { hooks: 0.2, firstReads: 0.2, safety: 0.6 },
      safetyRefreshMs: undefined,
      failureMemoryMs: undefined,
      dailyBudget: 1000,
      now: () => midnight + dayMs - 1,
    });
    const health = await (await relay.fetch(new Request('http://relay.test/healthz'))).json();
    // Without web hooks the hooks fraction goes half to each other share.
    expect(health.budget.shares).toEqual({
      hooks: { limit: 0, spent: 0, remaining: 0, allowance: 0 },
      firstReads: { limit: 300, spent: 0, remaining: 300, allowance: 300 },
      safety: { limit: 700, spent: 0, remaining: 700, allowance: 700 },
    });
    await relay.close();
  });
});

/** A budget on a memory store, its clock stopped at `at`. */
function budgetAt(at: number, total: number, shares: BudgetShares): Budget {
  const now = () => at;
  return new Budget({ store: memoryStore({ now }), total, shares, now });
}

describe('Budget: a web hook read past its share', () => {
  it("spends what safety, then firstReads, have not spent of their paced allowance, and they yield to it; they never borrow hooks'", async () => {
    const at = midnight + dayMs - 1;
    const budget = budgetAt(at, 100, { hooks: 0.1, firstReads: 0.3, safety: 0.6 });
    // firstReads spends 20 of its 30 first (the hour's cap, hourlyCap(30) = 25, allows them).
    for (let i = 0; i < 20; i++) expect(await budget.take('firstReads')).toBe(0);
    for (let i = 0; i < 10; i++) expect(await budget.take('hooks')).toBe(0);
    expect(budget.pacedOut('firstReads')).toBe(false);
    // Its own 10 are spent: the next is paid by a lender, and the lenders now yield to hooks.
    expect(await budget.take('hooks')).toBe(0);
    expect(budget.pacedOut('safety')).toBe(true);
    expect(budget.pacedOut('firstReads')).toBe(true);
    expect(await budget.take('firstReads')).toBeGreaterThan(0);
    expect(await budget.take('safety')).toBeGreaterThan(0);
    let hookReads = 11;
    while ((await budget.take('hooks')) === 0) hookReads++;
    // 10 of its own, 60 of safety's, the 10 firstReads had left.
    expect(hookReads).toBe(80);
    const report = await budget.report();
    expect(report.shares.hooks.spent).toBe(10);
    expect(report.shares.safety.spent).toBe(60);
    expect(report.shares.firstReads.spent).toBe(30);
    expect(await budget.take('firstReads')).toBeGreaterThan(0);
    expect(await budget.take('safety')).toBeGreaterThan(0);
  });

  it('leaves the other shares alone while the hooks share has room', async () => {
    const at = midnight + dayMs - 1;
    const budget = budgetAt(at, 100, { hooks: 0.5, firstReads: 0.25, safety: 0.25 });
    for (let i = 0; i < 50; i++) expect(await budget.take('hooks')).toBe(0);
    const report = await budget.report();
    expect(report.shares.hooks.spent).toBe(50);
    expect(report.shares.safety.spent).toBe(0);
    expect(report.shares.firstReads.spent).toBe(0);
  });
});

describe('Budget.waitMs', () => {
  it('is 0 until a share is refused, then the wait its refusal gave, and a lender yields as long as hooks', async () => {
    let at = midnight + 3_600_000;
    const now = () => at;
    const budget = new Budget({
      store: memoryStore({ now }),
      total: 5000,
      shares: defaultBudgetShares,
      now,
    });
    expect(budget.waitMs('safety')).toBe(0);
    let refusedFor = 0;
    while (refusedFor === 0) refusedFor = await budget.take('safety');
    expect(budget.waitMs('safety')).toBe(refusedFor);
    at += 1000;
    expect(budget.waitMs('safety')).toBe(refusedFor - 1000);
    expect(budget.waitMs('hooks')).toBe(0);
    at += refusedFor;
    expect(budget.waitMs('safety')).toBe(0);
    // The hooks share paced out: safety and firstReads wait as long as it does.
    let hooksFor = 0;
    while (hooksFor === 0) hooksFor = await budget.take('hooks');
    const hooksWait = budget.waitMs('hooks');
    expect(hooksWait).toBeGreaterThan(0);
    expect(budget.waitMs('firstReads')).toBeGreaterThanOrEqual(hooksWait);
    expect(budget.waitMs('safety')).toBeGreaterThanOrEqual(hooksWait);
  });
});

describe('pacing the hooks share', () => {
  it('allows half of it at midnight and the rest over the day; the others 10%', async () => {
    expect(pacedAllowance(4500, midnight, reserveOf('hooks'))).toBe(2250);
    expect(pacedAllowance(4500, midnight + dayMs / 2, reserveOf('hooks'))).toBe(3375);
    expect(pacedAllowance(250, midnight, reserveOf('firstReads'))).toBe(25);
    // The wait for one more call follows the same line.
    const waitMs = nextAllowanceInMs(4500, 3375, midnight + dayMs / 2, reserveOf('hooks'));
    expect(pacedAllowance(4500, midnight + dayMs / 2 + waitMs, reserveOf('hooks'))).toBe(3376);
    const at = midnight + 3_600_000;
    const budget = budgetAt(at, 5000, defaultBudgetShares);
    const report = await budget.report();
    // ceil(4500 x (0.5 + 0.5 / 24)) and ceil(250 x (0.1 + 0.9 / 24)).
    expect(report.shares.hooks.allowance).toBe(2344);
    expect(report.shares.firstReads.allowance).toBe(35);
  });
});
