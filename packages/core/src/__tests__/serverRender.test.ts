// A server render (no `location`, no `window`): the sources only a page can run are created
// without a throw, and a store on them stays idle, reading and scheduling nothing.
import { QueryClient } from '@tanstack/query-core';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createUnreadStore } from '../createUnreadStore';
import { crispChatbox } from '../crispChatbox';
import { crispRelay } from '../crispRelay';
import type { UnreadSource } from '../types';
import { rejection } from './emulator';

const sessionId = 'session_700c65e1-85e2-465a-b9ac-ecb5ec2c9881';
let client: QueryClient;
beforeEach(() => {
  vi.useFakeTimers();
  client = new QueryClient();
});
afterEach(() => {
  client.clear();
  vi.useRealTimers();
});

/** Subscribes a store on `source`, lets every timer run, and tells what it did. */
async function run(source: UnreadSource) {
  const store = createUnreadStore({ source, sessionId, queryClient: client });
  const states: string[] = [];
  const subscription = store.state$.subscribe((state) => states.push(state.status));
  await vi.advanceTimersByTimeAsync(60_000);
  await store.refresh();
  const timers = vi.getTimerCount();
  const snapshot = store.getSnapshot();
  subscription.unsubscribe();
  store.dispose();
  return { states, snapshot, timers };
}

describe('a server render', () => {
  it('has no page', () => {
    expect('location' in globalThis).toBe(false);
    expect(typeof window).toBe('undefined');
  });

  it('creates a relay source on a relative URL, unavailable, as given', () => {
    const source = crispRelay({ url: '/api/crisp-unread/', stream: true });
    expect(source).toMatchObject({ available: false, url: '/api/crisp-unread' });
    expect(crispRelay({ url: 'https://shop.example/api/crisp-unread' }).available).toBe(true);
  });

  it('keeps a store on a relative relay URL idle: no read, no timer, no throw', async () => {
    const fetch = vi.fn<typeof globalThis.fetch>();
    const result = await run(crispRelay({ url: '/api/crisp-unread', stream: true, fetch }));
    expect(result.states).toEqual(['idle']);
    expect(result.snapshot).toMatchObject({ status: 'idle', count: null, error: null });
    expect(result.timers).toBe(0);
    expect(fetch).not.toHaveBeenCalled();
  });

  it('still reads an absolute relay URL', async () => {
    const fetch = vi.fn<typeof globalThis.fetch>(
      async () => new Response(JSON.stringify({ count: 2, updatedAt: 1, stale: false })),
    );
    const result = await run(crispRelay({ url: 'http://127.0.0.1:9/relay', fetch }));
    expect(result.snapshot).toMatchObject({ status: 'ready', count: 2 });
    expect(result.timers).toBeGreaterThan(0);
    expect(fetch.mock.calls[0]![0]).toBe(`http://127.0.0.1:9/relay/sessions/${sessionId}/unread`);
  });

  it('rejects a direct read of a relative relay URL as misconfigured, naming no page', async () => {
    const source = crispRelay({ url: '/api/crisp-unread' });
    const error = await rejection(source.read(sessionId, { signal: new AbortController().signal }));
    expect(error.code).toBe('misconfigured');
    expect(error.message).toMatch(/`url` must be absolute outside a page/);
  });

  it('still refuses a relative URL with a query, a hash or credentials', () => {
    for (const url of ['/api?x=1', '/api#x', '//a:b@shop.example/api', '']) {
      expect(() => crispRelay({ url })).toThrow(/`url` must be/);
    }
  });

  it("keeps a store on the page's chatbox idle, with no timer waiting for $crisp", async () => {
    const source = crispChatbox();
    expect(source.available).toBe(false);
    const result = await run(source);
    expect(result.states).toEqual(['idle']);
    expect(result.timers).toBe(0);
    expect('$crisp' in globalThis).toBe(false);
  });

  it('runs a chatbox source given its own target', () => {
    expect(crispChatbox({ target: {} }).available).toBe(true);
  });
});
