import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { focusManager, onlineManager, QueryClient } from '@tanstack/query-core';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createUnreadStore } from '../createUnreadStore';
import type { UnreadStore } from '../types';
import { cycle } from './emulator';
import { scriptedSource, sessionA } from './sources';

const graceMs = 1000;
const gcTimeMs = 5000;

describe('subscription leaks (fake timers)', () => {
  let client: QueryClient;

  beforeEach(() => {
    vi.useFakeTimers();
    client = new QueryClient();
  });

  const created: UnreadStore[] = [];

  afterEach(() => {
    // A failed test must not leave a store working into the next one (focusManager is global).
    for (const store of created.splice(0)) store.dispose();
    client.clear();
    vi.useRealTimers();
  });

  /** Everything a store can hold on to once it rests. */
  function expectAtRest() {
    expect(vi.getTimerCount()).toBe(0);
    expect(client.getQueryCache().hasListeners()).toBe(false);
    expect(client.getQueryCache().getAll()).toHaveLength(0);
    expect(focusManager.hasListeners()).toBe(false);
    expect(onlineManager.hasListeners()).toBe(false);
  }

  const makeStore = (source = scriptedSource(2)) => {
    const store = createUnreadStore({
      source,
      sessionId: sessionA,
      queryClient: client,
      pollIntervalMs: 30_000,
      graceMs,
      gcTimeMs,
    });
    created.push(store);
    return store;
  };

  it('5,000 cycles on one store leave no timer or listener and make at most 2 reads', async () => {
    const source = scriptedSource(2);
    const store = makeStore(source);
    for (let i = 0; i < 5000; i++) {
      cycle(store);
      // Let reads and notifications run now and then, as an app would between renders.
      if (i % 250 === 0) await vi.advanceTimersByTimeAsync(0);
    }
    // The work is still alive during the grace delay: the counting above was not vacuous.
    // (The snapshot is not checked here: see graceResubscribe.test.ts for a stale-state bug.)
    expect(client.getQueryCache().hasListeners()).toBe(true);
    expect(focusManager.hasListeners()).toBe(true);
    expect(client.getQueryData(store.queryKey!)).toEqual({ count: 2, stale: false });
    await vi.advanceTimersByTimeAsync(graceMs + gcTimeMs + 10);
    expectAtRest();
    expect(source.calls.length).toBeGreaterThanOrEqual(1);
    expect(source.calls.length).toBeLessThanOrEqual(2);
  });

  it('50 waves over 100 stores sharing a QueryClient (5,000 store cycles) leave nothing behind', async () => {
    const source = scriptedSource(4);
    const stores = Array.from({ length: 100 }, () => makeStore(source));
    for (let wave = 0; wave < 50; wave++) {
      for (const store of stores) cycle(store);
      await vi.advanceTimersByTimeAsync(0);
    }
    expect(client.getQueryCache().hasListeners()).toBe(true);
    expect(client.getQueryData(stores[0]!.queryKey!)).toEqual({ count: 4, stale: false });
    await vi.advanceTimersByTimeAsync(graceMs + gcTimeMs + 10);
    expectAtRest();
    expect(source.calls.length).toBeGreaterThanOrEqual(1);
    expect(source.calls.length).toBeLessThanOrEqual(2);
  });

  it('5,000 interleaved cycles over 100 stores, overlapping subscriptions, leave nothing behind', async () => {
    const source = scriptedSource(1);
    const stores = Array.from({ length: 100 }, () => makeStore(source));
    const held: (() => void)[] = [];
    for (let i = 0; i < 5000; i++) {
      const store = stores[(i * 37) % stores.length]!;
      // Hold a few subscriptions open across cycles and release them later, out of order.
      const subscription = store.state$.subscribe(() => {});
      held.push(() => subscription.unsubscribe());
      cycle(store);
      if (held.length > 7) held.splice((i * 13) % held.length, 1)[0]!();
      if (i % 500 === 0) await vi.advanceTimersByTimeAsync(0);
    }
    for (const release of held.splice(0)) release();
    await vi.advanceTimersByTimeAsync(graceMs + gcTimeMs + 10);
    expectAtRest();
    expect(source.calls.length).toBeLessThanOrEqual(2);
  });

  it('cycles spaced past the grace delay restart and stop the work each time, leaving nothing', async () => {
    const source = scriptedSource(3);
    const store = makeStore(source);
    const cycles = 200;
    for (let i = 0; i < cycles; i++) {
      cycle(store);
      await vi.advanceTimersByTimeAsync(graceMs + 1);
      // Between cycles nothing runs but the gc timer of the idle count.
      expect(client.getQueryCache().hasListeners()).toBe(false);
      expect(vi.getTimerCount()).toBeLessThanOrEqual(1);
    }
    await vi.advanceTimersByTimeAsync(gcTimeMs + 10);
    expectAtRest();
    // The cached count is reused while fresh: one read per poll interval of elapsed time at most.
    const elapsed = cycles * (graceMs + 1);
    expect(source.calls.length).toBeLessThanOrEqual(Math.ceil(elapsed / 30_000) + 1);
  });

  it('dispose() after 1,000 cycles leaves nothing, without waiting for the grace delay', async () => {
    const source = scriptedSource(5);
    const store = makeStore(source);
    for (let i = 0; i < 1000; i++) cycle(store);
    await vi.advanceTimersByTimeAsync(0);
    store.dispose();
    await vi.advanceTimersByTimeAsync(0);
    expectAtRest();
  });
});

/** `global.gc`, exposed at run time when node was not started with --expose-gc. */
function exposeGc(): () => void {
  const existing = (globalThis as { gc?: () => void }).gc;
  if (typeof existing === 'function') return existing;
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

describe('heap growth (real timers)', () => {
  it('20,000 cycles over churned stores grow the heap by less than 5 MB (gc forced, measured)', async () => {
    const gc = exposeGc();
    const client = new QueryClient();
    const source = scriptedSource(2);
    // graceMs 0: every cycle tears the work down and builds it again (observer, cache listener).
    const stores = Array.from({ length: 10 }, () =>
      createUnreadStore({
        source,
        sessionId: sessionA,
        queryClient: client,
        pollIntervalMs: 60_000,
        graceMs: 0,
        gcTimeMs: 60_000,
      }),
    );
    const settle = () => new Promise<void>((resolve) => setTimeout(resolve, 20));
    // Read once and keep the count fresh in the cache: the cycles below then make no reads.
    const first = stores[0]!.state$.subscribe(() => {});
    while (stores[0]!.getSnapshot().status !== 'ready') await settle();
    first.unsubscribe();
    const round = async (cycles: number) => {
      for (let i = 0; i < cycles; i++) {
        cycle(stores[i % stores.length]!);
        if (i % 1000 === 0) await settle();
      }
      await settle();
    };
    const heap = async () => {
      await settle();
      gc();
      gc();
      return process.memoryUsage().heapUsed;
    };

    await round(4000); // warm-up: JIT, caches, the first read
    const before = await heap();
    for (let r = 0; r < 4; r++) await round(4000);
    const after = await heap();
    const growthMb = (after - before) / 1024 / 1024;
    // Observed: well under 0.1 MB. A leak of a few hundred bytes per cycle would cross 5 MB.
    expect(growthMb).toBeLessThan(5);
    expect(source.calls.length).toBeLessThanOrEqual(2);
    for (const store of stores) store.dispose();
    client.clear();
  });
});
