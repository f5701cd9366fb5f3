import type { UnreadStore } from '@crisp-unread/core';
import { act } from '@testing-library/react';
import { hydrateRoot } from 'react-dom/client';
import { renderToString } from 'react-dom/server';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { useUnread } from '../useUnread';
import { countingSource, testStore } from './sources';

beforeEach(() => {
  vi.useFakeTimers();
});

afterEach(() => {
  vi.useRealTimers();
});

function Badge({ store, counts }: { store: UnreadStore; counts: (number | null)[] }) {
  const { count } = useUnread(store);
  counts.push(count);
  return <span>{count ?? 'none'}</span>;
}

describe('useUnread during hydration', () => {
  it('hydrates with count null and no request, then shows the count once mounted', async () => {
    const source = countingSource(3);
    const store = testStore(source);
    const counts: (number | null)[] = [];
    const container = document.createElement('div');
    container.innerHTML = renderToString(<Badge store={store} counts={counts} />);
    counts.length = 0;
    const onRecoverableError = vi.fn();

    let root: ReturnType<typeof hydrateRoot> | undefined;
    await act(async () => {
      root = hydrateRoot(container, <Badge store={store} counts={counts} />, {
        onRecoverableError,
      });
    });
    expect(counts[0]).toBeNull();
    await act(() => vi.advanceTimersByTimeAsync(0));

    expect(onRecoverableError).not.toHaveBeenCalled();
    expect(counts.at(-1)).toBe(3);
    expect(container.textContent).toBe('3');
    expect(source.reads).toHaveLength(1);
    act(() => root?.unmount());
    store.dispose();
  });
});
