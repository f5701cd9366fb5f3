import type { UnreadStore } from '@crisp-unread/core';
import { act, render, renderHook } from '@testing-library/react';
import { StrictMode } from 'react';
import { describe, expect, it } from 'vitest';
import { type UseUnreadResult, useUnread } from '../useUnread';
import { advance, countingSource, serverError, storesWithFakeTimers, testStore } from './sources';

const track = storesWithFakeTimers();

/** Records what the hook returned in each of its renders. */
function Badge({ store, results }: { store: UnreadStore | null; results: UseUnreadResult[] }) {
  const result = useUnread(store);
  results.push(result);
  return <span>{result.count ?? '-'}</span>;
}

/** Renders a badge that records every render and what the hook returned in it. */
function renderCounted(store: UnreadStore | null) {
  const results: UseUnreadResult[] = [];
  const view = render(<Badge store={store} results={results} />);
  return { results, view };
}

describe('useUnread', () => {
  it('shows the idle state first, then loading, then the count', async () => {
    const source = countingSource(3);
    const store = track(testStore(source));
    const { results, view } = renderCounted(store);
    expect(results[0]).toMatchObject({ count: null, status: 'idle', isLoading: false });
    await advance(0);
    expect(results.at(-1)).toMatchObject({
      count: 3,
      status: 'ready',
      error: null,
      isLoading: false,
    });
    expect(view.container.textContent).toBe('3');
    expect(source.reads).toHaveLength(1);
  });

  it('keeps status error through the retries of a never-read session, with fetching for each', async () => {
    const source = countingSource(serverError());
    const store = track(testStore(source));
    const { results, view } = renderCounted(store);
    await advance(10_000);
    expect(source.reads.length).toBeGreaterThanOrEqual(5);
    const first = results.findIndex((result) => result.status === 'error');
    const retrying = results.slice(first);
    expect(retrying.every((result) => result.status === 'error' && result.count === null)).toBe(
      true,
    );
    expect(retrying.some((result) => result.fetching)).toBe(true);
    // One render as a retry starts and one as it fails; the same failure keeps its error object.
    expect(retrying.length).toBeLessThanOrEqual(2 * source.reads.length);
    expect(new Set(retrying.map((result) => result.error)).size).toBe(1);
    expect(view.container.textContent).toBe('-');
  });

  it('renders 0 times for a poll that returns the same count', async () => {
    const source = countingSource(2);
    const store = track(testStore(source));
    const { results } = renderCounted(store);
    await advance(0);
    const rendersWhenReady = results.length;
    const stamp = store.getSnapshot().updatedAt;

    await advance(5_000);

    expect(source.reads.length).toBeGreaterThanOrEqual(5);
    expect(store.getSnapshot().updatedAt).not.toBe(stamp);
    expect(results.length - rendersWhenReady).toBe(0);
  });

  it('renders once when it mounts on a store that is already ready, whose subscribe hands over the current state at once', async () => {
    const source = countingSource(4);
    const store = track(testStore(source));
    const keep = store.subscribe(() => {});
    await advance(0);
    expect(store.getSnapshot()).toMatchObject({ count: 4, status: 'ready' });
    const { results } = renderCounted(store);
    await advance(0);
    expect(results).toHaveLength(1);
    expect(results[0]).toMatchObject({ count: 4, status: 'ready' });
    keep();
  });

  it('renders as often under StrictMode whatever the store hands over on subscribe', async () => {
    const source = countingSource(4);
    const store = track(testStore(source));
    const results: UseUnreadResult[] = [];
    render(
      <StrictMode>
        <Badge store={store} results={results} />
      </StrictMode>,
    );
    await advance(0);
    // StrictMode renders twice per update: idle (mount), loading, ready.
    expect(results.map((result) => result.status)).toEqual([
      'idle',
      'idle',
      'loading',
      'loading',
      'ready',
      'ready',
    ]);
  });

  it('renders once when a poll brings a new count', async () => {
    const source = countingSource(2);
    const store = track(testStore(source));
    const { results } = renderCounted(store);
    await advance(0);
    const before = results.length;
    source.answer = 5;
    await advance(1_000);
    expect(results.length - before).toBe(1);
    expect(results.at(-1)?.count).toBe(5);
  });

  it('returns the same object while nothing it holds changes', async () => {
    const source = countingSource(1);
    const store = track(testStore(source));
    const { result, rerender } = renderHook(() => useUnread(store));
    await advance(0);
    const first = result.current;
    rerender();
    await advance(3_000);
    expect(result.current).toBe(first);
  });

  it('says stale while the source serves a count it could not refresh, rendering once per change', async () => {
    const source = countingSource({ count: 2, stale: false });
    const store = track(testStore(source));
    const { results } = renderCounted(store);
    await advance(0);
    expect(results.at(-1)).toMatchObject({ count: 2, status: 'ready', stale: false });
    const before = results.length;
    source.answer = { count: 2, stale: true };
    await advance(3_000);
    expect(results.length - before).toBe(1);
    expect(results.at(-1)).toMatchObject({ count: 2, status: 'ready', stale: true });
    source.answer = 2;
    await advance(1_000);
    expect(results.length - before).toBe(2);
    expect(results.at(-1)).toMatchObject({ count: 2, stale: false });
  });

  it("says assumed while the count is the relay's assumption, rendering once per change", async () => {
    const source = countingSource({ count: 0, stale: false, assumed: true });
    const store = track(testStore(source));
    const { results } = renderCounted(store);
    await advance(0);
    expect(results.at(-1)).toMatchObject({ count: 0, status: 'ready', assumed: true });
    const before = results.length;
    source.answer = { count: 1, stale: false };
    await advance(3_000);
    expect(results.length - before).toBe(1);
    expect(results.at(-1)).toMatchObject({ count: 1, status: 'ready', assumed: false });
  });

  it('keeps the last count and shows the error when a read fails', async () => {
    const source = countingSource(4);
    const store = track(testStore(source));
    const { results } = renderCounted(store);
    await advance(0);
    source.answer = serverError();
    await advance(1_000);
    const last = results.at(-1)!;
    expect(last).toMatchObject({ count: 4, status: 'error', isLoading: false });
    expect(last.error?.code).toBe('server');
  });

  it('reports isLoading while the first read is pending', async () => {
    let answer: (count: number) => void = () => {};
    const store = track(
      testStore({
        kind: 'manual',
        scope: 'manual-loading',
        read: () => new Promise<number>((resolve) => (answer = resolve)),
      }),
    );
    const { result } = renderHook(() => useUnread(store));
    await advance(0);
    expect(result.current).toMatchObject({ status: 'loading', isLoading: true, count: null });
    await act(async () => answer(6));
    expect(result.current).toMatchObject({ status: 'ready', isLoading: false, count: 6 });
  });

  it('makes one request under StrictMode, whose double mount subscribes twice', async () => {
    const source = countingSource(1);
    const store = track(testStore(source));
    const view = render(
      <StrictMode>
        <Badge store={store} results={[]} />
      </StrictMode>,
    );
    await advance(500);
    expect(source.reads).toHaveLength(1);
    expect(view.container.textContent).toBe('1');
  });

  it('refresh() reads now and keeps its identity', async () => {
    const source = countingSource(1);
    const store = track(testStore(source));
    const { result, rerender } = renderHook(() => useUnread(store));
    await advance(0);
    const { refresh } = result.current;
    source.answer = 8;
    await act(() => result.current.refresh());
    expect(source.reads).toHaveLength(2);
    expect(result.current.count).toBe(8);
    rerender();
    expect(result.current.refresh).toBe(refresh);
  });

  it('is idle with null: no subscription, no request', async () => {
    const { result } = renderHook(() => useUnread(null));
    await advance(5_000);
    expect(result.current).toMatchObject({
      count: null,
      status: 'idle',
      error: null,
      isLoading: false,
      stale: false,
    });
    await expect(result.current.refresh()).resolves.toBeUndefined();
  });

  it('shows no-session without a session id', async () => {
    const source = countingSource(1);
    const store = track(testStore(source, null));
    const { result } = renderHook(() => useUnread(store));
    await advance(5_000);
    expect(result.current).toMatchObject({ count: null, status: 'no-session' });
    expect(source.reads).toHaveLength(0);
  });

  it('stops the store shortly after the last component unmounts', async () => {
    const source = countingSource(1);
    const store = track(testStore(source, undefined, 0));
    const { unmount } = renderHook(() => useUnread(store));
    await advance(0);
    unmount();
    await advance(10_000);
    expect(source.reads).toHaveLength(1);
  });

  it('follows a new store when the argument changes', async () => {
    const first = countingSource(1);
    const second = countingSource(9);
    const a = track(testStore(first, undefined, 0));
    const b = track(testStore(second, undefined, 0));
    const { result, rerender } = renderHook(({ store }) => useUnread(store), {
      initialProps: { store: a },
    });
    await advance(0);
    expect(result.current.count).toBe(1);
    rerender({ store: b });
    await advance(0);
    expect(result.current.count).toBe(9);
    await advance(5_000);
    expect(first.reads).toHaveLength(1);
  });
});
