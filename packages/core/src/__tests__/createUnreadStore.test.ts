import { focusManager, onlineManager, QueryClient, QueryObserver } from '@tanstack/query-core';
import { BehaviorSubject, Observable, type Subscription } from 'rxjs';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createUnreadStore } from '../createUnreadStore';
import { isUnreadError, UnreadError } from '../errors';
import type { UnreadState, UnreadStoreOptions } from '../types';
import { manualSource, scriptedSource, sessionA, sessionB } from './sources';

let client: QueryClient;
const subscriptions: Subscription[] = [];

beforeEach(() => {
  vi.useFakeTimers();
  client = new QueryClient();
});

afterEach(() => {
  for (const subscription of subscriptions.splice(0)) subscription.unsubscribe();
  focusManager.setFocused(undefined);
  onlineManager.setOnline(true);
  client.clear();
  vi.useRealTimers();
});

const store = (options: Partial<UnreadStoreOptions> & Pick<UnreadStoreOptions, 'source'>) =>
  createUnreadStore({ queryClient: client, pollIntervalMs: 30_000, ...options });

/** Subscribes and records every state. */
function record(target: ReturnType<typeof createUnreadStore>) {
  const states: UnreadState[] = [];
  subscriptions.push(target.state$.subscribe((state) => states.push(state)));
  return states;
}

const settle = () => vi.advanceTimersByTimeAsync(0);

