import type { CrispEmulator, EmulatedWebsite, Fault } from '@crisp-unread/testing';
import { QueryClient } from '@tanstack/query-core';
import { afterEach, describe, expect, it } from 'vitest';
import { createUnreadStore } from '../createUnreadStore';
import { crispRest } from '../crispRest';
import type { UnreadErrorCode } from '../errors';
import type { UnreadStore } from '../types';
import { conversation, recordStates, sleep, useEmulator, waitFor } from './emulator';

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

const pollIntervalMs = 150;

/** A store on a fresh session with `unread` messages, subscribed and recording every state. */
function startStore(unread: number, timeoutMs = 1000) {
  client = new QueryClient();
  const sessionId = emulator.createSession(website.websiteId, { unread });
  const store = createUnreadStore({
    source: crispRest({ ...emulator.restOptions(website), timeoutMs }),
    sessionId,
    queryClient: client,
    pollIntervalMs,
    retry: { baseDelayMs: 20, maxDelayMs: 200 },
  });
  const recording = recordStates(store);
  cleanups.push(() => {
    recording.stop();
    store.dispose();
  });
  return { store, sessionId, states: recording.states };
}

const snapshot = (store: UnreadStore) => store.getSnapshot();

interface TransientRow {
  fault: Fault;
  times: 1 | 2;
  code: UnreadErrorCode;
  status?: number;
  /** Checks `retryAfterMs` of the error; omitted rows expect it undefined. */
  retryAfterMs?: (ms: number | undefined) => boolean;
  timeoutMs?: number;
}

const invalidBody = (visitor: unknown): Fault => ({
  type: 'body',
  body: conversation({ visitor }),
});

// Retry-After values stay small so that the recovery happens within a couple of seconds.
const transientRows: [string, TransientRow][] = [
  ['timeout (hang)', { fault: { type: 'hang' }, times: 1, code: 'timeout', timeoutMs: 300 }],
  ['reset (drop)', { fault: { type: 'drop' }, times: 2, code: 'network' }],
  ['500', { fault: { type: 'server-error' }, times: 2, code: 'server', status: 500 }],
  ['502 html', { fault: { type: 'html' }, times: 1, code: 'server', status: 502 }],
  ['503', { fault: { type: 'server-error', status: 503 }, times: 2, code: 'server', status: 503 }],
  [
    '420 without Retry-After',
    { fault: { type: 'rate-limit', status: 420 }, times: 1, code: 'rate-limited', status: 420 },
  ],
  [
    '420 with Retry-After',
    {
      fault: { type: 'rate-limit', status: 420, retryAfter: 1 },
      times: 1,
      code: 'rate-limited',
      status: 420,
      retryAfterMs: (ms) => ms === 1000,
    },
  ],
  [
    '429 without Retry-After',
    { fault: { type: 'rate-limit' }, times: 2, code: 'rate-limited', status: 429 },
  ],
  [
    '429 with Retry-After seconds',
    {
      fault: { type: 'rate-limit', retryAfter: 1 },
      times: 1,
      code: 'rate-limited',
      status: 429,
      retryAfterMs: (ms) => ms === 1000,
    },
  ],
  [
    '429 with a Retry-After HTTP date',
    {
      // Filled in when the row runs (the date must be a moment ahead of then).
      fault: { type: 'rate-limit', retryAfter: 'date' },
      times: 1,
      code: 'rate-limited',
      status: 429,
      retryAfterMs: (ms) => ms !== undefined && ms >= 0 && ms <= 2000,
    },
  ],
  [
    'truncated JSON',
    { fault: { type: 'truncated-json' }, times: 2, code: 'invalid-response', status: 200 },
  ],
  ['visitor -1', { fault: invalidBody(-1), times: 1, code: 'invalid-response', status: 200 }],
  ['visitor "3"', { fault: invalidBody('3'), times: 2, code: 'invalid-response', status: 200 }],
  ['visitor 2.5', { fault: invalidBody(2.5), times: 1, code: 'invalid-response', status: 200 }],
];

