import { setTimeout as sleep } from 'node:timers/promises';
import { createUnreadStore, crispRelay, isUnreadError, type UnreadError } from '@crisp-unread/core';
import {
  type CrispEmulator,
  type EmulatedWebsite,
  startCrispEmulator,
} from '@crisp-unread/testing';
import { QueryClient } from '@tanstack/query-core';
import { firstValueFrom, tap } from 'rxjs';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createUnreadRelay } from '../createUnreadRelay';
import { type ServedRelay, serveUnreadRelay } from '../node';
import type { UnreadRelay, UnreadRelayOptions } from '../types';
import { sseReader, testBudgetShares, waitFor } from './harness';

// The browser side (core's crispRelay source) against a real relay on 127.0.0.1, fed by the
// Crisp emulator and its signed web hooks.
const secret = 'crisp-relay-test-secret';
let emulator: CrispEmulator;
let website: EmulatedWebsite;
let sessionId: string;
let served: ServedRelay | undefined;
let relay: UnreadRelay;

beforeEach(async () => {
  emulator = await startCrispEmulator();
  website = emulator.createWebsite();
  sessionId = emulator.createSession(website.websiteId, { unread: 2 });
});

afterEach(async () => {
  await served?.close();
  served = undefined;
  await emulator.close();
});

/** The `Last-Event-ID` of every stream request the relay received (`null` without one), in order. */
let streamRequests: Array<string | null> = [];

/** The JSON reads (`GET …/unread`) the relay received. */
let jsonRequests = 0;

/** Whether the front of the relay answers every stream 502, as a proxy that kills streams. */
let failStreams = false;

/** Starts a relay, counting its stream requests as they reach it. */
async function startRelay(options: Partial<UnreadRelayOptions> = {}): Promise<string> {
  streamRequests = [];
  jsonRequests = 0;
  failStreams = false;
  const started = createUnreadRelay({
    ...emulator.restOptions(website),
    webhookSecret: secret,
    rateLimit: false,
    firstReadLimit: false,
    budgetShares: testBudgetShares,
    log: false,
    ...options,
  });
  relay = started;
  served = await serveUnreadRelay(
    {
      ...started,
      fetch: (request, ...rest) => {
        if (new URL(request.url).pathname.endsWith('/unread')) jsonRequests++;
        if (new URL(request.url).pathname.endsWith('/stream')) {
          streamRequests.push(request.headers.get('last-event-id'));
          if (failStreams)
            return Promise.resolve(new Response('<html>Bad Gateway</html>', { status: 502 }));
        }
        return started.fetch(request, ...rest);
      },
    },
    { port: 0 },
  );
  emulator.setWebhook({ url: `${served.url}/webhooks/crisp`, secret });
  return served.url;
}

const signal = () => new AbortController().signal;

async function readError(promise: Promise<unknown>): Promise<UnreadError> {
  try {
    await promise;
  } catch (error) {
    if (isUnreadError(error)) return error;
    throw error;
  }
  throw new Error('expected a rejection');
}

describe('crispRelay.read', () => {
  it('reads the count from a relay, with no key in the page', async () => {
    const source = crispRelay({ url: `${await startRelay()}/` });
    expect(source).toMatchObject({ kind: 'crisp-relay', scope: served!.url });
    expect(source.watch).toBeUndefined();
    expect(await source.read(sessionId, { signal: signal() })).toEqual({ count: 2, stale: false });
  });

  it('maps relay errors to UnreadError codes', async () => {
    // dailyBudget 4 with web hooks: 1 first read (firstReads 0.3), spent on the gone session;
    // the next cold session is refused, not assumed.
    const source = crispRelay({
      url: await startRelay({ dailyBudget: 4, assumeUnseenSessions: false }),
    });
    const gone = emulator.createSession(website.websiteId);
    emulator.deleteSession(website.websiteId, gone);
    expect((await readError(source.read(gone, { signal: signal() }))).code).toBe(
      'session-not-found',
    );
    const budget = await readError(
      source.read(emulator.createSession(website.websiteId), { signal: signal() }),
    );
    expect(budget).toMatchObject({ code: 'rate-limited', status: 503 });
    expect(budget.retryAfterMs).toBeGreaterThan(0);
    expect((await readError(source.read('nope', { signal: signal() }))).code).toBe('misconfigured');
  });
});

