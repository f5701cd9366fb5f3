import { focusManager, onlineManager, QueryClient } from '@tanstack/query-core';
import { Observable, type Subscriber, type Subscription } from 'rxjs';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createUnreadStore } from '../createUnreadStore';
import { UnreadError } from '../errors';
import type { StreamReconnect, UnreadStoreOptions } from '../types';
import { scriptedSource, sessionA } from './sources';

// pushes.ts is the one reconnect policy of push streams: a source's `watch` makes one connection
// per subscription, and the store re-opens it on the source's `reconnect` backoff when it gives
// one, else on the store's `retry` settings.
let client: QueryClient;
const subscriptions: Subscription[] = [];

beforeEach(() => {
  vi.useFakeTimers();
  client = new QueryClient();
});

afterEach(() => {
  for (const subscription of subscriptions.splice(0)) subscription.unsubscribe();
  client.clear();
  vi.useRealTimers();
});

/** A source whose every `watch` subscription is one connection the test ends by hand. */
function streamingSource(reconnect?: StreamReconnect) {
  const connections: Subscriber<number>[] = [];
  const source = Object.assign(scriptedSource(1), {
    reconnect,
    connections,
    /** Fails the open connection. */
    fail(error = new UnreadError('network', 'stream dropped')) {
      connections.at(-1)!.error(error);
    },
    watch: () =>
      new Observable<number>((subscriber) => {
        connections.push(subscriber);
      }),
  });
  return source;
}

const pollIntervalMs = 30_000;

function start(options: Partial<UnreadStoreOptions> & Pick<UnreadStoreOptions, 'source'>) {
  const store = createUnreadStore({
    queryClient: client,
    pollIntervalMs,
    sessionId: sessionA,
    pauseWhenHidden: false,
    crossTab: false,
    ...options,
  });
  subscriptions.push(store.state$.subscribe());
  return store;
}

/** Advances to one millisecond before `ms`, checks nothing opened, then to `ms`. */
async function expectReopenedAfter(source: ReturnType<typeof streamingSource>, ms: number) {
  const opened = source.connections.length;
  await vi.advanceTimersByTimeAsync(ms - 1);
  expect(source.connections).toHaveLength(opened);
  await vi.advanceTimersByTimeAsync(1);
  expect(source.connections).toHaveLength(opened + 1);
}

const reconnect = (patch: Partial<StreamReconnect> = {}): StreamReconnect => ({
  baseDelayMs: 100,
  maxDelayMs: 400,
  maxAttempts: 4,
  random: () => 0.999999,
  ...patch,
});

describe('the push layer: one reconnect policy', () => {
  it("re-opens a failed stream on the source's reconnect backoff, not the store's retry", async () => {
    const source = streamingSource(reconnect());
    start({ source, retry: { baseDelayMs: 5000, random: () => 0.999999 } });
    await vi.advanceTimersByTimeAsync(0);
    expect(source.connections).toHaveLength(1);
    // Full jitter at random() ~ 1: 100, 200, then 400 (the cap).
    for (const wait of [100, 200, 400]) {
      source.fail();
      await expectReopenedAfter(source, wait);
    }
  });

  it('after maxAttempts failures in a row, re-opens once per poll interval until a count comes', async () => {
    const source = streamingSource(reconnect({ maxAttempts: 2 }));
    start({ source });
    await vi.advanceTimersByTimeAsync(0);
    source.fail();
    await expectReopenedAfter(source, 100);
    for (let i = 0; i < 3; i++) {
      source.fail();
      await expectReopenedAfter(source, pollIntervalMs);
    }
    // A count delivered starts the count of failures anew.
    source.connections.at(-1)!.next(4);
    source.fail();
    await expectReopenedAfter(source, 100);
  });

  it('honours a Retry-After longer than the poll interval past maxAttempts, and the interval when it is shorter', async () => {
    const source = streamingSource(reconnect({ maxAttempts: 1 }));
    start({ source });
    await vi.advanceTimersByTimeAsync(0);
    source.fail(new UnreadError('rate-limited', 'busy', { retryAfterMs: 120_000 }));
    await expectReopenedAfter(source, 120_000);
    source.fail(new UnreadError('rate-limited', 'busy', { retryAfterMs: 5000 }));
    await expectReopenedAfter(source, pollIntervalMs);
  });

  it("uses the store's retry settings when the source gives no reconnect", async () => {
    const source = streamingSource();
    start({ source, retry: { baseDelayMs: 5000, maxDelayMs: 8000, random: () => 0.999999 } });
    await vi.advanceTimersByTimeAsync(0);
    for (const wait of [5000, 8000, 8000]) {
      source.fail();
      await expectReopenedAfter(source, wait);
    }
  });

  it('re-opens a stream that ended after a poll interval, and stops with the store', async () => {
    const source = streamingSource(reconnect());
    const store = start({ source });
    await vi.advanceTimersByTimeAsync(0);
    source.connections.at(-1)!.complete();
    await expectReopenedAfter(source, pollIntervalMs);
    for (const subscription of subscriptions.splice(0)) subscription.unsubscribe();
    store.dispose();
    await vi.advanceTimersByTimeAsync(10 * pollIntervalMs);
    expect(source.connections).toHaveLength(2);
    expect(source.connections.every((connection) => connection.closed)).toBe(true);
  });
});

