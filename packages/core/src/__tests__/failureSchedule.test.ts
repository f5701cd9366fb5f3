import type { CrispEmulator, EmulatedWebsite, Fault } from '@crisp-unread/testing';
import { focusManager, onlineManager, QueryClient } from '@tanstack/query-core';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createUnreadStore } from '../createUnreadStore';
import { crispRest } from '../crispRest';
import type { UnreadState, UnreadStoreOptions } from '../types';
import { runFor, useFakeClock } from './clock';
import { recordStates, useEmulator } from './emulator';

// The store's failure schedule against the Crisp emulator on 127.0.0.1, with the store's own
// defaults (1 s retry base, 5 min cap, 30 s interval) on a fake clock: the figures are the ones a
// user meets in 20 s, measured in well under a second.
let emulator: CrispEmulator;
let website: EmulatedWebsite;
useEmulator((started) => {
  ({ emulator, website } = started);
});

let client: QueryClient;
const cleanups: (() => void)[] = [];

beforeEach(() => {
  client = new QueryClient();
  useFakeClock();
});

afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
  client.clear();
  focusManager.setFocused(undefined);
  onlineManager.setOnline(true);
  vi.useRealTimers();
});

const idle = () => client.isFetching() === 0;

function start(sessionId: string, options: Partial<UnreadStoreOptions> = {}) {
  const store = createUnreadStore({
    source: crispRest(emulator.restOptions(website)),
    sessionId,
    queryClient: client,
    graceMs: 0,
    ...options,
  });
  const recording = recordStates(store);
  cleanups.push(() => {
    recording.stop();
    store.dispose();
  });
  return { store, states: recording.states };
}

/** How many times the status left `error` once it was there. */
const leavesError = (states: readonly UnreadState[]) =>
  states.filter(
    (state, i) => i > 0 && states[i - 1]!.status === 'error' && state.status !== 'error',
  ).length;

const requests = (sessionId: string) => emulator.requestCount({ sessionId });

const faults: [string, Fault][] = [
  ['500', { type: 'server-error' }],
  ['truncated JSON', { type: 'truncated-json' }],
  ['an HTML 502', { type: 'html' }],
  ['dropped connections', { type: 'drop' }],
];

describe('a never-read session while Crisp fails', () => {
  for (const [name, fault] of faults) {
    it(`makes at most 10 requests in 20 s and stays in error (${name})`, async () => {
      const sessionId = emulator.createSession(website.websiteId, { unread: 2 });
      emulator.fault(fault, { sessionId });
      const { store, states } = start(sessionId);
      await runFor(20_000, idle);
      // Failures 1-5 wait within [0.5, 1], [1, 2], [2, 4], [4, 8], [8, 16] s: 5 to 6 reads in 20 s.
      expect(requests(sessionId)).toBeGreaterThanOrEqual(4);
      expect(requests(sessionId)).toBeLessThanOrEqual(6);
      expect(leavesError(states)).toBe(0);
      expect(store.getSnapshot()).toMatchObject({ status: 'error', count: null, stale: false });
      // A retry in flight shows as `fetching`, never as `loading` again.
      const first = states.findIndex((state) => state.status === 'error');
      expect(states.slice(first).some((state) => state.fetching)).toBe(true);
      expect(states.slice(first).every((state) => state.status === 'error')).toBe(true);
      // At most one state a retry: alike failures keep the state shown, `fetching` included.
      expect(states.length - first).toBeLessThanOrEqual(requests(sessionId) - 1);
      expect(states.slice(first).every((state) => state.fetching)).toBe(true);
    });
  }

  it('recovers at the next retry and then polls at the interval', async () => {
    const sessionId = emulator.createSession(website.websiteId, { unread: 2 });
    const fault = emulator.fault({ type: 'server-error' }, { sessionId });
    const { store } = start(sessionId, { retry: { random: () => 0.5 } });
    await runFor(3000, idle); // reads at 0, 0.75 and 2.25 s
    expect(requests(sessionId)).toBe(3);
    fault.clear();
    await runFor(3000, idle); // the next at 2.25 + 3 s
    expect(requests(sessionId)).toBe(4);
    expect(store.getSnapshot()).toMatchObject({ status: 'ready', count: 2, fetching: false });
    await runFor(60_000, idle);
    expect(requests(sessionId)).toBe(6);
  });

  it('keeps the last good count, stale, while a read session fails', async () => {
    const sessionId = emulator.createSession(website.websiteId, { unread: 4 });
    const { store, states } = start(sessionId, { pollIntervalMs: 1000 });
    await runFor(100, idle);
    expect(store.getSnapshot()).toMatchObject({ status: 'ready', count: 4, stale: false });
    emulator.fault({ type: 'server-error' }, { sessionId });
    await runFor(20_000, idle);
    expect(store.getSnapshot()).toMatchObject({ status: 'error', count: 4, stale: true });
    expect(requests(sessionId)).toBeLessThanOrEqual(1 + 1 + 6);
    expect(leavesError(states)).toBe(0);
  });

  it('adds no request when query-core refetches on mount, focus, reconnect or invalidation', async () => {
    const alone = emulator.createSession(website.websiteId, { unread: 1 });
    const busy = emulator.createSession(website.websiteId, { unread: 1 });
    emulator.fault({ type: 'server-error' });
    const retry = { random: () => 0.5 };
    const quiet = start(alone, { retry });
    const disturbed = start(busy, { retry });
    for (let second = 0; second < 20; second++) {
      await runFor(1000, idle);
      // Every second: another store mounts, the page refocuses and reconnects, the app invalidates.
      start(busy, { retry });
      focusManager.setFocused(false);
      focusManager.setFocused(true);
      onlineManager.setOnline(false);
      onlineManager.setOnline(true);
      void client.invalidateQueries({ queryKey: disturbed.store.queryKey! });
    }
    expect(requests(alone)).toBe(5);
    expect(requests(busy)).toBe(requests(alone));
    expect(quiet.store.getSnapshot().status).toBe('error');
  });

  it('halts on a refused key and makes no request until refresh()', async () => {
    const sessionId = emulator.createSession(website.websiteId, { unread: 1 });
    const { store } = start(sessionId);
    emulator.fault({ type: 'server-error', status: 401 }, { sessionId });
    await runFor(60_000, idle);
    expect(requests(sessionId)).toBe(1);
    expect(store.getSnapshot().error?.code).toBe('unauthorized');
    emulator.clearFaults();
    const refreshed = store.refresh();
    await runFor(100, idle);
    await refreshed;
    expect(store.getSnapshot()).toMatchObject({ status: 'ready', count: 1 });
  });
});
