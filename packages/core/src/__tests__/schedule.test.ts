import type { QueryState } from '@tanstack/query-core';
import { BehaviorSubject } from 'rxjs';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { UnreadError } from '../errors';
import { type FailureRun, healthyRun, nextRun } from '../failureRun';
import { type CountView, type DueInput, nextReadAt, pollSchedule } from '../schedule';

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

type CountState = QueryState<unknown, UnreadError>;

/** The view of one state, its failure run counted from `run` (a healthy one by default). */
const view = (state: Partial<CountState>, run: FailureRun = healthyRun): CountView => {
  const full = { ...base, ...state };
  return { state: full, run: nextRun(run, full, 30_000, { ...retry, random: () => 1 }) };
};

const retry = { baseDelayMs: 1000, maxDelayMs: 60_000, random: () => 0.5 };

const input = (state: Partial<CountState>, run?: FailureRun): DueInput => ({
  ...view(state, run),
  pollIntervalMs: 30_000,
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
    expect(nextReadAt(input(state))).toBe(100_000); // the first failure: the 1 s bound
  });

  it('keeps the backoff of a failing entry that a retry put back to pending (never read)', () => {
    const error = new UnreadError('server', 'x', { status: 500 });
    const failed = input({ status: 'error', error, errorUpdatedAt: 99_000, errorUpdateCount: 1 });
    // query-core clears the error of an entry without data when it reads again…
    const retrying = { status: 'pending' as const, error: null, errorUpdatedAt: 99_000 };
    expect(nextReadAt(input({ ...retrying, fetchStatus: 'fetching' }, failed.run))).toBeUndefined();
    // …and one whose retry was cancelled stays on the failure's schedule, not due at once.
    expect(nextReadAt(input(retrying, failed.run))).toBe(100_000);
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
    const state$ = new BehaviorSubject<CountView>(
      view({ status: 'success', data: 1, dataUpdatedAt: 90_000 }),
    );
    const active$ = new BehaviorSubject(true);
    const due: number[] = [];
    const subscription = pollSchedule(state$, active$, 30_000).subscribe(() =>
      due.push(Date.now()),
    );
    await vi.advanceTimersByTimeAsync(19_999);
    expect(due).toEqual([]);
    // Another store's read lands: the next one is an interval after it.
    state$.next(view({ status: 'success', data: 1, dataUpdatedAt: Date.now() }));
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

  it('plans from the failure run, which the views carry', async () => {
    const error = new UnreadError('server', 'x', { status: 503 });
    const first = view({ status: 'error', error, errorUpdatedAt: 100_000, errorUpdateCount: 1 });
    const views$ = new BehaviorSubject<CountView>(first);
    const due: number[] = [];
    const subscription = pollSchedule(views$, new BehaviorSubject(true), 30_000).subscribe(() =>
      due.push(Date.now()),
    );
    await vi.advanceTimersByTimeAsync(1000);
    expect(due).toEqual([101_000]);
    views$.next(
      view({ status: 'error', error, errorUpdatedAt: Date.now(), errorUpdateCount: 2 }, first.run),
    );
    await vi.advanceTimersByTimeAsync(2000);
    expect(due).toEqual([101_000, 103_000]); // the second bound: 2 s
    subscription.unsubscribe();
  });
});
