import {
  createUnreadStore,
  UnreadError,
  type UnreadReading,
  type UnreadSource,
  type UnreadStore,
} from '@crisp-unread/core';
import { act, cleanup } from '@testing-library/react';
import { afterEach, beforeEach, vi } from 'vitest';

export const sessionA = 'session_700c65e1-85e2-465a-b9ac-ecb5ec2c9881';
export const sessionB = 'session_1b2c3d4e-0000-4000-8000-000000000001';

let scopes = 0;

export interface CountingSource extends UnreadSource {
  /** What the next reads answer. */
  answer: number | UnreadReading | UnreadError;
  /** The session id of every read so far. */
  readonly reads: string[];
}

/** A source answering each read with `answer`, which the test may change; it records the reads. */
export function countingSource(answer: number | UnreadReading | UnreadError = 0): CountingSource {
  const source: CountingSource = {
    kind: 'counting',
    scope: `counting-${++scopes}`,
    answer,
    reads: [] as string[],
    async read(sessionId: string) {
      source.reads.push(sessionId);
      if (source.answer instanceof UnreadError) throw source.answer;
      return source.answer;
    },
  };
  return source;
}

/** A store polling `source` every second, even while happy-dom says the page is hidden. */
export function testStore(
  source: UnreadSource,
  sessionId: string | null = sessionA,
  graceMs = 1000,
) {
  return createUnreadStore({
    source,
    sessionId,
    pollIntervalMs: 1000,
    pauseWhenHidden: false,
    // One page, no other tabs: the adapter's tests do not wait for a cross-tab lead.
    crossTab: false,
    retry: false,
    graceMs,
  });
}

export const serverError = () =>
  new UnreadError('server', 'The test source failed.', { status: 500 });

/**
 * Fake timers for each test of the file, and React trees unmounted and tracked stores disposed
 * after it. Returns `track`, which registers a store and hands it back.
 */
export function storesWithFakeTimers(): (store: UnreadStore) => UnreadStore {
  const stores: UnreadStore[] = [];
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    cleanup();
    for (const store of stores.splice(0)) store.dispose();
    vi.useRealTimers();
  });
  return (store) => {
    stores.push(store);
    return store;
  };
}

/** Advances the fake timers inside `act`. */
export const advance = (ms: number) => act(() => vi.advanceTimersByTimeAsync(ms));
