// @vitest-environment happy-dom

import {
  type CrispEmulator,
  createFakeCrisp,
  type FakeCrisp,
  startCrispEmulator,
} from '@crisp-unread/testing';
import { QueryClient } from '@tanstack/query-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { createUnreadStore } from '../createUnreadStore';
import { crispChatbox } from '../crispChatbox';
import { crispRest } from '../crispRest';
import type { UnreadState, UnreadStore } from '../types';

const sessionId = 'session_700c65e1-85e2-465a-b9ac-ecb5ec2c9881';
let host: Record<string, unknown>;
let fake: FakeCrisp;
let client: QueryClient;
const cleanups: (() => void)[] = [];

beforeEach(() => {
  host = {};
  fake = createFakeCrisp(host);
  client = new QueryClient();
});

afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
  client.clear();
  vi.useRealTimers();
});

function watch(store: UnreadStore) {
  const states: UnreadState[] = [];
  const subscription = store.state$.subscribe((state) => states.push(state));
  cleanups.push(() => {
    subscription.unsubscribe();
    store.dispose();
  });
  return states;
}

const chatboxStore = (options: { reconcileMs?: number } = {}) =>
  createUnreadStore({ source: crispChatbox({ target: host, ...options }), queryClient: client });

describe('crispChatbox', () => {
  it('shows no count until the session has loaded, then the chatbox count', () => {
    fake.install();
    const store = chatboxStore();
    watch(store);
    expect(store.getSnapshot()).toMatchObject({ count: null, status: 'no-session' });
    fake.load({ sessionId });
    expect(store.getSnapshot()).toMatchObject({ count: 0, status: 'ready', sessionId });
  });

  it('works when Crisp loaded before the store was created', () => {
    fake.install();
    fake.load({ sessionId });
    fake.operatorSends(3);
    const store = chatboxStore();
    watch(store);
    expect(store.getSnapshot()).toMatchObject({ count: 3, status: 'ready', sessionId });
  });

  it('follows operator messages and the chat opening, at once', () => {
    fake.install();
    const store = chatboxStore();
    const counts: (number | null)[] = [];
    const subscription = store.unreadCount$.subscribe((count) => counts.push(count));
    cleanups.push(() => subscription.unsubscribe());
    fake.load({ sessionId });
    fake.operatorSends(1);
    fake.operatorSends(1);
    fake.openChat();
    fake.closeChat();
    fake.operatorSends(1);
    expect(counts).toEqual([null, 0, 1, 2, 0, 1]);
  });

  it('never makes a network request', () => {
    const fetchSpy = vi.spyOn(globalThis, 'fetch');
    fake.install();
    const store = chatboxStore();
    watch(store);
    fake.load({ sessionId });
    fake.operatorSends(2);
    expect(store.getSnapshot().count).toBe(2);
    expect(fetchSpy).not.toHaveBeenCalled();
    fetchSpy.mockRestore();
  });

  it('reconciles locally when an event was missed', () => {
    vi.useFakeTimers();
    fake.install();
    const store = chatboxStore({ reconcileMs: 5000 });
    watch(store);
    fake.load({ sessionId });
    (fake.handlers as Map<string, unknown>).delete('message:received'); // the event goes missing
    fake.operatorSends(4);
    expect(store.getSnapshot().count).toBe(0);
    vi.advanceTimersByTime(5000);
    expect(store.getSnapshot().count).toBe(4);
  });

  it('coexists with the host app listening to the same events', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    fake.install();
    const appListener = vi.fn();
    const store = chatboxStore();
    watch(store);
    fake.load({ sessionId });
    (host.$crisp as { push: (command: unknown[]) => void }).push([
      'on',
      'message:received',
      appListener,
    ]);
    fake.operatorSends(2);
    expect(appListener).toHaveBeenCalledTimes(2);
    expect(store.getSnapshot().count).toBe(2);
    expect(warn).toHaveBeenCalledTimes(1);
    warn.mockRestore();
  });

  it('marks messages read through the chatbox: 0 at once', async () => {
    fake.install();
    fake.load({ sessionId });
    fake.operatorSends(2);
    const store = chatboxStore();
    watch(store);
    await store.markAsRead();
    expect(fake.actions).toContainEqual(['do', 'message:read']);
    expect(store.getSnapshot().count).toBe(0);
    expect(fake.unread).toBe(0);
  });

  it("queues markAsRead before Crisp's script exists, as crisp-sdk-web does, and Crisp runs it", async () => {
    expect(host.$crisp).toBeUndefined();
    await crispChatbox({ target: host }).markAsRead!(sessionId, {
      signal: new AbortController().signal,
    });
    expect(host.$crisp).toEqual([['do', 'message:read']]);
    // The snippet's own `$crisp = []` replaces the queue: the command moves over.
    host.$crisp = [];
    expect(host.$crisp).toEqual([['do', 'message:read']]);
    fake.install();
    fake.load({ sessionId });
    expect(fake.actions).toEqual([['do', 'message:read']]);
  });

  it('stops listening when the last subscriber leaves', () => {
    vi.useFakeTimers();
    fake.install();
    fake.load({ sessionId });
    const store = createUnreadStore({
      source: crispChatbox({ target: host }),
      queryClient: client,
      graceMs: 0,
    });
    const subscription = store.state$.subscribe();
    subscription.unsubscribe();
    store.dispose();
    client.clear();
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('the chatbox session as the default for other sources', () => {
  let emulator: CrispEmulator;
  beforeAll(async () => {
    emulator = await startCrispEmulator();
  });
  afterAll(async () => {
    await emulator.close();
  });

  it('reads the REST count of the session the chatbox loaded', async () => {
    const website = emulator.createWebsite();
    const id = emulator.createSession(website.websiteId, { unread: 2 });
    const page = globalThis as { $crisp?: unknown };
    const pageFake = createFakeCrisp(page);
    pageFake.install();
    cleanups.push(() => {
      delete page.$crisp;
    });
    const store = createUnreadStore({
      source: crispRest({ ...emulator.restOptions(website), dangerouslyAllowBrowser: true }),
      queryClient: client,
    });
    watch(store);
    expect(store.getSnapshot().status).toBe('no-session');
    expect(emulator.requestCount()).toBe(0);
    pageFake.load({ sessionId: id });
    await vi.waitFor(() => expect(store.getSnapshot()).toMatchObject({ count: 2, sessionId: id }), {
      timeout: 15_000,
    });
    expect(emulator.requestCount({ sessionId: id })).toBe(1);
  });
});