describe('crispRelay.watch', () => {
  it('emits the count at once and every change the emulator pushes through a web hook', async () => {
    const source = crispRelay({ url: await startRelay({ ttlMs: 3_600_000 }), stream: true });
    const counts: number[] = [];
    const subscription = source.watch!(sessionId, { signal: signal() }).subscribe(({ count }) =>
      counts.push(count),
    );
    await waitFor(() => counts.length === 1);
    emulator.operatorSends(website.websiteId, sessionId);
    await waitFor(() => counts.length === 2);
    emulator.visitorReads(website.websiteId, sessionId);
    await waitFor(() => counts.length === 3);
    expect(counts).toEqual([2, 3, 0]);
    subscription.unsubscribe();
    await waitFor(() => relay.stats().streams === 0, 5000, 'the relay saw the stream close');
  });

  it('completes when the relay closes the stream, after one connection', async () => {
    const source = crispRelay({ url: await startRelay(), stream: true });
    const counts: number[] = [];
    const errors: unknown[] = [];
    let completed = false;
    source.watch!(sessionId, { signal: signal() }).subscribe({
      next: ({ count }) => counts.push(count),
      error: (error) => errors.push(error),
      complete: () => {
        completed = true;
      },
    });
    await waitFor(() => counts.length === 1);
    // The relay ends its streams when it closes.
    await relay.close();
    await waitFor(() => completed, 5000, 'the stream completed');
    expect(errors).toEqual([]);
    expect(counts).toEqual([2]);
    // Re-opening is the store's business (pushes.ts): the source made its one connection.
    expect(streamRequests).toEqual([null]);
  });

  it('sends the last event id when the session is watched again, and forgets it when nobody watches it', async () => {
    const url = await startRelay({ ttlMs: 3_600_000, heartbeatMs: 3_600_000 });
    // Silent streams (no heartbeat) time out: a failure after which the store opens the stream again.
    const source = crispRelay({ url, stream: true, idleTimeoutMs: 200 });
    const counts: number[] = [];
    const failures: unknown[] = [];
    const watch = () =>
      source.watch!(sessionId, { signal: signal() }).subscribe({
        next: ({ count }) => counts.push(count),
        error: (error) => failures.push(error),
      });
    watch();
    await waitFor(() => failures.length === 1, 5000, 'the idle timeout');
    expect(counts).toEqual([2]);
    // The id the relay gave that count, read off a stream of its own.
    const raw = sseReader(await fetch(`${url}/sessions/${sessionId}/unread/stream`));
    await waitFor(() => raw.ids().length === 1);
    const id = raw.ids()[0]!;
    await raw.cancel();
    streamRequests = [];
    const reopened = watch();
    await waitFor(() => streamRequests.length === 1);
    expect(streamRequests).toEqual([id]);
    // The relay names the resumed count current (an `unchanged` event): the source gives it, so
    // the store knows its stream is live again rather than polling the relay.
    await waitFor(() => counts.length === 2);
    // Left by its watcher, the session's id is forgotten: the next stream starts afresh.
    reopened.unsubscribe();
    const last = watch();
    await waitFor(() => counts.length === 3);
    expect(streamRequests).toEqual([id, null]);
    expect(counts).toEqual([2, 2, 2]);
    last.unsubscribe();
    await waitFor(() => relay.stats().streams === 0, 5000, 'the relay saw the streams close');
  });

  it("errors with session-not-found on the gone event, and forgets the session's event id", async () => {
    // Without web hooks, the relay reads open streams' sessions every TTL, and so finds it gone.
    const url = await startRelay({ ttlMs: 50, webhookSecret: undefined });
    const source = crispRelay({ url, stream: true });
    const counts: number[] = [];
    let failure: unknown;
    source.watch!(sessionId, { signal: signal() }).subscribe({
      next: ({ count }) => counts.push(count),
      error: (error) => {
        failure = error;
      },
    });
    await waitFor(() => counts.length === 1);
    emulator.deleteSession(website.websiteId, sessionId);
    await waitFor(() => failure !== undefined, 5000, 'the gone event');
    expect(isUnreadError(failure) && failure.code).toBe('session-not-found');
    const error = await firstValueFrom(source.watch!(sessionId, { signal: signal() })).catch(
      (e: unknown) => e,
    );
    expect(isUnreadError(error) && error.code).toBe('session-not-found');
    expect(streamRequests).toEqual([null, null]);
  });

  it('errors with network at once when the relay cannot be reached', async () => {
    const url = await startRelay();
    await served!.close();
    served = undefined;
    const source = crispRelay({ url, stream: true });
    const error = await firstValueFrom(source.watch!(sessionId, { signal: signal() })).catch(
      (e: unknown) => e,
    );
    expect(isUnreadError(error) && error.code).toBe('network');
  });

  it('errors with timeout when the stream goes silent', async () => {
    const url = await startRelay({ heartbeatMs: 3_600_000 });
    const source = crispRelay({ url, stream: true, idleTimeoutMs: 100 });
    const counts: number[] = [];
    let failure: unknown;
    source.watch!(sessionId, { signal: signal() }).subscribe({
      next: ({ count }) => counts.push(count),
      error: (error) => {
        failure = error;
      },
    });
    await waitFor(() => failure !== undefined, 5000, 'the idle timeout');
    expect(counts).toEqual([2]);
    expect(isUnreadError(failure) && failure.code).toBe('timeout');
    await waitFor(() => relay.stats().streams === 0, 5000, 'the relay saw the stream close');
  });

  it("errors with the relay's refusal: rate-limited with its Retry-After past maxStreams", async () => {
    const source = crispRelay({ url: await startRelay({ maxStreams: 1 }), stream: true });
    const open = source.watch!(sessionId, { signal: signal() }).subscribe();
    await waitFor(() => relay.stats().streams === 1);
    const error = await firstValueFrom(source.watch!(sessionId, { signal: signal() })).catch(
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: 'rate-limited', status: 503, retryAfterMs: 30_000 });
    open.unsubscribe();
  });

  it('errors at once for a gone session', async () => {
    const source = crispRelay({ url: await startRelay(), stream: true });
    const gone = emulator.createSession(website.websiteId);
    emulator.deleteSession(website.websiteId, gone);
    const error = await firstValueFrom(source.watch!(gone, { signal: signal() })).catch(
      (e: unknown) => e,
    );
    expect(isUnreadError(error) && error.code).toBe('session-not-found');
  });

  it('completes and closes the stream when the signal aborts', async () => {
    await startRelay();
    const source = crispRelay({ url: served!.url, stream: true });
    const controller = new AbortController();
    const counts: number[] = [];
    let completed = false;
    source.watch!(sessionId, { signal: controller.signal }).subscribe({
      next: ({ count }) => counts.push(count),
      complete: () => {
        completed = true;
      },
    });
    await waitFor(() => counts.length === 1);
    expect(relay.stats().streams).toBe(1);
    controller.abort();
    expect(completed).toBe(true);
    await waitFor(() => relay.stats().streams === 0, 5000, 'the relay saw the stream close');
    expect(counts).toEqual([2]);
  });
});

