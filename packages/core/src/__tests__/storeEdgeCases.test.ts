import { focusManager, onlineManager, QueryClient, QueryObserver } from '@tanstack/query-core';
import {
  BehaviorSubject,
  defer,
  EMPTY,
  Observable,
  config as rxConfig,
  Subject,
  type Subscription,
  throwError,
} from 'rxjs';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createUnreadStore } from '../createUnreadStore';
import { isUnreadError, UnreadError } from '../errors';
import { unreadQueryKey } from '../queryKey';
import type { UnreadSource, UnreadState, UnreadStore, UnreadStoreOptions } from '../types';
import { manualSource, scriptedSource, sessionA, sessionB } from './sources';

// The store's edge cases: re-entrant listeners, session streams and push streams that answer
// inside `subscribe`, dispose at awkward moments, stores sharing a client, the app touching the
// cache, and what is left behind afterwards.

let client: QueryClient;
const subscriptions: Subscription[] = [];
const cleanups: (() => void)[] = [];
const stores: UnreadStore[] = [];
let previousOnUnhandledError: typeof rxConfig.onUnhandledError;
/** Errors rxjs reports for a subscriber's throwing callback (instead of throwing them later). */
let reported: unknown[] = [];

/** Listeners of a query-core manager (global singletons: compared to a baseline, not to 0). */
const listenerCount = (manager: typeof focusManager | typeof onlineManager) =>
  (manager as unknown as { listeners: Set<unknown> }).listeners.size;
let focusBaseline = 0;
let onlineBaseline = 0;

beforeEach(() => {
  vi.useFakeTimers();
  client = new QueryClient();
  focusBaseline = listenerCount(focusManager);
  onlineBaseline = listenerCount(onlineManager);
  reported = [];
  previousOnUnhandledError = rxConfig.onUnhandledError;
  rxConfig.onUnhandledError = (error) => reported.push(error);
});

afterEach(() => {
  for (const subscription of subscriptions.splice(0)) subscription.unsubscribe();
  for (const cleanup of cleanups.splice(0)) cleanup();
  for (const s of stores.splice(0)) s.dispose();
  focusManager.setFocused(undefined);
  onlineManager.setOnline(true);
  client.clear();
  vi.clearAllTimers();
  vi.useRealTimers();
  rxConfig.onUnhandledError = previousOnUnhandledError;
});

const store = (options: Partial<UnreadStoreOptions> & Pick<UnreadStoreOptions, 'source'>) => {
  const created = createUnreadStore({ queryClient: client, pollIntervalMs: 30_000, ...options });
  stores.push(created);
  return created;
};

/** Subscribes to `state$` and records every state. */
function record(target: UnreadStore) {
  const states: UnreadState[] = [];
  subscriptions.push(target.state$.subscribe((state) => states.push(state)));
  return states;
}

const settle = () => vi.advanceTimersByTimeAsync(0);
const advance = (ms: number) => vi.advanceTimersByTimeAsync(ms);

/** Nothing of the store's work is left: timers, cache entries and listeners, manager listeners. */
function expectAtRest() {
  expect(vi.getTimerCount()).toBe(0);
  expect(client.getQueryCache().hasListeners()).toBe(false);
  expect(client.getQueryCache().getAll()).toHaveLength(0);
  expect(listenerCount(focusManager)).toBe(focusBaseline);
  expect(listenerCount(onlineManager)).toBe(onlineBaseline);
}

/** A scripted source that also pushes, through a `watch` the test writes. */
function withWatch<S extends UnreadSource>(
  source: S,
  watch: (sessionId: string, signal: AbortSignal) => Observable<number>,
) {
  const opened: { sessionId: string; signal: AbortSignal }[] = [];
  return Object.assign(source, {
    opened,
    watch(sessionId: string, { signal }: { signal: AbortSignal }) {
      opened.push({ sessionId, signal });
      return watch(sessionId, signal);
    },
  });
}

