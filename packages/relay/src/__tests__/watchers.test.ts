import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { CountReader, ReadOutcome } from '../countReader';
import { memoryStore } from '../memoryStore';
import { Watchers } from '../watchers';

beforeEach(() => {
  vi.useFakeTimers({ now: Date.UTC(2026, 0, 15, 12) });
});

afterEach(() => {
  vi.useRealTimers();
});

/** A reader whose `current` always answers a count read `ageMs` ago, unmarked (not stale). */
function oldCountReader(ageMs: number) {
  const calls = { current: 0 };
  const reader = {
    current: async (): Promise<ReadOutcome> => {
      calls.current++;
      const readAt = Date.now() - ageMs;
      return { kind: 'count', entry: { count: 1, readAt, changedAt: readAt }, stale: false };
    },
  } as unknown as CountReader;
  return { reader, calls };
}

describe('Watchers', () => {
  it('retries a count that was not read afresh (budget paced out) after retryMs, not in a loop', async () => {
    // The simulated day's returning visitors: counts days old, the safety share spent, so every
    // re-read answers the old count, unmarked. Once 250 ms apart: 3.5 million timers in a day.
    const { reader, calls } = oldCountReader(3 * 86_400_000);
    const watchers = new Watchers(reader, memoryStore(), {
      periodMs: 900_000,
      retryMs: 30_000,
      safetyWaitMs: () => 0,
      now: Date.now,
    });
    const stop = await watchers.add('session_700c65e1-85e2-465a-b9ac-ecb5ec2c9881', () => {});
    await vi.advanceTimersByTimeAsync(900_000 + 10 * 60_000);
    // The first safety re-read at 15 min, then one per 30 s for 10 minutes.
    expect(calls.current).toBeGreaterThanOrEqual(20);
    expect(calls.current).toBeLessThanOrEqual(22);
    stop();
    watchers.closeAll();
  });

  it('waits for the safety share to have room when the budget refused, at most periodMs', async () => {
    // Every refresh answered the old count: the budget, paced out, can pay in 5 minutes, then
    // (its wait unknown) in an hour, longer than the period.
    const { reader, calls } = oldCountReader(3 * 86_400_000);
    const waits = [5 * 60_000, 3_600_000];
    const watchers = new Watchers(reader, memoryStore(), {
      periodMs: 900_000,
      retryMs: 30_000,
      safetyWaitMs: () => waits.shift() ?? 0,
      now: Date.now,
    });
    const stop = await watchers.add('session_700c65e1-85e2-465a-b9ac-ecb5ec2c9881', () => {});
    await vi.advanceTimersByTimeAsync(900_000);
    expect(calls.current).toBe(1);
    await vi.advanceTimersByTimeAsync(5 * 60_000);
    expect(calls.current).toBe(2);
    // Capped at the period: 15 minutes, not the hour.
    await vi.advanceTimersByTimeAsync(900_000 - 1);
    expect(calls.current).toBe(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(calls.current).toBe(3);
    // The budget can pay again: back to `retryMs`.
    await vi.advanceTimersByTimeAsync(30_000);
    expect(calls.current).toBe(4);
    stop();
  });

  it('schedules the next safety re-read periodMs after a fresh read', async () => {
    const { reader, calls } = oldCountReader(0);
    const watchers = new Watchers(reader, memoryStore(), {
      periodMs: 60_000,
      retryMs: 30_000,
      safetyWaitMs: () => 0,
      now: Date.now,
    });
    const stop = await watchers.add('session_700c65e1-85e2-465a-b9ac-ecb5ec2c9881', () => {});
    await vi.advanceTimersByTimeAsync(10 * 60_000);
    expect(calls.current).toBe(10);
    stop();
  });
});
