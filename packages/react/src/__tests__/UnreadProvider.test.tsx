import { isUnreadError } from '@crisp-unread/core';
import { render, renderHook } from '@testing-library/react';
import type { ReactNode } from 'react';
import { describe, expect, it, vi } from 'vitest';
import { UnreadProvider } from '../UnreadProvider';
import { useUnread } from '../useUnread';
import { advance, countingSource, storesWithFakeTimers, testStore } from './sources';

const track = storesWithFakeTimers();

function Count({ id }: { id: string }) {
  return <span data-testid={id}>{useUnread().count}</span>;
}

describe('UnreadProvider', () => {
  it('gives useUnread() with no argument the nearest store', async () => {
    const outer = track(testStore(countingSource(1)));
    const inner = track(testStore(countingSource(7)));
    const view = render(
      <UnreadProvider store={outer}>
        <Count id="outer" />
        <UnreadProvider store={inner}>
          <Count id="inner" />
        </UnreadProvider>
      </UnreadProvider>,
    );
    await advance(0);
    expect(view.getByTestId('outer').textContent).toBe('1');
    expect(view.getByTestId('inner').textContent).toBe('7');
  });

  it('lets an explicit argument win over the provider, and null opt out of it', async () => {
    const providedSource = countingSource(1);
    const provided = track(testStore(providedSource));
    const own = track(testStore(countingSource(5)));
    const wrapper = ({ children }: { children: ReactNode }) => (
      <UnreadProvider store={provided}>{children}</UnreadProvider>
    );
    const explicit = renderHook(() => useUnread(own), { wrapper });
    const none = renderHook(() => useUnread(null), { wrapper });
    await advance(5_000);
    expect(explicit.result.current.count).toBe(5);
    expect(none.result.current.status).toBe('idle');
    expect(providedSource.reads).toHaveLength(0);
  });

  it('is idle under a provider whose store is null', async () => {
    const { result } = renderHook(() => useUnread(), {
      wrapper: ({ children }) => <UnreadProvider store={null}>{children}</UnreadProvider>,
    });
    await advance(1_000);
    expect(result.current).toMatchObject({ count: null, status: 'idle' });
  });

  it('throws a clear misconfigured error for useUnread() outside any provider', () => {
    vi.spyOn(console, 'error').mockImplementation(() => {});
    let thrown: unknown;
    try {
      renderHook(() => useUnread());
    } catch (error) {
      thrown = error;
    }
    expect(isUnreadError(thrown) && thrown.code).toBe('misconfigured');
    expect(String(thrown)).toMatch(/UnreadProvider/);
  });
});