describe('createUnreadStore edge cases', () => {
  describe('listeners that act inside a notification', () => {
    it('does not call a subscribe() listener that another listener removed during the same notification', async () => {
      const s = store({ source: scriptedSource(3), sessionId: sessionA });
      let removeLate = () => {};
      cleanups.push(
        s.subscribe((state) => {
          if (state.status === 'ready') removeLate();
        }),
      );
      const late: UnreadState[] = [];
      removeLate = s.subscribe((state) => late.push(state));
      // The state it was handed at once (subscribe's contract), and not the ready one.
      expect(late.map((state) => state.status)).toEqual(['loading']);
      await settle();
      expect(s.getSnapshot()).toMatchObject({ status: 'ready', count: 3 });
      expect(late.map((state) => state.status)).toEqual(['loading']);
    });

    it('a listener disposing the store: no listener sees a state after the final idle one', async () => {
      const s = store({ source: scriptedSource(3), sessionId: sessionA });
      cleanups.push(
        s.subscribe((state) => {
          if (state.status === 'ready') s.dispose();
        }),
      );
      const seen: UnreadState[] = [];
      cleanups.push(s.subscribe((state) => seen.push(state)));
      const observed: UnreadState[] = [];
      subscriptions.push(s.state$.subscribe((state) => observed.push(state)));
      await settle();
      expect(s.getSnapshot().status).toBe('idle');
      expect(seen.at(-1)?.status).toBe('idle');
      expect(observed.at(-1)?.status).toBe('idle');
    });

    it('a listener disposing the store on a read leaves no poll timer behind', async () => {
      const source = scriptedSource(3);
      const s = store({ source, sessionId: sessionA, pauseWhenHidden: false });
      cleanups.push(
        s.subscribe((state) => {
          if (state.status === 'ready') s.dispose();
        }),
      );
      await settle();
      expect(s.getSnapshot().status).toBe('idle');
      expectAtRest();
      await advance(120_000);
      expect(source.calls).toHaveLength(1);
    });

    it('with graceMs 0, a listener leaving inside a notification stops the work at once', async () => {
      const source = scriptedSource(3);
      const s = store({
        source,
        sessionId: sessionA,
        graceMs: 0,
        gcTimeMs: 1000,
        pauseWhenHidden: false,
      });
      let leave = () => {};
      let sawReady = false;
      leave = s.subscribe((state) => {
        if (state.status !== 'ready') return;
        sawReady = true;
        leave();
      });
      await settle();
      expect(sawReady).toBe(true);
      // Only the collection of the idle count is pending, not a poll.
      expect(client.getQueryCache().hasListeners()).toBe(false);
      expect(vi.getTimerCount()).toBe(1);
      await advance(1000);
      expectAtRest();
      await advance(120_000);
      expect(source.calls).toHaveLength(1);
    });

    it('a state$ subscriber added inside a listener gets the current state at once', async () => {
      const s = store({ source: scriptedSource(3), sessionId: sessionA });
      const inner: UnreadState[] = [];
      cleanups.push(
        s.subscribe((state) => {
          if (state.status === 'ready' && inner.length === 0)
            subscriptions.push(s.state$.subscribe((next) => inner.push(next)));
        }),
      );
      await settle();
      expect(inner).toHaveLength(1);
      expect(inner[0]).toBe(s.getSnapshot());
      expect(inner[0]).toMatchObject({ status: 'ready', count: 3 });
    });

    it('a listener that changes the count synchronously: every subscriber ends on the snapshot', async () => {
      const s = store({ source: scriptedSource(3), sessionId: sessionA });
      const first: UnreadState[] = [];
      const second: UnreadState[] = [];
      subscriptions.push(
        s.state$.subscribe((state) => {
          first.push(state);
          if (state.count === 3) client.setQueryData(s.queryKey!, 7);
        }),
      );
      subscriptions.push(s.state$.subscribe((state) => second.push(state)));
      await settle();
      expect(s.getSnapshot().count).toBe(7);
      expect(first.at(-1)).toBe(s.getSnapshot());
      expect(second.at(-1)).toBe(s.getSnapshot());
    });

    it('a subscribe() listener that throws neither hides the state from others nor breaks the read', async () => {
      const source = scriptedSource(3, 4);
      const s = store({ source, sessionId: sessionA });
      let thrown = 0;
      const bad = (state: UnreadState) => {
        if (state.status === 'ready') {
          thrown += 1;
          throw new Error('a bug in the app');
        }
      };
      try {
        cleanups.push(s.subscribe(bad));
      } catch {
        // Not the point of this test (see the next one).
      }
      const seen: UnreadState[] = [];
      cleanups.push(s.subscribe((state) => seen.push(state)));
      await settle();
      expect(thrown).toBe(1);
      expect(s.getSnapshot()).toMatchObject({ status: 'ready', count: 3, error: null });
      expect(seen.at(-1)).toBe(s.getSnapshot());
      // The shared cache entry, which the app may observe too, holds the read, not the app's bug.
      expect(client.getQueryState(s.queryKey!)).toMatchObject({
        status: 'success',
        data: { count: 3, stale: false },
      });
      await advance(30_000);
      expect(source.calls).toHaveLength(2);
      expect(s.getSnapshot()).toMatchObject({ status: 'ready', count: 4, error: null });
    });

    it('a subscribe() listener that throws on the first state does not leave the store dead', async () => {
      const source = scriptedSource(2);
      const s = store({ source, sessionId: sessionA });
      let caught: unknown;
      try {
        cleanups.push(
          s.subscribe((state) => {
            if (state.status === 'loading') throw new Error('a bug in the app');
          }),
        );
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeUndefined();
      record(s);
      await settle();
      expect(source.calls).toEqual([sessionA]);
      expect(s.getSnapshot()).toMatchObject({ status: 'ready', count: 2 });
    });

    it('disposing inside the very first notification frees the count at once', async () => {
      const source = manualSource();
      const s = store({ source, sessionId: sessionA, pauseWhenHidden: false });
      cleanups.push(
        s.subscribe((state) => {
          if (state.status === 'loading') s.dispose();
        }),
      );
      await settle();
      expect(s.getSnapshot().status).toBe('idle');
      expect(source.reads.every((read) => read.signal.aborted)).toBe(true);
      expectAtRest();
    });
  });

  describe('session changes inside a notification', () => {
    it('a session switched from a listener while the first session starts: the old one is dropped', async () => {
      const source = manualSource();
      const session$ = new BehaviorSubject<string | null>(sessionA);
      const s = store({ source, sessionId: session$, graceMs: 0, gcTimeMs: 1000 });
      const states: UnreadState[] = [];
      let switched = false;
      const leave = s.subscribe((state) => {
        states.push(state);
        if (!switched && state.sessionId === sessionA) {
          switched = true;
          session$.next(sessionB);
        }
      });
      await settle();
      expect(s.queryKey).toEqual(unreadQueryKey(source.scope, sessionB));
      for (const read of source.reads.filter((read) => read.sessionId === sessionA)) {
        expect(read.signal.aborted).toBe(true);
      }
      for (const read of source.reads) read.resolve(read.sessionId === sessionA ? 99 : 1);
      await settle();
      expect(s.getSnapshot()).toMatchObject({ sessionId: sessionB, count: 1, status: 'ready' });
      expect(states.some((state) => state.count === 99)).toBe(false);
      const readsOfA = source.reads.filter((read) => read.sessionId === sessionA).length;
      await advance(30_000);
      expect(source.reads.filter((read) => read.sessionId === sessionA)).toHaveLength(readsOfA);
      expect(source.reads.at(-1)?.sessionId).toBe(sessionB);
      leave();
      await advance(1000);
      expectAtRest();
    });

    it('disposing from a listener when a new session shows stops that session too', async () => {
      const source = scriptedSource(1);
      const session$ = new BehaviorSubject<string | null>(sessionA);
      const s = store({ source, sessionId: session$ });
      cleanups.push(
        s.subscribe((state) => {
          if (state.sessionId === sessionB) s.dispose();
        }),
      );
      await settle();
      expect(source.calls).toEqual([sessionA]);
      session$.next(sessionB);
      await settle();
      expect(s.getSnapshot().status).toBe('idle');
      const calls = source.calls.length;
      await advance(120_000);
      expect(source.calls).toHaveLength(calls);
      expectAtRest();
    });

    it('with graceMs 0, leaving from a listener when a new session shows stops that session too', async () => {
      const source = scriptedSource(1);
      const session$ = new BehaviorSubject<string | null>(sessionA);
      const s = store({ source, sessionId: session$, graceMs: 0, gcTimeMs: 1000 });
      let leave = () => {};
      leave = s.subscribe((state) => {
        if (state.sessionId === sessionB) leave();
      });
      await settle();
      session$.next(sessionB);
      await settle();
      const calls = source.calls.length;
      await advance(120_000);
      expect(source.calls).toHaveLength(calls);
      expectAtRest();
    });

    it('disposing from a listener on a pushed count of a new session closes its push stream', async () => {
      const source = withWatch(
        scriptedSource(1),
        () =>
          new Observable<number>((subscriber) => {
            subscriber.next(5); // the stream knows the count at once
          }),
      );
      const session$ = new BehaviorSubject<string | null>(sessionA);
      const s = store({ source, sessionId: session$, pauseWhenHidden: false });
      cleanups.push(
        s.subscribe((state) => {
          if (state.sessionId === sessionB && state.count === 5) s.dispose();
        }),
      );
      await settle();
      session$.next(sessionB);
      await settle();
      expect(s.getSnapshot().status).toBe('idle');
      expect(source.opened.map((open) => open.sessionId)).toEqual([sessionA, sessionB]);
      expect(source.opened.every((open) => open.signal.aborted)).toBe(true);
      await advance(120_000);
      expectAtRest();
    });
  });

  describe('session streams', () => {
    it('a session$ that errors inside subscribe: misconfigured, no read, re-subscribed after a stop', async () => {
      const source = scriptedSource(1);
      let subscribed = 0;
      const session$ = defer(() => {
        subscribed += 1;
        return throwError(() => new Error('no chatbox here'));
      });
      const s = store({ source, sessionId: session$ });
      const subscription = s.state$.subscribe();
      expect(s.getSnapshot()).toMatchObject({ status: 'error', count: null });
      expect(s.getSnapshot().error?.code).toBe('misconfigured');
      expect(isUnreadError(s.getSnapshot().error)).toBe(true);
      subscription.unsubscribe();
      await advance(1000);
      expect(vi.getTimerCount()).toBe(0);
      expect(client.getQueryCache().hasListeners()).toBe(false);
      subscriptions.push(s.state$.subscribe());
      expect(subscribed).toBe(2);
      expect(source.calls).toEqual([]);
    });

    it('a session$ that errors after a session: the read is cancelled and polling stops', async () => {
      const source = manualSource();
      const session$ = new Subject<string | null>();
      const s = store({ source, sessionId: session$ });
      record(s);
      session$.next(sessionA);
      await settle();
      const read = source.last();
      session$.error(new Error('chatbox gone'));
      expect(read.signal.aborted).toBe(true);
      expect(s.getSnapshot()).toMatchObject({ status: 'error', count: null });
      expect(s.getSnapshot().error?.code).toBe('misconfigured');
      await advance(120_000);
      expect(source.reads).toHaveLength(1);
      expect(s.queryKey).toBeNull();
    });

    it('a session store that is not an observable (Svelte-like) fails clearly, never as a thrown subscribe', async () => {
      const source = scriptedSource(1);
      const svelteLike = {
        subscribe(run: (value: string) => void) {
          run(sessionA);
          return () => {};
        },
      };
      let s: UnreadStore;
      try {
        s = store({ source, sessionId: svelteLike as unknown as Observable<string> });
      } catch (error) {
        // Refusing it up front is fine too, as the one clear error of every bad option.
        expect(isUnreadError(error)).toBe(true);
        expect((error as UnreadError).code).toBe('misconfigured');
        return;
      }
      const errors: unknown[] = [];
      subscriptions.push(s.state$.subscribe({ error: (error) => errors.push(error) }));
      expect(errors).toEqual([]);
      expect(s.getSnapshot().status).toBe('error');
      expect(s.getSnapshot().error?.code).toBe('misconfigured');
      expect(() => s.subscribe(() => {})()).not.toThrow();
      await expect(s.refresh()).resolves.toBeUndefined();
    });
  });

  describe('push streams that answer inside subscribe', () => {
    it('a count pushed at once is shown at once and spares the first read', async () => {
      const source = withWatch(
        scriptedSource(1),
        () =>
          new Observable<number>((subscriber) => {
            subscriber.next(5);
          }),
      );
      const s = store({ source, sessionId: sessionA });
      record(s);
      expect(s.getSnapshot()).toMatchObject({ count: 5, status: 'ready' });
      await advance(120_000);
      expect(source.calls).toEqual([]);
      expect(source.opened).toHaveLength(1);
    });

    it('an error inside subscribe re-opens with backoff while polling goes on, and stops with the store', async () => {
      const source = withWatch(scriptedSource(1), () =>
        throwError(() => new UnreadError('network', 'stream refused')),
      );
      const s = store({
        source,
        sessionId: sessionA,
        graceMs: 0,
        gcTimeMs: 1000,
        retry: { random: () => 0.999999 },
      });
      const subscription = s.state$.subscribe();
      await settle();
      expect(source.opened).toHaveLength(1);
      expect(source.opened[0]!.signal.aborted).toBe(true);
      expect(source.calls).toHaveLength(1);
      await advance(999);
      expect(source.opened).toHaveLength(1);
      await advance(1);
      expect(source.opened).toHaveLength(2);
      await advance(1999);
      expect(source.opened).toHaveLength(2);
      await advance(1);
      expect(source.opened).toHaveLength(3);
      await advance(30_000);
      expect(source.calls).toHaveLength(2);
      subscription.unsubscribe();
      await advance(1000);
      expectAtRest();
    });

    it('a watch() that throws instead of returning a stream is retried like a failed stream', async () => {
      let opened = 0;
      const source = Object.assign(scriptedSource(1), {
        watch(): Observable<number> {
          opened += 1;
          throw new TypeError('not today');
        },
      });
      const s = store({ source, sessionId: sessionA, retry: { random: () => 0.999999 } });
      record(s);
      await settle();
      expect(opened).toBe(1);
      expect(s.getSnapshot()).toMatchObject({ status: 'ready', count: 1 });
      await advance(1000);
      expect(opened).toBe(2);
    });

    it('a stream that completes inside subscribe is re-opened after an interval, and polling covers it', async () => {
      const source = withWatch(scriptedSource(1, 2), () => EMPTY);
      const s = store({ source, sessionId: sessionA, graceMs: 0, gcTimeMs: 1000 });
      const subscription = s.state$.subscribe();
      await settle();
      expect(source.opened).toHaveLength(1);
      await advance(29_999);
      expect(source.opened).toHaveLength(1);
      expect(source.calls).toHaveLength(1);
      await advance(1);
      expect(source.opened).toHaveLength(2);
      expect(source.calls).toHaveLength(2);
      expect(s.getSnapshot().count).toBe(2);
      subscription.unsubscribe();
      await advance(1000);
      expectAtRest();
    });

    it('the stream stays open while another store watches it and closes with the last one', async () => {
      const streams = new Set<unknown>();
      const source = withWatch(
        scriptedSource(1),
        () =>
          new Observable<number>((subscriber) => {
            streams.add(subscriber);
            return () => streams.delete(subscriber);
          }),
      );
      const first = store({ source, sessionId: sessionA, graceMs: 0 });
      const second = store({ source, sessionId: sessionA, graceMs: 0 });
      const a = first.state$.subscribe();
      const b = second.state$.subscribe();
      await settle();
      expect(source.opened).toHaveLength(1);
      a.unsubscribe();
      expect(streams.size).toBe(1);
      expect(source.opened[0]!.signal.aborted).toBe(false);
      b.unsubscribe();
      expect(streams.size).toBe(0);
      expect(source.opened[0]!.signal.aborted).toBe(true);
    });
  });

  describe('dispose at awkward moments', () => {
    it('dispose during the grace delay cancels the read and leaves nothing', async () => {
      const source = manualSource();
      const s = store({ source, sessionId: sessionA, graceMs: 1000 });
      const subscription = s.state$.subscribe();
      subscription.unsubscribe();
      await advance(500);
      expect(source.reads).toHaveLength(1);
      s.dispose();
      expect(source.last().signal.aborted).toBe(true);
      source.last().resolve(3);
      await settle();
      expect(s.getSnapshot().status).toBe('idle');
      expectAtRest();
    });

    it('dispose during refresh(): refresh resolves, the read is cancelled, nothing is left', async () => {
      const source = manualSource();
      const s = store({ source, sessionId: sessionA });
      const pending = s.refresh();
      await settle();
      expect(source.reads).toHaveLength(1);
      s.dispose();
      await expect(pending).resolves.toBeUndefined();
      expect(source.last().signal.aborted).toBe(true);
      await settle();
      expectAtRest();
    });

    it('after dispose, subscribe() is inert and both observables complete at once', async () => {
      const source = scriptedSource(1);
      const s = store({ source, sessionId: sessionA });
      s.dispose();
      const listener = vi.fn();
      s.subscribe(listener)();
      const completed = vi.fn();
      s.state$.subscribe({ complete: completed });
      s.unreadCount$.subscribe({ complete: completed });
      expect(completed).toHaveBeenCalledTimes(2);
      await expect(s.refresh()).resolves.toBeUndefined();
      await expect(s.markAsRead()).rejects.toMatchObject({ code: 'misconfigured' });
      await advance(60_000);
      expect(listener).not.toHaveBeenCalled();
      expect(source.calls).toEqual([]);
      expectAtRest();
    });
  });

  describe('calls without subscribers', () => {
    it('refresh() with the default grace delay reads once and then lets everything go', async () => {
      const source = scriptedSource(7);
      const s = store({ source, sessionId: sessionA, gcTimeMs: 5000 });
      await s.refresh();
      expect(s.getSnapshot()).toMatchObject({ count: 7, status: 'ready' });
      await advance(1000);
      expect(client.getQueryCache().hasListeners()).toBe(false);
      await advance(5000);
      expectAtRest();
      expect(source.calls).toHaveLength(1);
    });

    it('markAsRead() shows 0, tells the source and then lets everything go', async () => {
      const source = scriptedSource(3);
      const s = store({ source, sessionId: sessionA, gcTimeMs: 5000 });
      await s.markAsRead();
      expect(source.marks).toEqual([sessionA]);
      expect(s.getSnapshot().count).toBe(0);
      await advance(1000 + 5000);
      expectAtRest();
    });

    it('markAsRead() while a poll is in flight starts no read before the source has marked', async () => {
      let readsWhenMarked = -1;
      const source = Object.assign(manualSource(), {
        async markAsRead() {
          readsWhenMarked = source.reads.length;
        },
      });
      const s = store({ source, sessionId: sessionA });
      record(s);
      await settle();
      source.last().resolve(3);
      await settle();
      await advance(30_000); // the next poll is in flight
      expect(source.reads).toHaveLength(2);
      await s.markAsRead();
      expect(source.reads[1]!.signal.aborted).toBe(true);
      // A read started before the mark reaches the server answers the old count and undoes the 0.
      expect(readsWhenMarked).toBe(2);
      for (const read of source.reads.slice(2)) read.resolve(3);
      await settle();
      expect(s.getSnapshot().count).toBe(0);
    });
  });

  describe('stores sharing a client and a session', () => {
    it('the shorter poll interval wins while both work, the longer one after', async () => {
      const source = scriptedSource(1);
      const slow = store({ source, sessionId: sessionA, pollIntervalMs: 30_000, graceMs: 0 });
      const fast = store({ source, sessionId: sessionA, pollIntervalMs: 10_000, graceMs: 0 });
      record(slow);
      const subscription = fast.state$.subscribe();
      await advance(60_000);
      expect(source.calls).toHaveLength(7);
      subscription.unsubscribe();
      await advance(60_000);
      expect(source.calls).toHaveLength(9);
    });

    it('an entry kept forever by one store (gcTimeMs Infinity) is not dropped by another leaving later', async () => {
      const source = scriptedSource(1);
      const keep = store({
        source,
        sessionId: sessionA,
        graceMs: 0,
        gcTimeMs: Number.POSITIVE_INFINITY,
      });
      const brief = store({ source, sessionId: sessionA, graceMs: 0, gcTimeMs: 1000 });
      const k = keep.state$.subscribe();
      const b = brief.state$.subscribe();
      await settle();
      k.unsubscribe();
      b.unsubscribe();
      await advance(10_000);
      expect(client.getQueryData(unreadQueryKey(source.scope, sessionA))).toEqual({
        count: 1,
        stale: false,
      });
    });

    it('disposing one store keeps the entry another still works on', async () => {
      const source = scriptedSource(1, 2);
      const first = store({ source, sessionId: sessionA });
      const second = store({ source, sessionId: sessionA });
      record(first);
      record(second);
      await settle();
      first.dispose();
      expect(client.getQueryCache().getAll()).toHaveLength(1);
      await advance(30_000);
      expect(source.calls).toHaveLength(2);
      expect(second.getSnapshot()).toMatchObject({ count: 2, status: 'ready' });
    });
  });

  describe('the app and the cache', () => {
    it('queryClient.clear() during a read: the old read is aborted, a new one answers', async () => {
      const source = manualSource();
      const s = store({ source, sessionId: sessionA });
      const states = record(s);
      await settle();
      const first = source.last();
      client.clear();
      expect(first.signal.aborted).toBe(true);
      expect(source.reads).toHaveLength(2);
      source.last().resolve(4);
      first.resolve(9);
      await settle();
      expect(s.getSnapshot()).toMatchObject({ count: 4, status: 'ready' });
      expect(states.some((state) => state.count === 9)).toBe(false);
    });

    it('removeQueries() during the grace delay: the store reads again and rests afterwards', async () => {
      const source = scriptedSource(1, 2);
      const s = store({ source, sessionId: sessionA, gcTimeMs: 5000 });
      const subscription = s.state$.subscribe();
      await settle();
      subscription.unsubscribe();
      client.removeQueries({ queryKey: s.queryKey! });
      await settle();
      expect(source.calls).toHaveLength(2);
      expect(s.getSnapshot().count).toBe(2);
      await advance(1000 + 5000);
      expectAtRest();
    });

    it('a count the app put in the cache with a short gcTime is not dropped under the store', async () => {
      client = new QueryClient({ defaultOptions: { queries: { gcTime: 1000 } } });
      const source = scriptedSource(5);
      client.setQueryData(unreadQueryKey(source.scope, sessionA), 4);
      const s = store({ source, sessionId: sessionA });
      const states = record(s);
      expect(s.getSnapshot()).toMatchObject({ count: 4, status: 'ready' });
      await advance(5_000);
      expect(source.calls).toEqual([]);
      expect(states.slice(1).every((state) => state.count === 4)).toBe(true);
    });

    it('letting go does not cancel a read the app started through its own observer', async () => {
      const source = manualSource();
      const s = store({ source, sessionId: sessionA, graceMs: 0 });
      const subscription = s.state$.subscribe();
      await settle();
      source.last().resolve(1);
      await settle();
      const queryKey = s.queryKey!;
      const observer = new QueryObserver(client, {
        queryKey,
        queryFn: ({ signal }) => source.read(sessionA, { signal }),
        enabled: false,
      });
      cleanups.push(observer.subscribe(() => {}));
      const refetched = observer.refetch();
      expect(source.reads).toHaveLength(2);
      subscription.unsubscribe();
      expect(source.last().signal.aborted).toBe(false);
      source.last().resolve(7);
      await expect(refetched).resolves.toMatchObject({ data: 7 });
      expect(client.getQueryData(queryKey)).toBe(7);
    });

    it('an entry the app stops observing stays gcTimeMs after the app left', async () => {
      const source = scriptedSource(5);
      const s = store({ source, sessionId: sessionA, graceMs: 0, gcTimeMs: 10_000 });
      const subscription = s.state$.subscribe();
      await settle();
      // The app asks for the same gcTime: the entry is unused 10 s after the app leaves, either way.
      const observer = new QueryObserver(client, {
        queryKey: s.queryKey!,
        enabled: false,
        gcTime: 10_000,
      });
      const stopObserving = observer.subscribe(() => {});
      subscription.unsubscribe();
      await advance(9_900);
      stopObserving(); // unused from now on
      await advance(200);
      expect(client.getQueryCache().getAll()).toHaveLength(1);
      await advance(10_000);
      expectAtRest();
    });

    it('with gcTimeMs 0, an entry the app observes is not re-checked in a busy loop', async () => {
      const source = scriptedSource(5);
      const s = store({ source, sessionId: sessionA, graceMs: 0, gcTimeMs: 0 });
      const subscription = s.state$.subscribe();
      await settle();
      const observer = new QueryObserver(client, {
        queryKey: s.queryKey!,
        enabled: false,
        gcTime: 0,
      });
      const stopObserving = observer.subscribe(() => {});
      const cache = client.getQueryCache();
      const lookups = vi.spyOn(cache, 'get');
      subscription.unsubscribe();
      for (let i = 0; i < 100; i++) await advance(10);
      expect(lookups.mock.calls.length).toBeLessThan(20);
      lookups.mockRestore();
      stopObserving();
      await advance(1000);
      expectAtRest();
    });
  });

  it('ordinary use reports no error through rxjs', async () => {
    const source = scriptedSource(1);
    const s = store({ source, sessionId: sessionA });
    record(s);
    await advance(60_000);
    s.dispose();
    await settle();
    expect(reported).toEqual([]);
  });
});
