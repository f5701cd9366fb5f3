import { setTimeout as sleep } from 'node:timers/promises';
import {
  type CrispEmulator,
  type EmulatedWebsite,
  startCrispEmulator,
} from '@crisp-unread/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createUnreadRelay } from '../createUnreadRelay';
import { memoryStore } from '../memoryStore';
import { type ServedRelay, serveUnreadRelay } from '../node';
import type { RelayStore, UnreadRelay } from '../types';
import { sseReader, testBudgetShares, waitFor, webhookSecret } from './harness';

// Nothing lost on a stream: a change that lands while a stream opens, and a re-read that fails
// while streams are open, both reach the page.
let emulator: CrispEmulator;
let website: EmulatedWebsite;
let served: ServedRelay | undefined;
let relay: UnreadRelay;

beforeEach(async () => {
  emulator = await startCrispEmulator();
  website = emulator.createWebsite();
});

afterEach(async () => {
  await served?.close();
  served = undefined;
  await emulator.close();
});

/**
 * A memory store that runs `pause()` before its `point`-th call once armed: each call is an await
 * point of the route that makes it. Calls made while `pause()` runs (the hook's own) pass through.
 */
function pausingStore() {
  const base = memoryStore();
  let point = -1;
  let calls = 0;
  let pausing = false;
  let pause: () => Promise<void> = async () => {};
  const store = new Proxy(base, {
    get(target, name: keyof RelayStore) {
      const value = target[name];
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        const call = () => (value as (...a: unknown[]) => unknown).apply(target, args);
        if (pausing || point < 0 || calls++ !== point) return call();
        pausing = true;
        return pause()
          .finally(() => {
            pausing = false;
          })
          .then(call);
      };
    },
  });
  return {
    store,
    /** Pauses before call `at` from now on; returns how many calls were counted since the last arm. */
    arm(at: number, run: () => Promise<void>): number {
      const counted = calls;
      calls = 0;
      point = at;
      pause = run;
      return counted;
    },
    disarm(): number {
      point = -1;
      return calls;
    },
  };
}

async function relayOn(store: RelayStore): Promise<string> {
  relay = createUnreadRelay({
    ...emulator.restOptions(website),
    store,
    webhookSecret,
    ttlMs: 3_600_000,
    rateLimit: false,
    firstReadLimit: false,
    budgetShares: testBudgetShares,
    log: false,
  });
  served = await serveUnreadRelay(relay, { port: 0 });
  emulator.setWebhook({ url: `${served.url}/webhooks/crisp`, secret: webhookSecret });
  return served.url;
}

describe('the stream route', () => {
  it('delivers a change whose web hook re-read runs at any await point of the opening', async () => {
    const paused = pausingStore();
    const url = await relayOn(paused.store);
    let points = 0;
    for (let at = 0; at < 60; at++) {
      const sessionId = emulator.createSession(website.websiteId, { unread: 2 });
      let hooked = false;
      paused.arm(at, async () => {
        hooked = true;
        emulator.operatorSends(website.websiteId, sessionId, 1);
        // The hook's re-read may queue behind the read this route holds: it then lands after it.
        await Promise.race([emulator.webhooksDelivered(), sleep(300)]);
      });
      const stream = sseReader(await fetch(`${url}/sessions/${sessionId}/unread/stream`));
      await waitFor(() => stream.counts().length > 0, 5000, 'the first count');
      // The opening is over once the stream listens: later calls are not its await points.
      await waitFor(() => relay.stats().watchedSessions >= 1, 5000, 'the watch');
      await emulator.webhooksDelivered();
      await sleep(50);
      const opened = paused.disarm();
      if (hooked) {
        await waitFor(
          () => stream.counts().at(-1)?.count === 3,
          5000,
          `the change hooked at await point ${at} of ${opened}`,
        );
      }
      await stream.cancel();
      await waitFor(() => relay.stats().streams === 0, 5000, 'the stream closed');
      if (!hooked) break;
      points = at + 1;
    }
    // The route has several await points between its first read and its watch; each was tried.
    expect(points).toBeGreaterThan(5);
  });

  it('tells open streams their count is stale when the re-read after a web hook fails', async () => {
    const url = await relayOn(memoryStore());
    const sessionId = emulator.createSession(website.websiteId, { unread: 2 });
    const stream = sseReader(await fetch(`${url}/sessions/${sessionId}/unread/stream`));
    await waitFor(() => stream.counts().length === 1);
    expect(stream.counts()[0]).toMatchObject({ count: 2, stale: false });
    emulator.fault({ type: 'server-error' }, { sessionId });
    // An acknowledgement: its effect is learnt by a read (an operator's message would not read).
    emulator.visitorReads(website.websiteId, sessionId);
    await emulator.webhooksDelivered();
    await waitFor(() => stream.counts().length === 2, 5000, 'the stale event');
    expect(stream.counts()[1]).toMatchObject({ count: 2, stale: true });
    await stream.cancel();
  });
});