describe('the store against emulated faults', () => {
  describe.each(transientRows)('%s', (_name, row) => {
    it('shows the error while keeping count 3, then recovers with the new count', async () => {
      const { store, sessionId, states } = startStore(3, row.timeoutMs);
      await waitFor(() => snapshot(store).status === 'ready', 10_000, 'first read');
      expect(snapshot(store).count).toBe(3);
      const ready = states.length;

      // The count change and the fault land together: every later request meets the fault first.
      const fault =
        row.fault.type === 'rate-limit' && row.fault.retryAfter === 'date'
          ? { ...row.fault, retryAfter: new Date(Date.now() + 2000).toUTCString() }
          : row.fault;
      emulator.fault(fault, { times: row.times, sessionId });
      emulator.operatorSends(website.websiteId, sessionId, 4);

      // Read the recorded states, not the snapshot: a quick retry may end the error at once.
      const firstError = () => states.slice(ready).find((state) => state.status === 'error');
      await waitFor(() => firstError() !== undefined, 10_000, 'the error');
      const failed = firstError()!;
      expect(failed.count).toBe(3);
      expect(failed.sessionId).toBe(sessionId);
      expect(failed.error?.code).toBe(row.code);
      expect(failed.error?.status).toBe(row.status);
      if (row.retryAfterMs) expect(row.retryAfterMs(failed.error?.retryAfterMs)).toBe(true);
      else expect(failed.error?.retryAfterMs).toBeUndefined();

      await waitFor(() => snapshot(store).count === 7, 15_000, 'the recovery');
      expect(snapshot(store)).toMatchObject({ status: 'ready', error: null, count: 7, sessionId });

      // Every request of the fault was answered by it, then the new count was read.
      expect(
        emulator.requests.filter((r) => r.sessionId === sessionId && r.fault !== null),
      ).toHaveLength(row.times);
      const counts = new Set(states.slice(ready).map((state) => state.count));
      expect([...counts].sort()).toEqual([3, 7]);
      const errorsBefore7 = states
        .slice(
          ready,
          states.findIndex((state) => state.count === 7),
        )
        .filter((state) => state.status === 'error');
      expect(errorsBefore7.length).toBeGreaterThanOrEqual(1);
      expect(errorsBefore7.every((state) => state.error?.code === row.code)).toBe(true);
      expect(
        states.every((state) => state.sessionId === null || state.sessionId === sessionId),
      ).toBe(true);
    });
  });

  const haltRows: [string, { status: 401 | 403; code: UnreadErrorCode; reason: string }][] = [
    ['401', { status: 401, code: 'unauthorized', reason: 'invalid_session' }],
    ['403', { status: 403, code: 'forbidden', reason: 'not_allowed' }],
  ];

  describe.each(haltRows)('%s on a ready store', (_name, row) => {
    it('shows the error with count 3, stops polling, and recovers only on refresh()', async () => {
      const { store, sessionId, states } = startStore(3);
      await waitFor(() => snapshot(store).status === 'ready', 10_000, 'first read');
      emulator.fault(
        { type: 'body', status: row.status, body: { error: true, reason: row.reason, data: {} } },
        { times: 1, sessionId },
      );
      emulator.operatorSends(website.websiteId, sessionId, 1);
      await waitFor(() => snapshot(store).status === 'error', 10_000, 'the error');
      expect(snapshot(store)).toMatchObject({ count: 3, status: 'error', sessionId });
      expect(snapshot(store).error).toMatchObject({ code: row.code, status: row.status });

      const halted = emulator.requestCount({ sessionId });
      await sleep(pollIntervalMs * 6);
      expect(emulator.requestCount({ sessionId })).toBe(halted);
      expect(snapshot(store).status).toBe('error');

      await store.refresh();
      expect(snapshot(store)).toMatchObject({ count: 4, status: 'ready', error: null });
      expect(new Set(states.map((state) => state.count))).toEqual(new Set([null, 3, 4]));
    });
  });

  it('401 (wrong key from the start): error, no polling until refresh()', async () => {
    client = new QueryClient();
    const sessionId = emulator.createSession(website.websiteId, { unread: 3 });
    const store = createUnreadStore({
      source: crispRest({ ...emulator.restOptions(website), key: 'wrong-key-123' }),
      sessionId,
      queryClient: client,
      pollIntervalMs,
      retry: { baseDelayMs: 20, maxDelayMs: 200 },
    });
    const { states, stop } = recordStates(store);
    cleanups.push(() => {
      stop();
      store.dispose();
    });
    await waitFor(() => snapshot(store).status === 'error', 10_000, 'the error');
    expect(snapshot(store)).toMatchObject({ count: null, sessionId });
    expect(snapshot(store).error).toMatchObject({ code: 'unauthorized', status: 401 });
    await sleep(pollIntervalMs * 6);
    expect(emulator.requestCount({ sessionId })).toBe(1);
    await store.refresh();
    expect(emulator.requestCount({ sessionId })).toBe(2);
    await sleep(pollIntervalMs * 4);
    expect(emulator.requestCount({ sessionId })).toBe(2);
    expect(states.every((state) => state.count === null)).toBe(true);
  });

  it('403 (wrong tier from the start): error, no polling', async () => {
    client = new QueryClient();
    const sessionId = emulator.createSession(website.websiteId, { unread: 3 });
    const store = createUnreadStore({
      source: crispRest({ ...emulator.restOptions(website), tier: 'user' }),
      sessionId,
      queryClient: client,
      pollIntervalMs,
    });
    const { stop } = recordStates(store);
    cleanups.push(() => {
      stop();
      store.dispose();
    });
    await waitFor(() => snapshot(store).status === 'error', 10_000, 'the error');
    expect(snapshot(store).error).toMatchObject({ code: 'forbidden', status: 403 });
    await sleep(pollIntervalMs * 6);
    expect(emulator.requestCount({ sessionId })).toBe(1);
  });

  it('404 (deleted session): no-session with a null count, and no more requests', async () => {
    const { store, sessionId, states } = startStore(3);
    await waitFor(() => snapshot(store).status === 'ready', 10_000, 'first read');
    emulator.deleteSession(website.websiteId, sessionId);
    await waitFor(() => snapshot(store).status === 'no-session', 10_000, 'no-session');
    expect(snapshot(store)).toMatchObject({ count: null, sessionId });
    expect(snapshot(store).error).toMatchObject({ code: 'session-not-found', status: 404 });
    const requests = emulator.requestCount({ sessionId });
    expect(emulator.requestCount({ sessionId, status: 404 })).toBe(1);
    await sleep(pollIntervalMs * 6);
    expect(emulator.requestCount({ sessionId })).toBe(requests);
    expect(states.every((state) => state.count === null || state.count === 3)).toBe(true);
  });
});
