// @vitest-environment happy-dom
import { focusManager, onlineManager, QueryClient } from '@tanstack/query-core';
import { BehaviorSubject } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createUnreadStore } from '../createUnreadStore';
import { cycle } from './emulator';
import { scriptedSource, sessionA } from './sources';

type Add = EventTarget['addEventListener'];
type Remove = EventTarget['removeEventListener'];

/** Live listeners per target, counted through wrapped add/removeEventListener. */
const live = new Map<string, Set<string>>();
const listenerIds = new WeakMap<object, number>();
let nextId = 0;
const restore: (() => void)[] = [];

function idOf(listener: unknown): number {
  if (typeof listener !== 'object' && typeof listener !== 'function') return -1;
  if (listener === null) return -1;
  let id = listenerIds.get(listener);
  if (id === undefined) {
    id = ++nextId;
    listenerIds.set(listener, id);
  }
  return id;
}

const captureOf = (options: unknown) =>
  typeof options === 'boolean'
    ? options
    : Boolean((options as { capture?: boolean } | undefined)?.capture);

function wrap(name: string, target: EventTarget) {
  const add = target.addEventListener;
  const remove = target.removeEventListener;
  const set = new Set<string>();
  live.set(name, set);
  target.addEventListener = function (this: EventTarget, type, listener, options) {
    if (listener) set.add(`${type}|${idOf(listener)}|${captureOf(options)}`);
    return add.call(this, type, listener, options);
  } as Add;
  target.removeEventListener = function (this: EventTarget, type, listener, options) {
    if (listener) set.delete(`${type}|${idOf(listener)}|${captureOf(options)}`);
    return remove.call(this, type, listener, options);
  } as Remove;
  restore.push(() => {
    target.addEventListener = add;
    target.removeEventListener = remove;
  });
}

const liveCount = () => [...live.values()].reduce((sum, set) => sum + set.size, 0);
const liveTypes = () =>
  [...live.entries()].flatMap(([name, set]) =>
    [...set].map((key) => `${name}:${key.split('|')[0]}`),
  );

beforeAll(() => {
  wrap('window', window);
  wrap('document', document);
});

afterAll(() => {
  for (const undo of restore.splice(0)) undo();
});

describe('window and document listeners in a page', () => {
  it('return to the starting number after 5,000 cycles over 100 stores and the grace delay', async () => {
    vi.useFakeTimers();
    const client = new QueryClient();
    try {
      const before = liveCount();
      const source = scriptedSource(2);
      const stores = Array.from({ length: 100 }, () =>
        createUnreadStore({
          source,
          sessionId: sessionA,
          queryClient: client,
          pollIntervalMs: 30_000,
          graceMs: 1000,
          gcTimeMs: 5000,
        }),
      );
      const held = stores[0]!.state$.subscribe(() => {});
      await vi.advanceTimersByTimeAsync(0);
      // While a store works it listens for visibility and connectivity: the counting is live.
      expect(liveCount()).toBeGreaterThan(before);
      expect(liveTypes()).toEqual(
        expect.arrayContaining(['window:visibilitychange', 'window:online']),
      );
      expect(focusManager.hasListeners()).toBe(true);
      held.unsubscribe();

      for (let i = 0; i < 5000; i++) {
        cycle(stores[i % stores.length]!);
        if (i % 500 === 0) await vi.advanceTimersByTimeAsync(0);
      }
      await vi.advanceTimersByTimeAsync(1000 + 5000 + 10);
      expect(liveTypes()).toEqual([]);
      expect(liveCount()).toBe(before);
      expect(focusManager.hasListeners()).toBe(false);
      expect(onlineManager.hasListeners()).toBe(false);
      expect(vi.getTimerCount()).toBe(0);
      expect(source.calls.length).toBeLessThanOrEqual(2);
      for (const store of stores) store.dispose();
    } finally {
      client.clear();
      vi.useRealTimers();
    }
  });

  it('return to the starting number after 1,000 session changes and dispose()', async () => {
    vi.useFakeTimers();
    const client = new QueryClient();
    try {
      const before = liveCount();
      const session$ = new BehaviorSubject<string | null>(sessionA);
      const source = scriptedSource(1);
      const store = createUnreadStore({
        source,
        sessionId: session$,
        queryClient: client,
        pollIntervalMs: 30_000,
      });
      const held = store.state$.subscribe(() => {});
      for (let i = 0; i < 1000; i++) {
        session$.next(
          i % 3 === 0 ? null : `session_1b2c3d4e-0000-4000-8000-${String(i % 7).padStart(12, '0')}`,
        );
        if (i % 100 === 0) await vi.advanceTimersByTimeAsync(0);
      }
      held.unsubscribe();
      store.dispose();
      await vi.advanceTimersByTimeAsync(0);
      expect(liveCount()).toBe(before);
      expect(focusManager.hasListeners()).toBe(false);
    } finally {
      client.clear();
      vi.useRealTimers();
    }
  });
});
