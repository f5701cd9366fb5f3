import type { CrispEmulator, EmulatedWebsite } from '@crisp-unread/testing';
import { QueryClient } from '@tanstack/query-core';
import fc from 'fast-check';
import { BehaviorSubject } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { createUnreadStore } from '../createUnreadStore';
import { crispRest } from '../crispRest';
import type { FetchLike } from '../http';
import type { UnreadState } from '../types';
import { recordStates, sleep, useEmulator, waitFor } from './emulator';

let emulator: CrispEmulator;
let website: EmulatedWebsite;
let client: QueryClient;
const cleanups: (() => void)[] = [];
useEmulator((started) => {
  ({ emulator, website } = started);
});

afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
  client?.clear();
});

interface Call {
  sessionId: string;
  signal: AbortSignal | null | undefined;
}

/** Node's fetch, noting each request's session and signal as it starts. */
function tracingFetch(calls: Call[]): FetchLike {
  return (input, init) => {
    calls.push({ sessionId: input.split('/').at(-1) ?? '', signal: init.signal });
    return fetch(input, init);
  };
}

function raceSetup() {
  client = new QueryClient();
  const a = emulator.createSession(website.websiteId, { unread: 5 });
  const b = emulator.createSession(website.websiteId, { unread: 1 });
  const calls: Call[] = [];
  const session$ = new BehaviorSubject<string | null>(a);
  const store = createUnreadStore({
    source: crispRest({ ...emulator.restOptions(website), fetch: tracingFetch(calls) }),
    sessionId: session$,
    queryClient: client,
    pollIntervalMs: 150,
    retry: { baseDelayMs: 20, maxDelayMs: 200 },
  });
  const recording = recordStates(store);
  cleanups.push(() => {
    recording.stop();
    store.dispose();
  });
  return { a, b, calls, session$, store, states: recording.states };
}

/** Each state's count belongs to the session it is tagged with. */
function checkTags(states: UnreadState[], a: string, b: string) {
  for (const state of states) {
    if (state.sessionId === a) expect([5, null]).toContain(state.count);
    else if (state.sessionId === b) expect([1, null]).toContain(state.count);
    else expect(state.count).toBeNull();
  }
}

describe('session changes against the emulator', () => {
  it("aborts a slow read of A when switching to B, and never shows A's count", async () => {
    const { a, b, calls, session$, store, states } = raceSetup();
    emulator.fault({ type: 'latency', ms: 400 }, { sessionId: a });
    await waitFor(() => calls.some((call) => call.sessionId === a), 10_000, 'the read of A');
    // Give the request time to reach the emulator (its latency holds the answer for 400 ms).
    await sleep(100);
    expect(store.getSnapshot()).toMatchObject({ sessionId: a, status: 'loading', count: null });
    session$.next(b);
    await waitFor(() => store.getSnapshot().count === 1, 10_000, "B's count");
    expect(store.getSnapshot()).toMatchObject({ sessionId: b, count: 1, status: 'ready' });

    const readOfA = calls.find((call) => call.sessionId === a)!;
    expect(readOfA.signal?.aborted).toBe(true);
    // Long after A's latency: the emulator logged the request for A as abandoned (status 0:
    // the client hung up before the answer) or never saw it; A was never asked again.
    await sleep(700);
    expect([[], [0]]).toContainEqual(
      emulator.requests.filter((r) => r.sessionId === a).map((r) => r.status),
    );
    expect(calls.filter((call) => call.sessionId === a)).toHaveLength(1);
    expect(states.some((state) => state.count === 5)).toBe(false);
    checkTags(states, a, b);
    expect(store.getSnapshot()).toMatchObject({ sessionId: b, count: 1 });
  });

  it('tags every state with the session its count belongs to, over 50 quick switches', async () => {
    const { a, b, session$, store, states } = raceSetup();
    // A reproducible random plan: per switch, the latency of the next read and the wait after.
    const plan = fc.sample(
      fc.record({
        latencyMs: fc.integer({ min: 0, max: 300 }),
        waitMs: fc.integer({ min: 0, max: 80 }),
      }),
      { numRuns: 50, seed: 20_240_601 },
    );
    for (const [index, step] of plan.entries()) {
      const next = index % 2 === 0 ? b : a;
      emulator.clearFaults();
      emulator.fault({ type: 'latency', ms: step.latencyMs }, { sessionId: next, times: 1 });
      session$.next(next);
      await sleep(step.waitMs);
    }
    // 50 switches end on A: let it settle, then settle on B.
    expect(session$.getValue()).toBe(a);
    emulator.clearFaults();
    await waitFor(() => store.getSnapshot().count === 5, 10_000, "A's count");
    expect(store.getSnapshot().sessionId).toBe(a);
    session$.next(b);
    await waitFor(
      () => store.getSnapshot().sessionId === b && store.getSnapshot().count === 1,
      10_000,
      "B's count",
    );
    expect(states.length).toBeGreaterThan(50);
    checkTags(states, a, b);
    // Both sessions were counted at some point: the check above was not vacuous.
    expect(states.some((state) => state.sessionId === a && state.count === 5)).toBe(true);
    expect(states.some((state) => state.sessionId === b && state.count === 1)).toBe(true);
  });

  it('switching back and forth without waiting ends on the last session with its count', async () => {
    const { a, b, session$, store, states } = raceSetup();
    emulator.fault({ type: 'latency', ms: 100 }, { sessionId: a });
    for (let i = 0; i < 200; i++) session$.next(i % 2 === 0 ? b : a);
    // i = 199 -> a
    await waitFor(() => store.getSnapshot().count === 5, 10_000, "A's count");
    expect(store.getSnapshot()).toMatchObject({ sessionId: a, count: 5, status: 'ready' });
    checkTags(states, a, b);
  });
});