describe('one reconnect policy: the store re-opens the stream (fake timers)', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  /** Waits for real I/O while the timers are fake: node:timers/promises is not faked. */
  async function io(predicate: () => boolean, what: string) {
    const deadline = performance.now() + 10_000;
    while (!predicate()) {
      if (performance.now() > deadline) throw new Error(`${what} did not happen`);
      await sleep(2);
    }
  }

  it('a failing stream is re-opened on the reconnect backoff, then once per poll interval, one connection each time', async () => {
    const url = await startRelay();
    // A front that kills streams answers them 502 (a `server` failure) while the session reads
    // well: the stream alone fails, on its own backoff. (A session whose reads fail too re-opens
    // its stream after a good read: the reads' backoff is the session's one schedule.)
    failStreams = true;
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });
    const source = crispRelay({
      url,
      stream: true,
      reconnect: { baseDelayMs: 100, maxDelayMs: 400, maxAttempts: 4, random: () => 0.999999 },
    });
    // Each connection the store opens, and each failure, as the store sees them.
    let opened = 0;
    const failures: unknown[] = [];
    const watch = source.watch!.bind(source);
    source.watch = (id, context) => {
      opened += 1;
      return watch(id, context).pipe(tap({ error: (error) => failures.push(error) }));
    };
    const store = createUnreadStore({
      source,
      sessionId,
      pollIntervalMs: 60_000,
      retry: false,
      pauseWhenHidden: false,
      crossTab: false,
      queryClient: new QueryClient(),
    });
    const subscription = store.state$.subscribe();
    // Full-jitter bounds at random() ~ 1: 100, 200, 400 ms; the 4th failure waits the interval.
    const waits = [100, 200, 400, 60_000];
    for (const [index, wait] of waits.entries()) {
      await io(() => failures.length === index + 1, `failure ${index + 1}`);
      expect(opened).toBe(index + 1);
      await vi.advanceTimersByTimeAsync(wait - 1);
      expect(opened).toBe(index + 1);
      await vi.advanceTimersByTimeAsync(1);
      expect(opened).toBe(index + 2);
    }
    await io(() => failures.length === 5, 'failure 5');
    await vi.advanceTimersByTimeAsync(59_999);
    expect(opened).toBe(5);
    subscription.unsubscribe();
    store.dispose();
    // The relay saw exactly those connections: the source opened none of its own.
    await io(() => streamRequests.length >= 5, 'the relay saw 5 streams');
    expect(streamRequests).toHaveLength(5);
    expect(failures.map((error) => isUnreadError(error) && error.code)).toEqual(
      Array(5).fill('server'),
    );
  });

  it('a stream that went silent is re-opened by the store with Last-Event-ID', async () => {
    const url = await startRelay({ ttlMs: 3_600_000 });
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });
    const source = crispRelay({
      url,
      stream: true,
      idleTimeoutMs: 10_000,
      reconnect: { baseDelayMs: 100, random: () => 0.999999 },
    });
    const store = createUnreadStore({
      source,
      sessionId,
      pollIntervalMs: 3_600_000,
      pauseWhenHidden: false,
      crossTab: false,
      queryClient: new QueryClient(),
    });
    const subscription = store.state$.subscribe();
    await io(() => store.getSnapshot().count === 2 && relay.stats().streams === 1, 'the stream');
    const raw = sseReader(await fetch(`${url}/sessions/${sessionId}/unread/stream`));
    await io(() => raw.ids().length === 1, 'the event id');
    await raw.cancel();
    // Fake heartbeats never come: the stream goes silent, fails, and is re-opened 100 ms later.
    await vi.advanceTimersByTimeAsync(10_000);
    await io(() => relay.stats().streams === 0, 'the silent stream closed');
    await vi.advanceTimersByTimeAsync(100);
    await io(() => relay.stats().streams === 1, 'the stream re-opened');
    expect(streamRequests).toEqual([null, null, raw.ids()[0]]);
    subscription.unsubscribe();
    store.dispose();
    await io(() => relay.stats().streams === 0, 'the stream closed');
  });
});

