import { createUnreadStore, crispRelay, isUnreadError, type UnreadError } from '@crisp-unread/core';
import {
  type CrispEmulator,
  type EmulatedWebsite,
  startCrispEmulator,
} from '@crisp-unread/testing';
import { QueryClient } from '@tanstack/query-core';
import { firstValueFrom } from 'rxjs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createUnreadRelay } from '../createUnreadRelay';
import { type ServedRelay, serveUnreadRelay } from '../node';
import type { UnreadRelay, UnreadRelayOptions } from '../types';
import { waitFor } from './harness';

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

async function startRelay(options: Partial<UnreadRelayOptions> = {}): Promise<string> {
  relay = createUnreadRelay({
    ...emulator.restOptions(website),
    webhookSecret: secret,
    rateLimit: false,
    log: false,
    ...options,
  });
  served = await serveUnreadRelay(relay, { port: 0 });
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
    const source = crispRelay({ url: await startRelay({ dailyBudget: 1 }) });
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

  it('reconnects with Last-Event-ID when the relay drops the stream', async () => {
    const url = await startRelay({ ttlMs: 3_600_000 });
    const source = crispRelay({
      url,
      stream: true,
      reconnect: { baseDelayMs: 10, maxDelayMs: 20, random: () => 1 },
    });
    const counts: number[] = [];
    const errors: unknown[] = [];
    const subscription = source.watch!(sessionId, { signal: signal() }).subscribe({
      next: ({ count }) => counts.push(count),
      error: (error) => errors.push(error),
    });
    await waitFor(() => counts.length === 1);
    // A new relay on the same port: the old one (and its streams) is gone.
    const port = served!.port;
    await served!.close();
    const relay = createUnreadRelay({
      ...emulator.restOptions(website),
      webhookSecret: secret,
      rateLimit: false,
      log: false,
    });
    served = await serveUnreadRelay(relay, { port });
    emulator.operatorSends(website.websiteId, sessionId);
    await waitFor(() => counts.at(-1) === 3);
    expect(errors).toEqual([]);
    subscription.unsubscribe();
  });

  it('errors with an UnreadError once it gives up', async () => {
    const url = await startRelay();
    await served!.close();
    served = undefined;
    const source = crispRelay({
      url,
      stream: true,
      reconnect: { baseDelayMs: 1, maxDelayMs: 2, maxAttempts: 3 },
    });
    const error = await firstValueFrom(source.watch!(sessionId, { signal: signal() })).catch(
      (e: unknown) => e,
    );
    expect(isUnreadError(error) && error.code).toBe('network');
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
    // Crisp was read once cold and once per web hook, whatever the store did.
    expect(emulator.requestCount()).toBe(3);
    subscription.unsubscribe();
    store.dispose();
  });
});
