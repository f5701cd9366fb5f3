import {
  createUnreadStore,
  crispRelay,
  type UnreadState,
  type UnreadStore,
} from '@crisp-unread/core';
import { type CrispEmulator, startCrispEmulator } from '@crisp-unread/testing';
import { QueryClient } from '@tanstack/query-core';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createUnreadRelay } from '../createUnreadRelay';
import { type ServedRelay, serveUnreadRelay } from '../node';
import type { UnreadRelay } from '../types';
import { runFor, useFakeClock } from './harness';

// A page's store (core's crispRelay source) against a real relay on 127.0.0.1 that cannot serve:
// what the relay answers decides what the page does next, on the JSON and the stream paths alike.
// The store's own defaults (1 s retry base, 30 s interval) run on a fake clock.
let emulator: CrispEmulator;
let served: ServedRelay | undefined;
let client: QueryClient;
const requests: string[] = [];
let inFlight = 0;
const stores: UnreadStore[] = [];

beforeEach(async () => {
  emulator = await startCrispEmulator();
  requests.length = 0;
});

afterEach(async () => {
  for (const store of stores.splice(0)) store.dispose();
  client?.clear();
  vi.useRealTimers();
  await served?.close();
  served = undefined;
  await emulator.close();
});

/** Serves `relay`, logging each request's path as it reaches it. */
async function serve(relay: UnreadRelay): Promise<string> {
  served = await serveUnreadRelay(
    {
      ...relay,
      fetch: async (request, ...rest) => {
        requests.push(new URL(request.url).pathname);
        inFlight++;
        try {
          return await relay.fetch(request, ...rest);
        } finally {
          inFlight--;
        }
      },
    },
    { port: 0 },
  );
  return served.url;
}

function page(url: string, stream: boolean) {
  client = new QueryClient();
  const website = emulator.createWebsite();
  const sessionId = emulator.createSession(website.websiteId, { unread: 1 });
  const store = createUnreadStore({
    source: crispRelay({ url, stream }),
    sessionId,
    queryClient: client,
    graceMs: 0,
  });
  stores.push(store);
  const states: UnreadState[] = [];
  store.state$.subscribe((state) => states.push(state));
  return { store, states };
}

const idle = () => inFlight === 0 && client.isFetching() === 0;

describe('a page on a misconfigured relay', () => {
  for (const stream of [false, true]) {
    it(`makes at most 3 requests in 15 s and shows misconfigured (stream: ${stream})`, async () => {
      // Built at the first request without its key: every answer is 500 `misconfigured`.
      const url = await serve(
        createUnreadRelay(() => ({
          ...emulator.restOptions(emulator.createWebsite()),
          key: '',
          log: false,
        })),
      );
      useFakeClock();
      const { store } = page(url, stream);
      await runFor(15_000, idle);
      expect(requests.length).toBeLessThanOrEqual(3);
      expect(requests.length).toBeGreaterThanOrEqual(1);
      expect(store.getSnapshot()).toMatchObject({ status: 'error', count: null });
      expect(store.getSnapshot().error?.code).toBe('misconfigured');
      // It stays halted: a minute more adds nothing.
      const before = requests.length;
      await runFor(60_000, idle, 500);
      expect(requests.length).toBe(before);
    });
  }
});

describe('a page on a relay whose Crisp token is refused', () => {
  it('halts with unauthorized on the JSON and stream paths alike', async () => {
    const website = emulator.createWebsite();
    const url = await serve(
      createUnreadRelay({
        ...emulator.restOptions(website),
        rateLimit: false,
        firstReadLimit: false,
        log: false,
      }),
    );
    emulator.fault({ type: 'server-error', status: 401 });
    useFakeClock();
    const { store } = page(url, true);
    await runFor(30_000, idle, 100);
    expect(store.getSnapshot().error?.code).toBe('unauthorized');
    expect(requests.length).toBeLessThanOrEqual(3);
  });
});

describe('a page on a relay during a Crisp outage', () => {
  it('backs off on upstream-unavailable: at most 10 requests in 20 s, status stays error', async () => {
    const website = emulator.createWebsite();
    const url = await serve(
      createUnreadRelay({
        ...emulator.restOptions(website),
        rateLimit: false,
        firstReadLimit: false,
        log: false,
      }),
    );
    emulator.fault({ type: 'server-error' });
    useFakeClock();
    const { store, states } = page(url, true);
    await runFor(20_000, idle, 100);
    expect(requests.length).toBeLessThanOrEqual(10);
    expect(store.getSnapshot()).toMatchObject({ status: 'error', count: null });
    expect(store.getSnapshot().error?.code).toBe('server');
    const first = states.findIndex((state) => state.status === 'error');
    expect(states.slice(first).every((state) => state.status === 'error')).toBe(true);
  });
});
