import { getEventListeners } from 'node:events';
import { focusManager, onlineManager, QueryClient } from '@tanstack/query-core';
import type { Subscription } from 'rxjs';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createUnreadStore } from '../createUnreadStore';
import { crispRelay, relayError, sseParser } from '../crispRelay';
import { resumePoints } from '../sse';
import { cycle, rejection } from './emulator';

// The parts of crispRelay that need no relay; the rest is tested against a real relay in
// packages/relay (src/__tests__/crispRelay.test.ts), which depends on core.
const signal = () => new AbortController().signal;
const sessionId = 'session_700c65e1-85e2-465a-b9ac-ecb5ec2c9881';

describe('crispRelay.read', () => {
  it('maps 429, 502 and 504 answers, and rejects bad bodies as invalid-response', () => {
    expect(relayError(429, { error: 'rate-limited' }, '7')).toMatchObject({
      code: 'rate-limited',
      retryAfterMs: 7000,
    });
    expect(relayError(400, { error: 'invalid-session-id' }, null).code).toBe('misconfigured');
    expect(relayError(502, { error: 'upstream-unavailable', upstream: 'server' }, null).code).toBe(
      'server',
    );
    expect(relayError(502, { error: 'upstream-unauthorized' }, null).code).toBe('unauthorized');
    expect(relayError(504, { error: 'upstream-unavailable' }, null).code).toBe('timeout');
  });

  it('maps every relay answer to the code the README table gives', () => {
    const table: [number, string | null, string | null, string, number | undefined][] = [
      [500, 'misconfigured', null, 'misconfigured', undefined],
      [502, 'upstream-unauthorized', null, 'unauthorized', undefined],
      [502, 'upstream-forbidden', null, 'forbidden', undefined],
      [502, 'upstream-not-subscribed', null, 'misconfigured', undefined],
      [503, 'budget-exhausted', '120', 'rate-limited', 120_000],
      [429, 'rate-limited', '3', 'rate-limited', 3000],
      [429, 'too-many-streams', '30', 'rate-limited', 30_000],
      [503, 'too-many-streams', '30', 'rate-limited', 30_000],
      [404, 'session-not-found', null, 'session-not-found', undefined],
      [404, 'not-found', null, 'misconfigured', undefined],
      [502, 'upstream-unavailable', null, 'server', undefined],
      [503, 'upstream-unavailable', '60', 'server', 60_000],
      [504, 'upstream-unavailable', null, 'timeout', undefined],
      [400, 'invalid-session-id', null, 'misconfigured', undefined],
      [500, 'internal', null, 'server', undefined],
      [503, 'relay-closed', null, 'server', undefined],
      // No relay code: a proxy's page, or an older relay.
      [502, null, null, 'server', undefined],
      [503, null, null, 'server', undefined],
      [429, null, null, 'rate-limited', undefined],
      [404, null, null, 'session-not-found', undefined],
    ];
    for (const [status, code, retryAfter, expected, retryAfterMs] of table) {
      const body = code === null ? undefined : { error: code, message: 'said' };
      expect(relayError(status, body, retryAfter), `${status} ${code}`).toMatchObject({
        code: expected,
        status,
        retryAfterMs,
      });
    }
    // A hostile code that names an Object.prototype member is not a relay code.
    expect(relayError(502, { error: 'constructor' }, null).code).toBe('server');
  });

  it('rejects a body that is not a count', async () => {
    const fake = async () =>
      new Response(JSON.stringify({ count: -1, updatedAt: 1 }), { status: 200 });
    const source = crispRelay({ url: 'http://127.0.0.1:9', fetch: fake });
    expect((await rejection(source.read(sessionId, { signal: signal() }))).code).toBe(
      'invalid-response',
    );
  });

  it('reads stale from the body: missing is fresh (an older relay), a non-boolean is invalid', async () => {
    const answering = (body: unknown) =>
      crispRelay({
        url: 'http://127.0.0.1:9',
        fetch: async () => new Response(JSON.stringify(body), { status: 200 }),
      }).read(sessionId, { signal: signal() });
    expect(await answering({ count: 3, updatedAt: 1, stale: true })).toEqual({
      count: 3,
      stale: true,
    });
    expect(await answering({ count: 3, updatedAt: 1 })).toEqual({ count: 3, stale: false });
    expect((await rejection(answering({ count: 3, updatedAt: 1, stale: 'yes' }))).code).toBe(
      'invalid-response',
    );
  });

  it('reads assumed from the body: only when true, a non-boolean is invalid', async () => {
    const answering = (body: unknown) =>
      crispRelay({
        url: 'http://127.0.0.1:9',
        fetch: async () => new Response(JSON.stringify(body), { status: 200 }),
      }).read(sessionId, { signal: signal() });
    expect(await answering({ count: 0, updatedAt: 1, stale: false, assumed: true })).toEqual({
      count: 0,
      stale: false,
      assumed: true,
    });
    expect(await answering({ count: 2, updatedAt: 1, assumed: false })).toEqual({
      count: 2,
      stale: false,
    });
    expect((await rejection(answering({ count: 0, updatedAt: 1, assumed: 1 }))).code).toBe(
      'invalid-response',
    );
  });

  it("shows a relay's assumed count as assumed until a read replaces it", async () => {
    let body: unknown = { count: 0, updatedAt: 1, stale: false, assumed: true };
    const source = crispRelay({
      url: 'http://127.0.0.1:9',
      fetch: async () => new Response(JSON.stringify(body), { status: 200 }),
    });
    const store = createUnreadStore({ source, sessionId, queryClient: new QueryClient() });
    const states: { count: number | null; assumed: boolean; status: string }[] = [];
    const unsubscribe = store.subscribe(({ count, assumed, status }) =>
      states.push({ count, assumed, status }),
    );
    await vi.waitFor(() => expect(store.getSnapshot().status).toBe('ready'));
    expect(store.getSnapshot()).toMatchObject({ count: 0, assumed: true, stale: false });
    body = { count: 2, updatedAt: 2, stale: false };
    await store.refresh();
    expect(store.getSnapshot()).toMatchObject({ count: 2, assumed: false, status: 'ready' });
    expect(states.filter((state) => state.assumed).map((state) => state.count)).toEqual([0]);
    unsubscribe();
    store.dispose();
  });

  it('refuses reconnect settings that cannot make a backoff', () => {
    const url = 'http://127.0.0.1:9';
    for (const reconnect of [
      { baseDelayMs: -1 },
      { baseDelayMs: 5000, maxDelayMs: 1000 },
      { maxDelayMs: Number.POSITIVE_INFINITY },
      { baseDelayMs: Number.NaN },
    ]) {
      expect(() => crispRelay({ url, stream: true, reconnect })).toThrow(/reconnect\.maxDelayMs/);
    }
    expect(() => crispRelay({ url, reconnect: { maxAttempts: 0 } })).toThrow(/maxAttempts/);
    expect(() => crispRelay({ url, reconnect: { random: 1 as never } })).toThrow(/random/);
  });

  it('refuses a bad url', () => {
    expect(() => crispRelay({ url: 'ftp://x' })).toThrow(/url/);
    expect(() => crispRelay({ url: 'https://a:b@x' })).toThrow(/url/);
  });
});

