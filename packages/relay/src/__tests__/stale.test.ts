import { createUnreadStore, crispRelay, type UnreadState } from '@crisp-unread/core';
import { QueryClient } from '@tanstack/query-core';
import { afterEach, describe, expect, it } from 'vitest';
import { type Harness, manualClock, startHarness, waitFor } from './harness';

// A count the relay could not refresh reaches the page marked stale, over JSON and SSE, and the
// mark goes once a fresh read confirms the count, changed or not. With web hooks a count is stale
// only while a hook has marked it changed and its re-read has not landed, or while its last read
// failed: one merely older than `safetyRefreshMs` is read again but not marked.
const freshMs = 60_000;
const failureMemoryMs = 30_000;
let h: Harness | undefined;
const cleanups: Array<() => void> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) cleanup();
  await h?.close();
  h = undefined;
});

const signal = () => new AbortController().signal;

/** A relay on a clock the test moves, with signed web hooks from the emulator. */
async function start() {
  const clock = manualClock(Date.now());
  const harness = await startHarness({
    now: clock.now,
    safetyRefreshMs: freshMs,
    failureMemoryMs,
    webhook: true,
    // Every hook a read: these tests follow the re-read a hook asks for.
    deriveFromHooks: false,
  });
  h = harness;
  return { harness, clock };
}

/** Waits for the relay's background re-read to have failed (and been remembered). */
const failedRead = (harness: Harness) =>
  waitFor(
    () => harness.logs.some((line) => line.includes('failed: server')),
    10_000,
    'the failed re-read',
  );

function watchStore(harness: Harness, stream: boolean) {
  const store = createUnreadStore({
    source: crispRelay({ url: harness.served.url, stream }),
    sessionId: harness.sessionId,
    pollIntervalMs: 3_600_000,
    pauseWhenHidden: false,
    crossTab: false,
    queryClient: new QueryClient(),
  });
  const states: UnreadState[] = [];
  const subscription = store.state$.subscribe((state) => states.push(state));
  cleanups.push(() => {
    subscription.unsubscribe();
    store.dispose();
  });
  return { store, states, shown: () => store.getSnapshot() };
}

describe('stale counts from the relay', () => {
  it('crispRelay.read gives the stale flag of the JSON answer', async () => {
    const { harness, clock } = await start();
    const source = crispRelay({ url: harness.served.url });
    const read = () => source.read(harness.sessionId, { signal: signal() });
    expect(await read()).toEqual({ count: 2, stale: false });
    clock.advance(freshMs + 1);
    harness.emulator.fault({ type: 'server-error' });
    // Old, not stale: the safety re-read starts in the background...
    expect(await read()).toEqual({ count: 2, stale: false });
    await failedRead(harness);
    // ...and once it failed, the count is stale.
    expect(await read()).toEqual({ count: 2, stale: true });

    harness.emulator.clearFaults();
    clock.advance(failureMemoryMs + 1);
    let last = await read();
    for (let i = 0; i < 200 && last.stale; i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      last = await read();
    }
    expect(last).toEqual({ count: 2, stale: false });
  });

  it('a polling store shows the count as stale, then fresh after the next good read', async () => {
    const { harness, clock } = await start();
    const page = watchStore(harness, false);
    await waitFor(() => page.shown().status === 'ready', 10_000, 'first count');
    expect(page.shown()).toMatchObject({ count: 2, stale: false });

    clock.advance(freshMs + 1);
    harness.emulator.fault({ type: 'server-error' });
    await page.store.refresh();
    expect(page.shown()).toMatchObject({ count: 2, status: 'ready', error: null, stale: false });
    await failedRead(harness);
    await page.store.refresh();
    expect(page.shown()).toMatchObject({ count: 2, status: 'ready', error: null, stale: true });

    harness.emulator.clearFaults();
    clock.advance(failureMemoryMs + 1);
    for (let i = 0; i < 200 && page.shown().stale; i++) {
      await page.store.refresh();
      if (page.shown().stale) await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(page.shown()).toMatchObject({ count: 2, status: 'ready', stale: false });
  });

  it('a streaming store shows a stale first event, and fresh once a web hook read confirms the same count', async () => {
    const { harness, clock } = await start();
    // Cached once, then a hook says it changed while Crisp fails: its re-read fails, the cached
    // count is stale.
    expect(await (await harness.get(`/sessions/${harness.sessionId}/unread`)).json()).toMatchObject(
      { count: 2, stale: false },
    );
    clock.advance(1000);
    harness.emulator.fault({ type: 'server-error' });
    harness.emulator.visitorSends(harness.website.websiteId, harness.sessionId);
    await harness.emulator.webhooksDelivered();
    const page = watchStore(harness, true);
    await waitFor(() => page.shown().stale, 10_000, 'the stale count');
    expect(page.shown()).toMatchObject({ count: 2, status: 'ready' });
    await waitFor(() => harness.relay.stats().streams === 1, 10_000, 'the stream open');
    await failedRead(harness);

    // The visitor writes: the count is unchanged, but the relay reads Crisp again and says so.
    harness.emulator.clearFaults();
    clock.advance(failureMemoryMs + 1);
    harness.emulator.visitorSends(harness.website.websiteId, harness.sessionId);
    await waitFor(() => !page.shown().stale, 10_000, 'the fresh count');
    expect(page.shown()).toMatchObject({ count: 2, status: 'ready', stale: false });
    expect(page.states.filter((state) => state.status === 'error')).toEqual([]);
  });
});