describe('the push layer: one failure schedule per session', () => {
  it('does not re-open a stream refused for good until a refresh() reads well', async () => {
    const source = streamingSource(reconnect());
    // The relay lacks its key: it answers every read and stream 500 `misconfigured`.
    const refused = new UnreadError('misconfigured', 'the relay lacks its key', { status: 500 });
    let fixed = false;
    source.read = async (sessionId: string) => {
      source.calls.push(sessionId);
      if (!fixed) throw refused;
      return 3;
    };
    const store = start({ source });
    await vi.advanceTimersByTimeAsync(0);
    source.fail(refused);
    await vi.advanceTimersByTimeAsync(10 * pollIntervalMs);
    expect(source.connections).toHaveLength(1);
    expect(source.calls).toHaveLength(1);
    fixed = true;
    await store.refresh();
    await vi.advanceTimersByTimeAsync(0);
    expect(source.connections).toHaveLength(2);
    expect(source.calls).toHaveLength(2);
  });

  it('waits for a good read before re-opening the stream of a session whose reads fail', async () => {
    const source = streamingSource(reconnect());
    const down = new UnreadError('server', 'down', { status: 502 });
    let failing = true;
    source.read = async (sessionId: string) => {
      source.calls.push(sessionId);
      if (failing) throw down;
      return 3;
    };
    start({ source, retry: { random: () => 0.999999 } });
    await vi.advanceTimersByTimeAsync(0);
    source.fail(down);
    // The reads back off (1, 2, 4, 8 s…); the stream does not knock on its own meanwhile.
    await vi.advanceTimersByTimeAsync(15_000);
    expect(source.connections).toHaveLength(1);
    expect(source.calls.length).toBeLessThanOrEqual(5);
    failing = false;
    await vi.advanceTimersByTimeAsync(16_000);
    expect(source.connections).toHaveLength(2);
  });

  it('re-checks the count once when a page on a live stream wakes (visible again, back online)', async () => {
    const source = streamingSource(reconnect());
    start({ source, pauseWhenHidden: true });
    await vi.advanceTimersByTimeAsync(0);
    source.connections.at(-1)!.next(2);
    const reads = source.calls.length;
    focusManager.setFocused(false);
    await vi.advanceTimersByTimeAsync(5 * pollIntervalMs);
    expect(source.calls.length).toBe(reads);
    focusManager.setFocused(true);
    await vi.advanceTimersByTimeAsync(0);
    expect(source.calls.length).toBe(reads + 1);
    onlineManager.setOnline(false);
    onlineManager.setOnline(true);
    await vi.advanceTimersByTimeAsync(0);
    expect(source.calls.length).toBe(reads + 2);
    // Live and awake: no poll.
    await vi.advanceTimersByTimeAsync(5 * pollIntervalMs);
    expect(source.calls.length).toBe(reads + 2);
    focusManager.setFocused(undefined);
  });
});