describe('sseParser', () => {
  it('parses events split anywhere, CRLF lines, comments and ids', () => {
    const events: unknown[] = [];
    const feed = sseParser((event) => events.push(event));
    const text =
      'retry: 3000\r\n\r\n: ping\n\nevent: count\nid: 7\ndata: {"count":1}\n\ndata: a\ndata: b\n\n';
    for (const char of text) feed(char);
    expect(events).toEqual([
      { event: 'count', data: '{"count":1}', id: '7' },
      { event: 'message', data: 'a\nb', id: '7' },
    ]);
  });
});

describe('resumePoints', () => {
  it('keeps an id for a re-connection, drops it when the last stream is left, and stays bounded', () => {
    const resume = resumePoints(4);
    const a = resume.open('a');
    a.id = '7';
    resume.close('a', a, true);
    expect(resume.open('a').id).toBe('7');
    const again = resume.points.get('a')!;
    const b = resume.open('a');
    resume.close('a', again, false);
    expect(resume.points.get('a')?.id).toBe('7');
    resume.close('a', b, false);
    expect(resume.points.has('a')).toBe(false);
    // Ids kept for re-connections that never come go first; open streams keep theirs.
    const open = resume.open('open');
    for (let i = 0; i < 100; i++) resume.close(`s${i}`, resume.open(`s${i}`), true);
    expect(resume.points.size).toBeLessThanOrEqual(4);
    expect(resume.points.get('open')).toBe(open);
  });
});

/**
 * The relay's endpoints in process, for fake timers: reads answer `{ count }`, and each stream
 * request is one connection the test writes to and ends.
 */
