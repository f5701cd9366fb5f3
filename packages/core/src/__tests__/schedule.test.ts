import type { QueryState } from '@tanstack/query-core';
import { BehaviorSubject } from 'rxjs';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { UnreadError } from '../errors';
import { type DueInput, nextReadAt, pollSchedule } from '../schedule';

const base: QueryState<number, UnreadError> = {
  data: undefined,
  dataUpdateCount: 0,
  dataUpdatedAt: 0,
  error: null,
  errorUpdateCount: 0,
  errorUpdatedAt: 0,
  fetchFailureCount: 0,
  fetchFailureReason: null,
  fetchMeta: null,
  isInvalidated: false,
  status: 'pending',
  fetchStatus: 'idle',
};

const input = (
  state: Partial<QueryState<number, UnreadError>>,
  extra: Partial<DueInput> = {},
): DueInput => ({
  state: { ...base, ...state },
  errorDelayMs: undefined,
  pollIntervalMs: 30_000,
  ...extra,
});

describe('nextReadAt', () => {
  it('is due at once when nothing is cached', () => {
    expect(nextReadAt(input({}))).toBe(0);
  });

  it('schedules nothing while a read is in flight', () => {
    expect(nextReadAt(input({ fetchStatus: 'fetching' }))).toBeUndefined();
  });

  it('is due an interval after the last read', () => {
    expect(nextReadAt(input({ status: 'success', data: 1, dataUpdatedAt: 90_000 }))).toBe(120_000);
  });

  it('leaves an invalidated entry to query-core, which refetches the queries it sees active', () => {
    expect(
      nextReadAt(input({ status: 'success', data: 1, dataUpdatedAt: 99_000, isInvalidated: true })),
    ).toBe(129_000);
  });

  it('retries a failure after its drawn delay, counted from the failure', () => {
    const error = new UnreadError('server', 'x', { status: 500 });
    const state = { status: 'error' as const, error, errorUpdatedAt: 99_000, dataUpdatedAt: 1 };
    expect(nextReadAt(input(state, { errorDelayMs: 4000 }))).toBe(103_000);
    expect(nextReadAt(input(state))).toBe(129_000);
  });

  it('stops on refused credentials, gone sessions and a bad setup', () => {
    for (const code of [
      'unauthorized',
      'forbidden',
      'session-not-found',
      'misconfigured',
    ] as const) {
      const state = {
        status: 'error' as const,
        error: new UnreadError(code, code),
        errorUpdatedAt: 1,
      };
      expect(nextReadAt(input(state))).toBeUndefined();
    }
  });
});

describe('pollSchedule', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 100_000 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('emits when a read is due, sets its timer anew on every change, and waits while inactive', async () => {
    const state$ = new BehaviorSubject<QueryState<unknown, UnreadError>>({
      ...base,
      status: 'success',
      data: 1,
      dataUpdatedAt: 90_000,
    });
    const active$ = new BehaviorSubject(true);
    const due: number[] = [];
    const subscription = pollSchedule(state$, active$, 30_000, false).subscribe(() =>
      due.push(Date.now()),
    );
    await vi.advanceTimersByTimeAsync(19_999);
    expect(due).toEqual([]);
    // Another store's read lands: the next one is an interval after it.
    state$.next({ ...state$.value, dataUpdatedAt: Date.now() });
    await vi.advanceTimersByTimeAsync(29_999);
    expect(due).toEqual([]);
    active$.next(false);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(due).toEqual([]);
    active$.next(true);
    await vi.advanceTimersByTimeAsync(0);
    expect(due).toEqual([Date.now()]);
    subscription.unsubscribe();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('draws the backoff delay once per failure and counts failures until a good read', async () => {
    const random = vi.fn(() => 0.5);
    const error = new UnreadError('server', 'x', { status: 503 });
    const state$ = new BehaviorSubject<QueryState<unknown, UnreadError>>({
      ...base,
      status: 'error',
      error,
      errorUpdatedAt: 100_000,
    });
    const retry = { baseDelayMs: 1000, maxDelayMs: 60_000, random };
    const due: number[] = [];
    const subscription = pollSchedule(state$, new BehaviorSubject(true), 30_000, retry).subscribe(
      () => due.push(Date.now()),
    );
    state$.next({ ...state$.value }); // the same failure, seen again: no new draw
    await vi.advanceTimersByTimeAsync(500);
    expect(due).toEqual([100_500]); // 0.5 × 1000
    state$.next({ ...state$.value, errorUpdatedAt: Date.now() }); // the second failure
    await vi.advanceTimersByTimeAsync(1000);
    expect(due).toEqual([100_500, 101_500]); // 0.5 × 2000
    expect(random).toHaveBeenCalledTimes(2);
    subscription.unsubscribe();
  });
});