describe('createUnreadStore', () => {
  describe('without a session', () => {
    it('reports no-session with a null count and makes no request', async () => {
      const source = scriptedSource(3);
      const s = store({ source, sessionId: null });
      const states = record(s);
      await vi.advanceTimersByTimeAsync(120_000);
      expect(source.calls).toEqual([]);
      expect(states.at(-1)).toMatchObject({
        count: null,
        status: 'no-session',
        error: null,
        sessionId: null,
      });
    });

    it('reads at once when a session appears', async () => {
      const source = scriptedSource(4);
      const session$ = new BehaviorSubject<string | null>(null);
      const s = store({ source, sessionId: session$ });
      record(s);
      await vi.advanceTimersByTimeAsync(10_000);
      expect(source.calls).toEqual([]);
      session$.next(sessionA);
      await settle();
      expect(source.calls).toEqual([sessionA]);
      expect(s.getSnapshot()).toMatchObject({ count: 4, status: 'ready', sessionId: sessionA });
    });

    it('reports a malformed session id as misconfigured without a request', async () => {
      const source = scriptedSource(1);
      const s = store({ source, sessionId: 'session_../../admin' });
      record(s);
      await settle();
      expect(source.calls).toEqual([]);
      expect(s.getSnapshot()).toMatchObject({ count: null, status: 'error', sessionId: null });
      expect(s.getSnapshot().error?.code).toBe('misconfigured');
    });
  });

  describe('reading and polling', () => {
    it('is idle and makes no request until subscribed', async () => {
      const source = scriptedSource(1);
      const s = store({ source, sessionId: sessionA });
      await vi.advanceTimersByTimeAsync(60_000);
      expect(source.calls).toEqual([]);
      expect(s.getSnapshot()).toMatchObject({ status: 'idle', count: null });
      expect(vi.getTimerCount()).toBe(0);
    });

    it('goes loading -> ready and keeps polling once per interval', async () => {
      const source = scriptedSource(0, 1, 2);
      const s = store({ source, sessionId: sessionA });
      const states = record(s);
      expect(states.map((state) => state.status)).toEqual(['idle', 'loading']);
      await settle();
      expect(s.getSnapshot()).toMatchObject({ count: 0, status: 'ready', error: null });
      await vi.advanceTimersByTimeAsync(29_999);
      expect(source.calls).toHaveLength(1);
      await vi.advanceTimersByTimeAsync(1);
      expect(source.calls).toHaveLength(2);
      expect(s.getSnapshot().count).toBe(1);
      await vi.advanceTimersByTimeAsync(30_000 * 10);
      expect(source.calls).toHaveLength(12);
      expect(s.getSnapshot().count).toBe(2);
    });

    it('emits distinct counts on unreadCount$', async () => {
      const source = scriptedSource(0, 0, 1, 1, 1, 2, 0);
      const s = store({ source, sessionId: sessionA });
      const counts: (number | null)[] = [];
      subscriptions.push(s.unreadCount$.subscribe((count) => counts.push(count)));
      await vi.advanceTimersByTimeAsync(30_000 * 6);
      expect(counts).toEqual([null, 0, 1, 2, 0]);
    });

    it('keeps the same snapshot object until a field changes', async () => {
      const source = scriptedSource(2);
      const s = store({ source, sessionId: sessionA });
      record(s);
      await settle();
      const first = s.getSnapshot();
      expect(s.getSnapshot()).toBe(first);
      expect(Object.isFrozen(first)).toBe(true);
    });

    it("calls a subscribe() listener at once with the current state, then on every change (Svelte's store contract)", async () => {
      const source = scriptedSource(2, 3);
      const s = store({ source, sessionId: sessionA });
      const listener = vi.fn();
      const unsubscribe = s.subscribe(listener);
      // The idle state it was handed at once, then the read that subscribing started.
      expect(listener.mock.calls.map(([state]) => state.status)).toEqual(['idle', 'loading']);
      await settle();
      expect(listener).toHaveBeenLastCalledWith(
        expect.objectContaining({ count: 2, status: 'ready' }),
      );
      unsubscribe();
      await vi.advanceTimersByTimeAsync(120_000);
      expect(source.calls).toHaveLength(1);
    });

    it('hands a late subscribe() listener the snapshot itself at once, and nothing more until a change', async () => {
      const source = scriptedSource(2, 2, 5);
      const s = store({ source, sessionId: sessionA, pollIntervalMs: 1000 });
      record(s);
      await settle();
      const listener = vi.fn();
      const unsubscribe = s.subscribe(listener);
      expect(listener).toHaveBeenCalledTimes(1);
      expect(listener.mock.calls[0]![0]).toBe(s.getSnapshot());
      await vi.advanceTimersByTimeAsync(1000);
      // The second read answered 2 again: only `updatedAt` moved.
      expect(listener.mock.calls.map(([state]) => state.count)).toEqual([2, 2]);
      await vi.advanceTimersByTimeAsync(1000);
      expect(listener.mock.calls.map(([state]) => state.count)).toEqual([2, 2, 5]);
      unsubscribe();
    });
  });

  describe('lifecycle', () => {
    it('keeps working through a grace delay so an immediate re-subscribe makes no second request', async () => {
      const source = manualSource();
      const s = store({ source, sessionId: sessionA });
      const first = s.state$.subscribe();
      first.unsubscribe();
      const second = s.state$.subscribe();
      await settle();
      expect(source.reads).toHaveLength(1);
      expect(source.reads[0]!.signal.aborted).toBe(false);
      source.last().resolve(5);
      await settle();
      expect(s.getSnapshot().count).toBe(5);
      second.unsubscribe();
    });

    it('stops polling after the last subscriber leaves and the grace delay ends', async () => {
      const source = scriptedSource(1);
      const s = store({ source, sessionId: sessionA, graceMs: 1000 });
      const subscription = s.state$.subscribe();
      await settle();
      subscription.unsubscribe();
      await vi.advanceTimersByTimeAsync(1000);
      await vi.advanceTimersByTimeAsync(30_000 * 5);
      expect(source.calls).toHaveLength(1);
    });

    it('cancels the read in flight when the last subscriber is gone', async () => {
      const source = manualSource();
      const s = store({ source, sessionId: sessionA, graceMs: 0 });
      const subscription = s.state$.subscribe();
      await settle();
      subscription.unsubscribe();
      expect(source.last().signal.aborted).toBe(true);
    });

    it('resumes from the cache when subscribed again, reading only when stale', async () => {
      const source = scriptedSource(1, 2);
      const s = store({ source, sessionId: sessionA, graceMs: 0 });
      let subscription = s.state$.subscribe();
      await settle();
      subscription.unsubscribe();
      await vi.advanceTimersByTimeAsync(10_000);
      subscription = s.state$.subscribe();
      expect(s.getSnapshot()).toMatchObject({ count: 1, status: 'ready' });
      await settle();
      expect(source.calls).toHaveLength(1);
      await vi.advanceTimersByTimeAsync(20_000);
      expect(source.calls).toHaveLength(2);
      subscription.unsubscribe();
    });

    it('dispose() ends subscriptions, stops timers and frees its idle cache entries', async () => {
      const source = scriptedSource(1);
      const s = store({ source, sessionId: sessionA });
      const complete = vi.fn();
      s.state$.subscribe({ complete });
      await settle();
      expect(client.getQueryCache().getAll()).toHaveLength(1);
      s.dispose();
      expect(complete).toHaveBeenCalled();
      // Freed once the reads it cancelled have ended: query-core re-arms collection when one ends.
      await vi.advanceTimersByTimeAsync(0);
      expect(client.getQueryCache().getAll()).toHaveLength(0);
      expect(vi.getTimerCount()).toBe(0);
      expect(s.getSnapshot().status).toBe('idle');
      const late = vi.fn();
      s.state$.subscribe({ complete: late });
      expect(late).toHaveBeenCalled();
      await vi.advanceTimersByTimeAsync(60_000);
      expect(source.calls).toHaveLength(1);
    });
  });

  describe('session changes', () => {
    it('cancels the read for the old session and never emits its answer', async () => {
      const source = manualSource();
      const session$ = new BehaviorSubject<string | null>(sessionA);
      const s = store({ source, sessionId: session$ });
      const states = record(s);
      await settle();
      const old = source.last();
      session$.next(sessionB);
      expect(old.signal.aborted).toBe(true);
      old.resolve(99);
      await settle();
      const fresh = source.last();
      expect(fresh.sessionId).toBe(sessionB);
      fresh.resolve(1);
      await settle();
      expect(states.map((state) => state.count)).not.toContain(99);
      expect(s.getSnapshot()).toMatchObject({ count: 1, sessionId: sessionB, status: 'ready' });
    });

    it('takes a session id in another letter case for the same session, in its lower-case spelling', async () => {
      const source = scriptedSource(3);
      const session$ = new BehaviorSubject<string | null>(sessionA.toUpperCase());
      const s = store({ source, sessionId: session$ });
      record(s);
      await settle();
      expect(s.getSnapshot()).toMatchObject({ sessionId: sessionA, count: 3, status: 'ready' });
      session$.next(sessionA);
      await settle();
      expect(source.calls).toEqual([sessionA]);
      expect(s.queryKey).toEqual(['crisp-unread', source.scope, sessionA]);
    });

    it('goes back to no-session when the session goes away', async () => {
      const source = scriptedSource(3);
      const session$ = new BehaviorSubject<string | null>(sessionA);
      const s = store({ source, sessionId: session$ });
      record(s);
      await settle();
      session$.next(null);
      expect(s.getSnapshot()).toMatchObject({ count: null, status: 'no-session', sessionId: null });
      await vi.advanceTimersByTimeAsync(120_000);
      expect(source.calls).toHaveLength(1);
    });
  });

  describe('failures', () => {
    const server = () => new UnreadError('server', 'boom', { status: 500 });

    it('backs off with full jitter, keeps the last good count visible and resets on success', async () => {
      const source = scriptedSource(3, server(), server(), server(), 4, server(), 5);
      const s = store({ source, sessionId: sessionA, retry: { random: () => 0.999999 } });
      record(s);
      await settle();
      await vi.advanceTimersByTimeAsync(30_000);
      expect(s.getSnapshot()).toMatchObject({ count: 3, status: 'error' });
      expect(s.getSnapshot().error?.code).toBe('server');
      const times: number[] = [];
      const start = Date.now();
      while (source.calls.length < 5) {
        await vi.advanceTimersByTimeAsync(100);
        if (source.calls.length > 2 + times.length) times.push(Date.now() - start);
      }
      expect(times).toEqual([1000, 3000, 7000]);
      expect(s.getSnapshot()).toMatchObject({ count: 4, status: 'ready', error: null });
      await vi.advanceTimersByTimeAsync(30_000);
      expect(source.calls).toHaveLength(6);
      const before = source.calls.length;
      await vi.advanceTimersByTimeAsync(1000);
      expect(source.calls).toHaveLength(before + 1);
      expect(s.getSnapshot()).toMatchObject({ count: 5, status: 'ready' });
    });

    it('waits a whole interval after a failure when retry is false', async () => {
      const source = scriptedSource(server(), 1);
      const s = store({ source, sessionId: sessionA, retry: false });
      record(s);
      await settle();
      expect(s.getSnapshot()).toMatchObject({ count: null, status: 'error' });
      await vi.advanceTimersByTimeAsync(29_999);
      expect(source.calls).toHaveLength(1);
      await vi.advanceTimersByTimeAsync(1);
      expect(source.calls).toHaveLength(2);
    });

    it('waits exactly Retry-After on a rate limit', async () => {
      const limited = new UnreadError('rate-limited', 'slow', {
        status: 429,
        retryAfterMs: 90_000,
      });
      const source = scriptedSource(1, limited, 2);
      const s = store({ source, sessionId: sessionA });
      record(s);
      await vi.advanceTimersByTimeAsync(30_000);
      expect(s.getSnapshot()).toMatchObject({ count: 1, status: 'error' });
      await vi.advanceTimersByTimeAsync(89_999);
      expect(source.calls).toHaveLength(2);
      await vi.advanceTimersByTimeAsync(1);
      expect(source.calls).toHaveLength(3);
      expect(s.getSnapshot()).toMatchObject({ count: 2, status: 'ready' });
    });

    it('keeps its cache entry past gcTimeMs while it waits out a long Retry-After', async () => {
      const limited = new UnreadError('rate-limited', 'slow', {
        status: 429,
        retryAfterMs: 90_000,
      });
      const source = scriptedSource(1, limited, 2);
      const s = store({ source, sessionId: sessionA, gcTimeMs: 5_000 });
      record(s);
      await vi.advanceTimersByTimeAsync(30_000 + 60_000);
      // Dropping the entry would forget the error and read again at once, ignoring Retry-After.
      expect(client.getQueryCache().getAll()).toHaveLength(1);
      expect(source.calls).toHaveLength(2);
      expect(s.getSnapshot()).toMatchObject({ count: 1, status: 'error' });
      await vi.advanceTimersByTimeAsync(30_000);
      expect(source.calls).toHaveLength(3);
      expect(s.getSnapshot()).toMatchObject({ count: 2, status: 'ready' });
    });

    it('backs off a rate limit without Retry-After from the poll interval upward', async () => {
      const limited = new UnreadError('rate-limited', 'slow', { status: 420 });
      const source = scriptedSource(1, limited, limited, limited, 2);
      const s = store({ source, sessionId: sessionA, retry: { random: () => 0.999999 } });
      record(s);
      await vi.advanceTimersByTimeAsync(30_000);
      const at: number[] = [];
      const start = Date.now();
      while (source.calls.length < 5) {
        const before = source.calls.length;
        await vi.advanceTimersByTimeAsync(1000);
        if (source.calls.length > before) at.push(Date.now() - start);
      }
      expect(at).toEqual([30_000, 90_000, 210_000]);
    });

    it('stops polling on 401 until refresh()', async () => {
      const source = scriptedSource(new UnreadError('unauthorized', 'no', { status: 401 }), 6);
      const s = store({ source, sessionId: sessionA });
      record(s);
      await settle();
      expect(s.getSnapshot()).toMatchObject({ status: 'error', count: null });
      expect(s.getSnapshot().error?.code).toBe('unauthorized');
      await vi.advanceTimersByTimeAsync(3_600_000);
      expect(source.calls).toHaveLength(1);
      await s.refresh();
      expect(source.calls).toHaveLength(2);
      expect(s.getSnapshot()).toMatchObject({ status: 'ready', count: 6, error: null });
      await vi.advanceTimersByTimeAsync(30_000);
      expect(source.calls).toHaveLength(3);
    });

    it('stops polling on 403', async () => {
      const source = scriptedSource(new UnreadError('forbidden', 'no', { status: 403 }));
      const s = store({ source, sessionId: sessionA });
      record(s);
      await vi.advanceTimersByTimeAsync(600_000);
      expect(source.calls).toHaveLength(1);
      expect(s.getSnapshot().error?.code).toBe('forbidden');
    });

    it('treats 404 as a gone session: null count, no-session, no more polling', async () => {
      const source = scriptedSource(
        2,
        new UnreadError('session-not-found', 'gone', { status: 404 }),
      );
      const s = store({ source, sessionId: sessionA });
      record(s);
      await vi.advanceTimersByTimeAsync(30_000);
      expect(s.getSnapshot()).toMatchObject({
        count: null,
        status: 'no-session',
        sessionId: sessionA,
      });
      expect(s.getSnapshot().error?.code).toBe('session-not-found');
      await vi.advanceTimersByTimeAsync(600_000);
      expect(source.calls).toHaveLength(2);
    });

    it('turns a count that is not a non-negative integer into invalid-response', async () => {
      for (const bad of [-1, 1.5, Number.NaN, '3' as unknown as number]) {
        const source = scriptedSource(bad);
        const s = store({ source, sessionId: sessionA });
        record(s);
        await settle();
        expect(s.getSnapshot().count).toBeNull();
        expect(s.getSnapshot().error?.code).toBe('invalid-response');
      }
    });

    it('wraps a raw error thrown by a source into an UnreadError', async () => {
      const source = scriptedSource(1);
      source.read = async () => {
        throw new TypeError('kaput');
      };
      const s = store({ source, sessionId: sessionA });
      record(s);
      await settle();
      expect(isUnreadError(s.getSnapshot().error)).toBe(true);
    });
  });

  describe('visibility and connectivity', () => {
    it('makes no request while hidden and reads at once on becoming visible when stale', async () => {
      const source = scriptedSource(1, 2);
      const s = store({ source, sessionId: sessionA });
      record(s);
      await settle();
      focusManager.setFocused(false);
      await vi.advanceTimersByTimeAsync(300_000);
      expect(source.calls).toHaveLength(1);
      focusManager.setFocused(true);
      await settle();
      expect(source.calls).toHaveLength(2);
      expect(s.getSnapshot().count).toBe(2);
    });

    it('waits for the rest of the interval on becoming visible when the count is fresh', async () => {
      const source = scriptedSource(1);
      const s = store({ source, sessionId: sessionA });
      record(s);
      await settle();
      focusManager.setFocused(false);
      await vi.advanceTimersByTimeAsync(10_000);
      focusManager.setFocused(true);
      await settle();
      expect(source.calls).toHaveLength(1);
      await vi.advanceTimersByTimeAsync(20_000);
      expect(source.calls).toHaveLength(2);
    });

    it('does not start reading while hidden', async () => {
      focusManager.setFocused(false);
      const source = scriptedSource(1);
      const s = store({ source, sessionId: sessionA });
      record(s);
      await vi.advanceTimersByTimeAsync(60_000);
      expect(source.calls).toHaveLength(0);
      expect(s.getSnapshot().status).toBe('loading');
    });

    it('pauses while offline and reads on coming back online', async () => {
      const source = scriptedSource(1, 2);
      const s = store({ source, sessionId: sessionA });
      record(s);
      await settle();
      onlineManager.setOnline(false);
      await vi.advanceTimersByTimeAsync(120_000);
      expect(source.calls).toHaveLength(1);
      onlineManager.setOnline(true);
      await settle();
      expect(source.calls).toHaveLength(2);
    });

    it('keeps polling while hidden when pauseWhenHidden is false', async () => {
      const source = scriptedSource(1);
      const s = store({ source, sessionId: sessionA, pauseWhenHidden: false });
      record(s);
      focusManager.setFocused(false);
      await vi.advanceTimersByTimeAsync(60_000);
      expect(source.calls).toHaveLength(3);
    });
  });

  describe('dedupe', () => {
    it('makes one request per interval for 100 subscribers', async () => {
      const source = scriptedSource(1);
      const s = store({ source, sessionId: sessionA });
      for (let i = 0; i < 100; i++) record(s);
      await vi.advanceTimersByTimeAsync(30_000 * 4);
      expect(source.calls).toHaveLength(5);
    });

    it('makes one request per interval for 100 stores sharing a QueryClient', async () => {
      const source = scriptedSource(1);
      const stores = Array.from({ length: 100 }, () => store({ source, sessionId: sessionA }));
      for (const s of stores) record(s);
      await vi.advanceTimersByTimeAsync(30_000 * 4);
      expect(source.calls).toHaveLength(5);
      expect(stores.every((s) => s.getSnapshot().count === 1)).toBe(true);
    });

    it('makes one request per interval for stores subscribed at different times', async () => {
      const source = scriptedSource(1);
      const first = store({ source, sessionId: sessionA });
      record(first);
      await vi.advanceTimersByTimeAsync(7_000);
      const second = store({ source, sessionId: sessionA });
      record(second);
      await vi.advanceTimersByTimeAsync(13_000);
      const third = store({ source, sessionId: sessionA, pollIntervalMs: 30_000 });
      record(third);
      await vi.advanceTimersByTimeAsync(30_000 * 3 - 20_000);
      expect(source.calls).toHaveLength(4);
    });

    it('shares one backoff among stores: one retry per step', async () => {
      const error = new UnreadError('server', 'boom', { status: 503 });
      const source = scriptedSource(1, error, error, error, 2);
      const stores = Array.from({ length: 10 }, (_, i) =>
        store({ source, sessionId: sessionA, retry: { random: () => (i + 1) / 11 } }),
      );
      for (const s of stores) record(s);
      await vi.advanceTimersByTimeAsync(30_000);
      expect(source.calls).toHaveLength(2);
      await vi.advanceTimersByTimeAsync(10_000);
      expect(source.calls).toHaveLength(5);
      expect(stores.every((s) => s.getSnapshot().count === 2)).toBe(true);
    });

    it('lets the app observe the count with its own QueryObserver, and frees it after both leave', async () => {
      const source = scriptedSource(5);
      const s = store({ source, sessionId: sessionA, graceMs: 0, gcTimeMs: 1000 });
      const subscription = s.state$.subscribe();
      await settle();
      const seen: unknown[] = [];
      // query-core keeps an entry for the longest gcTime of its observers: the app asks for 1 s too.
      const observer = new QueryObserver(client, {
        queryKey: s.queryKey!,
        enabled: false,
        gcTime: 1000,
      });
      const stopObserving = observer.subscribe((result) => seen.push(result.data));
      expect(observer.getCurrentResult().data).toEqual({ count: 5, stale: false });
      subscription.unsubscribe();
      await vi.advanceTimersByTimeAsync(5000);
      // The store let go, the app still observes: the entry stays.
      expect(client.getQueryCache().getAll()).toHaveLength(1);
      stopObserving();
      await vi.advanceTimersByTimeAsync(2000);
      expect(client.getQueryCache().getAll()).toHaveLength(0);
      expect(vi.getTimerCount()).toBe(0);
      expect(source.calls).toHaveLength(1);
    });

    it('re-reads at once when the app invalidates the exported query key', async () => {
      const source = scriptedSource(1, 2);
      const s = store({ source, sessionId: sessionA });
      record(s);
      await settle();
      expect(s.queryKey).toEqual(['crisp-unread', source.scope, sessionA]);
      await client.invalidateQueries({ queryKey: ['crisp-unread'] });
      await settle();
      expect(source.calls).toHaveLength(2);
      expect(s.getSnapshot().count).toBe(2);
    });

    it('reads again after the app clears the cache', async () => {
      const source = scriptedSource(1, 2);
      const s = store({ source, sessionId: sessionA });
      record(s);
      await settle();
      client.clear();
      await settle();
      expect(source.calls).toHaveLength(2);
      expect(s.getSnapshot().count).toBe(2);
    });
  });

  describe('refresh()', () => {
    it('reads now even when the count is fresh, and joins a read in flight', async () => {
      const source = manualSource();
      const s = store({ source, sessionId: sessionA });
      record(s);
      await settle();
      const pending = s.refresh();
      expect(source.reads).toHaveLength(1);
      source.last().resolve(1);
      await pending;
      const again = s.refresh();
      expect(source.reads).toHaveLength(2);
      source.last().resolve(2);
      await again;
      expect(s.getSnapshot().count).toBe(2);
    });

    it('works without subscribers and then lets the store rest', async () => {
      const source = scriptedSource(7);
      const s = store({ source, sessionId: sessionA, graceMs: 0 });
      await s.refresh();
      expect(s.getSnapshot()).toMatchObject({ count: 7, status: 'ready' });
      await vi.advanceTimersByTimeAsync(120_000);
      expect(source.calls).toHaveLength(1);
    });

    it('resolves at once without a session', async () => {
      const source = scriptedSource(7);
      const s = store({ source, sessionId: null });
      await expect(s.refresh()).resolves.toBeUndefined();
      expect(source.calls).toHaveLength(0);
    });
  });

  describe('markAsRead()', () => {
    it('shows 0 at once and tells the source', async () => {
      const source = scriptedSource(3);
      const s = store({ source, sessionId: sessionA });
      record(s);
      await settle();
      await s.markAsRead();
      expect(source.marks).toEqual([sessionA]);
      expect(s.getSnapshot().count).toBe(0);
    });

    it('rolls back when the source fails', async () => {
      const source = scriptedSource(3);
      source.markError = new UnreadError('server', 'no', { status: 500 });
      const s = store({ source, sessionId: sessionA });
      const counts: (number | null)[] = [];
      subscriptions.push(s.unreadCount$.subscribe((count) => counts.push(count)));
      await settle();
      await expect(s.markAsRead()).rejects.toMatchObject({ code: 'server' });
      expect(counts).toEqual([null, 3, 0, 3]);
      expect(s.getSnapshot().count).toBe(3);
    });

    it('rejects with misconfigured when the source cannot mark as read', async () => {
      const source = manualSource();
      const s = store({ source, sessionId: sessionA });
      record(s);
      await expect(s.markAsRead()).rejects.toMatchObject({ code: 'misconfigured' });
    });
  });

  describe('options', () => {
    it.each([
      [{ source: undefined }, /`source`/],
      [{ pollIntervalMs: 0 }, /`pollIntervalMs`/],
      [{ pollIntervalMs: Number.NaN }, /`pollIntervalMs`/],
      [{ graceMs: -1 }, /`graceMs`/],
      [{ gcTimeMs: 'soon' }, /`gcTimeMs`/],
      [{ retry: { baseDelayMs: 10, maxDelayMs: 5 } }, /`retry/],
      [{ retry: 'yes' }, /`retry`/],
      [{ pauseWhenHidden: 'no' }, /`pauseWhenHidden`/],
      [{ queryClient: {} }, /`queryClient`/],
      [{ sessionId: 42 }, /`sessionId`/],
    ])('throws one clear misconfigured error for %o', (bad, message) => {
      const options = {
        source: scriptedSource(1),
        sessionId: sessionA,
        ...bad,
      } as unknown as UnreadStoreOptions;
      let thrown: unknown;
      try {
        createUnreadStore(options);
      } catch (error) {
        thrown = error;
      }
      expect(isUnreadError(thrown)).toBe(true);
      expect((thrown as UnreadError).code).toBe('misconfigured');
      expect((thrown as UnreadError).message).toMatch(message);
    });
  });

  describe('push sources (watch)', () => {
    /** A scripted source that also pushes: `push(n)` sends to every open stream. */
    function pushingSource(...answers: number[]) {
      const base = scriptedSource(...answers);
      const streams = new Set<{ next(count: number): void; error(error: unknown): void }>();
      const opened: AbortSignal[] = [];
      return Object.assign(base, {
        opened,
        streams,
        push(count: number) {
          for (const stream of streams) stream.next(count);
        },
        fail(error: unknown) {
          for (const stream of [...streams]) stream.error(error);
        },
        watch(_sessionId: string, { signal }: { signal: AbortSignal }) {
          opened.push(signal);
          return new Observable<number>((subscriber) => {
            streams.add(subscriber);
            return () => streams.delete(subscriber);
          });
        },
      });
    }

    it('shows pushed counts at once and does not poll while the stream is live', async () => {
      const source = pushingSource(1, 8);
      const s = store({ source, sessionId: sessionA });
      record(s);
      await settle();
      expect(source.calls).toHaveLength(1);
      for (let i = 2; i < 8; i++) {
        await vi.advanceTimersByTimeAsync(20_000);
        source.push(i);
        expect(s.getSnapshot()).toMatchObject({ count: i, status: 'ready' });
      }
      await vi.advanceTimersByTimeAsync(120_000);
      expect(source.calls).toHaveLength(1);
      source.fail(new UnreadError('network', 'stream dropped'));
      await settle();
      expect(source.calls).toHaveLength(2);
      expect(s.getSnapshot().count).toBe(8);
    });

    it('opens one stream per session however many stores watch it', async () => {
      const source = pushingSource(1);
      const stores = Array.from({ length: 20 }, () => store({ source, sessionId: sessionA }));
      for (const s of stores) record(s);
      await settle();
      expect(source.opened).toHaveLength(1);
      source.push(9);
      expect(stores.every((s) => s.getSnapshot().count === 9)).toBe(true);
    });

    it('re-opens a failed stream with backoff while polling goes on', async () => {
      const source = pushingSource(1, 2, 3);
      const s = store({ source, sessionId: sessionA, retry: { random: () => 0.999999 } });
      record(s);
      await settle();
      source.fail(new UnreadError('network', 'stream dropped'));
      expect(source.streams.size).toBe(0);
      await vi.advanceTimersByTimeAsync(999);
      expect(source.opened).toHaveLength(1);
      await vi.advanceTimersByTimeAsync(1);
      expect(source.opened).toHaveLength(2);
      await vi.advanceTimersByTimeAsync(30_000);
      expect(source.calls.length).toBeGreaterThanOrEqual(2);
      source.push(7);
      expect(s.getSnapshot().count).toBe(7);
    });

    it('ignores a pushed count that is not a non-negative integer, and re-opens the stream', async () => {
      const source = pushingSource(4);
      const s = store({ source, sessionId: sessionA });
      record(s);
      await settle();
      source.push(-3);
      source.push(Number.NaN);
      expect(s.getSnapshot().count).toBe(4);
      await vi.advanceTimersByTimeAsync(2000);
      expect(source.opened.length).toBeGreaterThanOrEqual(2);
    });

    it('closes the stream when the session changes or nobody watches', async () => {
      const source = pushingSource(1);
      const session$ = new BehaviorSubject<string | null>(sessionA);
      const s = store({ source, sessionId: session$, graceMs: 0 });
      const subscription = s.state$.subscribe();
      await settle();
      session$.next(sessionB);
      expect(source.opened[0]!.aborted).toBe(true);
      expect(source.opened).toHaveLength(2);
      subscription.unsubscribe();
      expect(source.opened[1]!.aborted).toBe(true);
      expect(source.streams.size).toBe(0);
    });
  });
});
