import { environmentManager, focusManager, QueryClient } from '@tanstack/query-core';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createUnreadStore } from '../createUnreadStore';
import type { UnreadStore } from '../types';
import { scriptedSource, sessionA } from './sources';

// The store binds each count to its cache entry through query-core's public API: to query-core
// the entry is an active query with one observer per working store.
let client: QueryClient;
const stores: UnreadStore[] = [];

beforeEach(() => {
  vi.useFakeTimers();
  client = new QueryClient();
});

afterEach(() => {
  for (const store of stores.splice(0)) store.dispose();
  focusManager.setFocused(undefined);
  client.clear();
  vi.useRealTimers();
});

const store = (source: ReturnType<typeof scriptedSource>) => {
  const created = createUnreadStore({
    source,
    sessionId: sessionA,
    queryClient: client,
    pollIntervalMs: 30_000,
    graceMs: 0,
  });
  stores.push(created);
  return created;
};

const entry = (s: UnreadStore) => client.getQueryCache().find({ queryKey: s.queryKey! });

describe('the cache binding', () => {
  it('is an active query to query-core while the store reads, and an inactive one while hidden', async () => {
    const s = store(scriptedSource(1));
    const subscription = s.state$.subscribe();
    await vi.advanceTimersByTimeAsync(0);
    expect(entry(s)?.isActive()).toBe(true);
    focusManager.setFocused(false);
    expect(entry(s)?.isActive()).toBe(false);
    focusManager.setFocused(true);
    expect(entry(s)?.isActive()).toBe(true);
    subscription.unsubscribe();
  });

  it("is refetched by the app's refetchQueries({ type: 'active' })", async () => {
    const source = scriptedSource(1, 2);
    const s = store(source);
    const subscription = s.state$.subscribe();
    await vi.advanceTimersByTimeAsync(0);
    await client.refetchQueries({ type: 'active' });
    expect(source.calls).toHaveLength(2);
    expect(s.getSnapshot().count).toBe(2);
    subscription.unsubscribe();
  });

  it('has one observer per working store, and none once they rest', async () => {
    const source = scriptedSource(1);
    const working = [store(source), store(source), store(source)];
    const subscriptions = working.map((s) => s.state$.subscribe());
    await vi.advanceTimersByTimeAsync(0);
    expect(entry(working[0]!)?.getObserversCount()).toBe(3);
    const query = entry(working[0]!)!;
    for (const subscription of subscriptions) subscription.unsubscribe();
    expect(query.getObserversCount()).toBe(0);
    expect(source.calls).toHaveLength(1);
  });

  it('polls in Node, where query-core schedules no refetch interval, without switching that off', async () => {
    expect(environmentManager.isServer()).toBe(true);
    const source = scriptedSource(1);
    const subscription = store(source).state$.subscribe();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(source.calls).toHaveLength(3);
    expect(environmentManager.isServer()).toBe(true);
    subscription.unsubscribe();
  });
});