function inProcessRelay(count = 2) {
  const encoder = new TextEncoder();
  const streams: Array<{
    lastEventId: string | null;
    signal: AbortSignal;
    send(text: string): void;
    end(): void;
  }> = [];
  const fetch = async (url: string, init: RequestInit) => {
    if (!url.endsWith('/stream')) {
      return Response.json({ count, updatedAt: 1, stale: false });
    }
    let controller!: ReadableStreamDefaultController<Uint8Array>;
    const body = new ReadableStream<Uint8Array>({
      start: (started) => {
        controller = started;
      },
    });
    const signal = init.signal!;
    // As fetch does: an aborted request errors its body.
    signal.addEventListener('abort', () => controller.error(signal.reason), { once: true });
    streams.push({
      lastEventId: new Headers(init.headers).get('last-event-id'),
      signal,
      send: (text) => controller.enqueue(encoder.encode(text)),
      end: () => controller.close(),
    });
    return new Response(body, { headers: { 'content-type': 'text/event-stream' } });
  };
  return { fetch, streams };
}

const countEvent = (id: number, count: number, stale = false) =>
  `event: count\nid: ${id}\ndata: ${JSON.stringify({ count, updatedAt: id, stale })}\n\n`;

describe('crispRelay.watch (in process, fake timers)', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  const url = 'http://127.0.0.1:9/relay';

  /** Subscribes to `watch` and keeps what it says. */
  function watching(source: ReturnType<typeof crispRelay>, context = { signal: signal() }) {
    const readings: unknown[] = [];
    const said: { error?: unknown; completed?: boolean } = {};
    const subscription = source.watch!(sessionId, context).subscribe({
      next: (reading) => readings.push(reading),
      error: (error) => {
        said.error = error;
      },
      complete: () => {
        said.completed = true;
      },
    });
    return { readings, said, subscription };
  }

  it('makes one connection per subscription: it completes when the stream ends and never reconnects', async () => {
    const relay = inProcessRelay();
    const source = crispRelay({ url, stream: true, fetch: relay.fetch });
    expect(crispRelay({ url }).reconnect).toBeUndefined();
    expect(source.reconnect).toMatchObject({
      baseDelayMs: 1000,
      maxDelayMs: 30_000,
      maxAttempts: 5,
    });
    const watch = watching(source);
    await vi.advanceTimersByTimeAsync(0);
    relay.streams[0]!.send(`retry: 3000\n\n${countEvent(1, 2, true)}`);
    await vi.advanceTimersByTimeAsync(0);
    expect(watch.readings).toEqual([{ count: 2, stale: true }]);
    relay.streams[0]!.end();
    await vi.advanceTimersByTimeAsync(0);
    expect(watch.said).toEqual({ completed: true });
    await vi.advanceTimersByTimeAsync(600_000);
    expect(relay.streams).toHaveLength(1);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('errors with timeout when the stream is silent for idleTimeoutMs, heartbeats keeping it alive', async () => {
    const relay = inProcessRelay();
    const source = crispRelay({ url, stream: true, fetch: relay.fetch, idleTimeoutMs: 1000 });
    const watch = watching(source);
    await vi.advanceTimersByTimeAsync(900);
    relay.streams[0]!.send(': ping\n\n');
    await vi.advanceTimersByTimeAsync(900);
    expect(watch.said).toEqual({});
    await vi.advanceTimersByTimeAsync(100);
    expect(watch.said.error).toMatchObject({ code: 'timeout' });
    expect(relay.streams[0]!.signal.aborted).toBe(true);
    await vi.advanceTimersByTimeAsync(600_000);
    expect(relay.streams).toHaveLength(1);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('moves the idle deadline on each chunk without a new timer per chunk (Node: refresh)', async () => {
    const relay = inProcessRelay();
    const source = crispRelay({ url, stream: true, fetch: relay.fetch, idleTimeoutMs: 45_000 });
    const setTimeoutSpy = vi.spyOn(globalThis, 'setTimeout');
    const watch = watching(source);
    await vi.advanceTimersByTimeAsync(0);
    for (let beat = 0; beat < 40; beat++) {
      relay.streams[0]!.send(': ping\n\n');
      await vi.advanceTimersByTimeAsync(15_000);
    }
    // 40 heartbeats over 10 minutes: one timer, refreshed by each.
    expect(setTimeoutSpy).toHaveBeenCalledOnce();
    expect(watch.said).toEqual({});
    await vi.advanceTimersByTimeAsync(45_000);
    expect(watch.said.error).toMatchObject({ code: 'timeout' });
    setTimeoutSpy.mockRestore();
  });

  it('errors with invalid-response on a count that is not one, and with network on a failed connection', async () => {
    const relay = inProcessRelay();
    const source = crispRelay({ url, stream: true, fetch: relay.fetch });
    const watch = watching(source);
    await vi.advanceTimersByTimeAsync(0);
    relay.streams[0]!.send(countEvent(1, -1));
    await vi.advanceTimersByTimeAsync(0);
    expect(watch.said.error).toMatchObject({ code: 'invalid-response' });
    const refused = crispRelay({
      url,
      stream: true,
      fetch: async () => {
        throw new TypeError('fetch failed');
      },
    });
    const failed = watching(refused);
    await vi.advanceTimersByTimeAsync(0);
    expect(failed.said.error).toMatchObject({ code: 'network' });
  });

  it('sends Last-Event-ID when the session is watched again, forgets it when left or gone', async () => {
    const relay = inProcessRelay();
    const source = crispRelay({ url, stream: true, fetch: relay.fetch });
    const first = watching(source);
    await vi.advanceTimersByTimeAsync(0);
    relay.streams[0]!.send(countEvent(41, 2) + countEvent(42, 3));
    relay.streams[0]!.end();
    await vi.advanceTimersByTimeAsync(0);
    expect(first.readings).toEqual([
      { count: 2, stale: false },
      { count: 3, stale: false },
    ]);
    // Re-opened as the store does after an end: it resumes, and then the watcher leaves.
    watching(source).subscription.unsubscribe();
    watching(source);
    await vi.advanceTimersByTimeAsync(0);
    relay.streams[2]!.send(countEvent(43, 1));
    relay.streams[2]!.send('event: gone\ndata: {"error":"session-not-found"}\n\n');
    await vi.advanceTimersByTimeAsync(0);
    const afterGone = watching(source);
    await vi.advanceTimersByTimeAsync(0);
    expect(relay.streams.map((stream) => stream.lastEventId)).toEqual([null, '42', null, null]);
    afterGone.subscription.unsubscribe();
  });

  it('1,000 watches left or ended leave no timer, no abort listener and no open connection', async () => {
    const relay = inProcessRelay();
    const source = crispRelay({ url, stream: true, fetch: relay.fetch });
    const context = new AbortController();
    for (let i = 0; i < 1000; i++) {
      const watch = watching(source, { signal: context.signal });
      await vi.advanceTimersByTimeAsync(0);
      const stream = relay.streams[i]!;
      stream.send(countEvent(i + 1, i));
      // One in three ends by itself (as the relay closing it), one in three fails.
      if (i % 3 === 0) stream.end();
      if (i % 3 === 1) stream.send('event: count\ndata: nonsense\n\n');
      await vi.advanceTimersByTimeAsync(0);
      watch.subscription.unsubscribe();
      expect(watch.readings).toHaveLength(1);
    }
    expect(relay.streams.every((stream) => stream.signal.aborted)).toBe(true);
    expect(getEventListeners(context.signal, 'abort')).toHaveLength(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('stores on it, subscribed and left 500 times, leave nothing behind', async () => {
    const relay = inProcessRelay(5);
    const source = crispRelay({ url, stream: true, fetch: relay.fetch });
    const client = new QueryClient();
    const store = createUnreadStore({ source, sessionId, queryClient: client, graceMs: 1000 });
    const subscriptions: Subscription[] = [];
    for (let i = 0; i < 500; i++) {
      cycle(store);
      if (i % 50 === 0) {
        subscriptions.push(store.state$.subscribe());
        await vi.advanceTimersByTimeAsync(0);
        relay.streams.at(-1)?.send(countEvent(i + 1, 5));
        await vi.advanceTimersByTimeAsync(0);
        subscriptions.pop()!.unsubscribe();
      }
    }
    expect(store.getSnapshot().count).toBe(5);
    await vi.advanceTimersByTimeAsync(1000 + 300_000 + 10);
    expect(relay.streams.length).toBeGreaterThan(0);
    expect(relay.streams.every((stream) => stream.signal.aborted)).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
    expect(client.getQueryCache().getAll()).toHaveLength(0);
    expect(focusManager.hasListeners()).toBe(false);
    expect(onlineManager.hasListeners()).toBe(false);
    store.dispose();
  });
});
