import type { QueryState } from '@tanstack/query-core';
import { describe, expect, it } from 'vitest';
import { UnreadError } from '../errors';
import { type PlanInput, plan } from '../schedule';

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
  extra: Partial<PlanInput> = {},
): PlanInput => ({
  now: 100_000,
  state: { ...base, ...state },
  errorDelayMs: undefined,
  active: true,
  pollIntervalMs: 30_000,
  ...extra,
});

describe('plan', () => {
  it('reads at once when nothing is cached', () => {
    expect(plan(input({}))).toEqual({ type: 'fetch' });
  });

  it('waits while a read is in flight', () => {
    expect(plan(input({ fetchStatus: 'fetching' }))).toEqual({ type: 'idle' });
  });

  it('waits for the rest of the interval after a success', () => {
    expect(plan(input({ status: 'success', data: 1, dataUpdatedAt: 90_000 }))).toEqual({
      type: 'wait',
      ms: 20_000,
    });
  });

  it('reads when the count is as old as the interval', () => {
    expect(plan(input({ status: 'success', data: 1, dataUpdatedAt: 70_000 }))).toEqual({
      type: 'fetch',
    });
  });

  it('leaves an invalidated entry to query-core, which refetches the queries it sees active', () => {
    expect(
      plan(input({ status: 'success', data: 1, dataUpdatedAt: 99_000, isInvalidated: true })),
    ).toEqual({ type: 'wait', ms: 29_000 });
  });

  it('does nothing while inactive (hidden or offline)', () => {
    expect(plan(input({}, { active: false }))).toEqual({ type: 'idle' });
    expect(
      plan(input({ status: 'success', data: 1, dataUpdatedAt: 0 }, { active: false })),
    ).toEqual({ type: 'idle' });
  });

  it('retries an error after its chosen delay, counted from the error', () => {
    const error = new UnreadError('server', 'x', { status: 500 });
    const state = { status: 'error' as const, error, errorUpdatedAt: 99_000, isInvalidated: true };
    expect(plan(input(state, { errorDelayMs: 4000 }))).toEqual({ type: 'wait', ms: 3000 });
    expect(plan(input(state, { errorDelayMs: 500 }))).toEqual({ type: 'fetch' });
  });

  it('halts on refused credentials and gone sessions, even while inactive', () => {
    for (const code of ['unauthorized', 'forbidden', 'session-not-found'] as const) {
      const state = {
        status: 'error' as const,
        error: new UnreadError(code, code),
        errorUpdatedAt: 1,
      };
      expect(plan(input(state))).toEqual({ type: 'halt' });
      expect(plan(input(state, { active: false }))).toEqual({ type: 'halt' });
    }
  });
});