describe('a resumed stream', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('whose Last-Event-ID names the current count is live at once: the page does not poll', async () => {
    const url = await startRelay({ ttlMs: 3_600_000 });
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });
    const source = crispRelay({
      url,
      stream: true,
      idleTimeoutMs: 10_000,
      reconnect: { baseDelayMs: 100, random: () => 0.999999 },
    });
    const store = createUnreadStore({
      source,
      sessionId,
      pollIntervalMs: 3000,
      pauseWhenHidden: false,
      crossTab: false,
      queryClient: new QueryClient(),
    });
    const subscription = store.state$.subscribe();
    // Real I/O while the timers are fake: node:timers/promises is not faked.
    const io = async (predicate: () => boolean, what: string) => {
      const deadline = performance.now() + 10_000;
      while (!predicate()) {
        if (performance.now() > deadline) throw new Error(`${what} did not happen`);
        await sleep(2);
      }
    };
    await io(() => store.getSnapshot().count === 2 && relay.stats().streams === 1, 'the stream');
    // Fake heartbeats never come: the stream goes silent, fails (the page polls once meanwhile),
    // and is re-opened 100 ms later with the id of the count the relay still has.
    await vi.advanceTimersByTimeAsync(10_000);
    await io(() => relay.stats().streams === 0, 'the silent stream closed');
    await io(() => jsonRequests === 1, 'the poll that covers the gap');
    await vi.advanceTimersByTimeAsync(100);
    await io(() => relay.stats().streams === 1, 'the stream re-opened');
    expect(streamRequests).toHaveLength(2);
    expect(streamRequests[1]).not.toBeNull();
    await sleep(100);
    // Live again: the next two intervals bring no poll.
    await vi.advanceTimersByTimeAsync(6000);
    await sleep(100);
    expect(jsonRequests).toBe(1);
    subscription.unsubscribe();
    store.dispose();
    await io(() => relay.stats().streams === 0, 'the stream closed');
  });
});

describe('end to end', () => {
  it('emulator -> web hook -> relay -> SSE -> store, with no polling in between', async () => {
    const source = crispRelay({ url: await startRelay({ ttlMs: 3_600_000 }), stream: true });
    const store = createUnreadStore({
      source,
      sessionId,
      pollIntervalMs: 3_600_000,
      pauseWhenHidden: false,
      queryClient: new QueryClient(),
    });
    const counts: Array<number | null> = [];
    const subscription = store.unreadCount$.subscribe((count) => counts.push(count));
    await waitFor(() => counts.at(-1) === 2);
    emulator.operatorSends(website.websiteId, sessionId, 3);
    await waitFor(() => counts.at(-1) === 5, 10_000, 'pushed count 5');
    emulator.visitorReads(website.websiteId, sessionId);
    await waitFor(() => counts.at(-1) === 0, 10_000, 'pushed count 0');
    // Crisp was read once cold and once for the acknowledgement, whatever the store did: the
    // operator's three messages were taken at their hooks' word.
    expect(emulator.requestCount()).toBe(2);
    subscription.unsubscribe();
    store.dispose();
  });
});
