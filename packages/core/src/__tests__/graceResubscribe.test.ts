import {
  type CrispEmulator,
  type EmulatedWebsite,
  startCrispEmulator,
} from '@crisp-unread/testing';
import { QueryClient } from '@tanstack/query-core';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createUnreadStore } from '../createUnreadStore';
import { crispRest } from '../crispRest';
import type { UnreadState } from '../types';
import { sleep, waitFor } from './emulator';
import { manualSource, scriptedSource, sessionA } from './sources';

// Found by leak.test.ts: what the store learns while it works through its grace delay without a
// subscriber never reaches its state, so a re-subscribe within the delay (React StrictMode's
// mount, unmount, mount) shows a stale state until the next poll.
describe('a re-subscribe within the grace delay', () => {
  describe('with a manual source (fake timers)', () => {
    let client: QueryClient;

    afterEach(() => {
      client.clear();
      vi.useRealTimers();
    });

    it('sees the count read while nobody was subscribed', async () => {
      vi.useFakeTimers();
      client = new QueryClient();
      const source = manualSource();
      const store = createUnreadStore({
        source,
        sessionId: sessionA,
        queryClient: client,
        pollIntervalMs: 30_000,
        graceMs: 1000,
      });
      const first = store.state$.subscribe(() => {});
      expect(store.getSnapshot().status).toBe('loading');
      first.unsubscribe();
      source.last().resolve(7);
      await vi.advanceTimersByTimeAsync(0);
      // The read is over and cached while the store is still working (grace delay).
      expect(client.getQueryData(store.queryKey!)).toEqual({ count: 7, stale: false });

      const states: UnreadState[] = [];
      const second = store.state$.subscribe((state) => states.push(state));
      await vi.advanceTimersByTimeAsync(10);
      expect(source.reads).toHaveLength(1);
      expect(store.getSnapshot()).toMatchObject({ status: 'ready', count: 7 });
      second.unsubscribe();
      store.dispose();
    });

    it('sees a count another store read into the shared cache meanwhile', async () => {
      vi.useFakeTimers();
      client = new QueryClient();
      const source = scriptedSource(3, 9);
      const options = { source, sessionId: sessionA, queryClient: client, pollIntervalMs: 30_000 };
      const store = createUnreadStore(options);
      const other = createUnreadStore(options);
      const first = store.state$.subscribe(() => {});
      await vi.advanceTimersByTimeAsync(0);
      expect(store.getSnapshot().count).toBe(3);
      first.unsubscribe();
      await other.refresh(); // the shared count becomes 9 during this store's grace delay
      expect(other.getSnapshot().count).toBe(9);
      const second = store.state$.subscribe(() => {});
      await vi.advanceTimersByTimeAsync(10);
      expect(store.getSnapshot().count).toBe(9);
      second.unsubscribe();
      store.dispose();
      other.dispose();
    });
  });

  describe('against the emulator (real timers)', () => {
    let emulator: CrispEmulator;
    let website: EmulatedWebsite;

    beforeAll(async () => {
      emulator = await startCrispEmulator();
      website = emulator.createWebsite();
    });

    afterAll(async () => {
      await emulator.close();
    });

    it('mount, unmount, mount: shows the count once the one request is answered', async () => {
      const client = new QueryClient();
      const sessionId = emulator.createSession(website.websiteId, { unread: 4 });
      emulator.fault({ type: 'latency', ms: 100 }, { sessionId, times: 1 });
      const store = createUnreadStore({
        source: crispRest(emulator.restOptions(website)),
        sessionId,
        queryClient: client,
        pollIntervalMs: 30_000,
        graceMs: 2000,
      });
      try {
        const mount1 = store.state$.subscribe(() => {});
        mount1.unsubscribe(); // StrictMode's unmount; the request stays in flight (grace)
        await waitFor(() => emulator.requestCount({ sessionId, status: 200 }) === 1, 10_000);
        await sleep(50);
        const mount2 = store.state$.subscribe(() => {});
        await sleep(500);
        expect(emulator.requestCount({ sessionId })).toBe(1);
        expect(store.getSnapshot()).toMatchObject({ status: 'ready', count: 4, sessionId });
        mount2.unsubscribe();
      } finally {
        store.dispose();
        client.clear();
      }
    });
  });
});
