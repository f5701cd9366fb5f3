// @vitest-environment node
import { renderToString } from 'react-dom/server';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { UnreadProvider } from '../UnreadProvider';
import { useUnread } from '../useUnread';
import { countingSource, testStore } from './sources';

beforeEach(() => {
  vi.useFakeTimers();
});

afterEach(() => {
  vi.useRealTimers();
});

function Badge() {
  const { count, status } = useUnread();
  return (
    <p>
      count={String(count)} status={status}
    </p>
  );
}

describe('useUnread on the server', () => {
  it('renders count null, makes no request and leaves no timer', async () => {
    const source = countingSource(3);
    const store = testStore(source);
    const html = renderToString(
      <UnreadProvider store={store}>
        <Badge />
      </UnreadProvider>,
    );
    await vi.advanceTimersByTimeAsync(0);
    expect(html).toContain('count=<!-- -->null<!-- --> status=<!-- -->idle');
    expect(source.reads).toHaveLength(0);
    expect(vi.getTimerCount()).toBe(0);
    expect(store.getSnapshot().status).toBe('idle');
  });

  it('shows count null even when the store already has a count', async () => {
    const source = countingSource(3);
    const store = testStore(source);
    const unsubscribe = store.subscribe(() => {});
    await vi.advanceTimersByTimeAsync(0);
    expect(store.getSnapshot().count).toBe(3);
    const html = renderToString(
      <UnreadProvider store={store}>
        <Badge />
      </UnreadProvider>,
    );
    unsubscribe();
    store.dispose();
    expect(html).toContain('count=<!-- -->null');
  });
});
