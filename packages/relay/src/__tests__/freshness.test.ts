import { afterEach, describe, expect, it } from 'vitest';
import { signCrispWebhook } from '../signature';
import type { BudgetReport } from '../types';
import {
  type Harness,
  manualClock,
  noHookShares,
  shiftedClock,
  sseReader,
  startHarness,
  waitFor,
  webhookSecret,
} from './harness';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const stream = (sessionId: string) => `/sessions/${sessionId}/unread/stream`;
const unread = (sessionId: string) => `/sessions/${sessionId}/unread`;
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function hook(harness: Harness, sessionId: string, timestamp: number) {
  const body = {
    website_id: harness.website.websiteId,
    // An event whose effect on the count only a read tells (an operator's message is derived).
    event: 'message:updated',
    data: { website_id: harness.website.websiteId, session_id: sessionId },
    timestamp,
  };
  const response = await harness.get('/webhooks/crisp', {
    method: 'POST',
    headers: {
      'X-Crisp-Request-Timestamp': String(timestamp),
      'X-Crisp-Signature': await signCrispWebhook(webhookSecret, timestamp, body),
    },
    body: JSON.stringify(body),
  });
  expect(response.status).toBe(200);
  return response.json();
}

async function budget(harness: Harness): Promise<BudgetReport> {
  return ((await (await harness.get('/healthz')).json()) as { budget: BudgetReport }).budget;
}

describe('event-driven freshness (web hooks configured)', () => {
  it('reads nothing between hooks however many streams are open; safety re-reads stop at their share', async () => {
    // hooks 50, firstReads 30, safety 20; the ttlMs of 20 ms is not used with web hooks.
    const now = shiftedClock();
    h = await startHarness({
      webhook: true,
      now,
      ttlMs: 20,
      safetyRefreshMs: 3000,
      dailyBudget: 100,
      // All 40 streams come from this one client.
      maxStreamsPerClient: 40,
    });
    const harness = h;
    const sessions = Array.from({ length: 20 }, () =>
      harness.emulator.createSession(harness.website.websiteId, { unread: 1 }),
    );
    const streams = await Promise.all(
      sessions.flatMap((sessionId) =>
        [1, 2].map(async () => sseReader(await harness.get(stream(sessionId)))),
      ),
    );
    await waitFor(() => streams.every((sse) => sse.counts().length >= 1));
    expect(h.upstream()).toBe(20);
    // Ten TTLs later: no call (a bounded wait, shorter than the safety period).
    await pause(300);
    expect(h.upstream()).toBe(20);

    // A change reaches both streams of its session through one re-read.
    h.emulator.setWebhook(null);
    const changed = sessions[0]!;
    h.emulator.operatorSends(h.website.websiteId, changed);
    expect(await hook(h, changed, now())).toEqual({ ok: true, count: 2 });
    const ofChanged = streams.filter((_, i) => Math.floor(i / 2) === 0);
    await waitFor(() => ofChanged.every((sse) => sse.counts().at(-1)?.count === 2));
    expect(h.upstream()).toBe(21);

    // Safety re-reads: one per session per safetyRefreshMs, until the safety share (20) is spent.
    await waitFor(() => harness.upstream() === 41, 10_000, 'the safety re-reads');
    await pause(1000);
    expect(h.upstream()).toBe(41);
    const report = await budget(h);
    expect(report.shares.safety).toMatchObject({ limit: 20, spent: 20 });
    expect(report.shares.hooks).toMatchObject({ spent: 1 });
    expect(report.shares.firstReads).toMatchObject({ spent: 20 });
    await Promise.all(streams.map((sse) => sse.cancel()));
  });

  it('serves a cached count until a hook or the safety period', async () => {
    const clock = manualClock();
    h = await startHarness({ webhook: true, now: clock.now, ttlMs: 1000 });
    const harness = h;
    h.emulator.setWebhook(null);
    await h.get(unread(h.sessionId));
    clock.advance(14 * 60_000);
    expect(await (await h.get(unread(h.sessionId))).json()).toMatchObject({
      count: 2,
      stale: false,
    });
    expect(h.upstream()).toBe(1);
    // Past 15 minutes (safetyRefreshMs): answered at once and read in the background, not stale:
    // no hook said it changed, and age alone says nothing with hooks on.
    clock.advance(60_000);
    expect(await (await h.get(unread(h.sessionId))).json()).toMatchObject({ stale: false });
    await waitFor(() => harness.upstream() === 2, 5000, 'the safety re-read');
    expect(await (await h.get(unread(h.sessionId))).json()).toMatchObject({ stale: false });
  });

  it('marks a session nobody watches or caches and reads nothing; the next demand reads it from the hooks share', async () => {
    const clock = manualClock(Date.UTC(2026, 0, 15, 23, 0));
    h = await startHarness({ webhook: true, now: clock.now, dailyBudget: 10 });
    const unknown = h.emulator.createSession(h.website.websiteId, { unread: 7 });
    expect(await hook(h, unknown, clock.now())).toEqual({ ok: true, count: null, deferred: true });
    expect(h.upstream()).toBe(0);
    clock.advance(1);
    expect(await (await h.get(unread(unknown))).json()).toMatchObject({ count: 7, stale: false });
    expect(h.upstream()).toBe(1);
    const report = await budget(h);
    expect(report.shares.hooks.spent).toBe(1);
    expect(report.shares.firstReads.spent).toBe(0);

    // A cached session that no stream watches is re-read at once.
    clock.advance(1);
    h.emulator.setWebhook(null);
    h.emulator.operatorSends(h.website.websiteId, unknown);
    expect(await hook(h, unknown, clock.now())).toEqual({ ok: true, count: 8 });
    expect(h.upstream()).toBe(2);
  });

  it('keeps a count a hook outdated stale until it could be read again', async () => {
    const clock = manualClock(Date.UTC(2026, 0, 15, 23, 0));
    h = await startHarness({ webhook: true, now: clock.now });
    h.emulator.setWebhook(null);
    await h.get(unread(h.sessionId));
    h.emulator.operatorSends(h.website.websiteId, h.sessionId);
    h.emulator.fault({ type: 'server-error' }, { times: 1 });
    clock.advance(1);
    expect(await hook(h, h.sessionId, clock.now())).toEqual({ ok: true, count: null });
    // Remembered failure: the outdated count, stale, and no call for failureMemoryMs.
    expect(await (await h.get(unread(h.sessionId))).json()).toMatchObject({
      count: 2,
      stale: true,
    });
    expect(h.upstream()).toBe(2);
    clock.advance(30_000);
    await h.get(unread(h.sessionId));
    const harness = h;
    await waitFor(() => harness.upstream() === 3, 5000, 'the re-read');
    expect(await (await h.get(unread(h.sessionId))).json()).toMatchObject({
      count: 3,
      stale: false,
    });
    expect((await budget(h)).shares.hooks.spent).toBe(2);
  });
});

describe('without web hooks', () => {
  it('re-reads streamed sessions each ttlMs, until the safety share is spent', async () => {
    // No hooks: firstReads 6, safety 14 (half the hooks fraction goes to each).
    h = await startHarness({
      now: shiftedClock(),
      ttlMs: 100,
      dailyBudget: 20,
      budgetShares: noHookShares,
    });
    const harness = h;
    const sessions = Array.from({ length: 5 }, () =>
      harness.emulator.createSession(harness.website.websiteId, { unread: 1 }),
    );
    const streams = await Promise.all(
      sessions.map(async (sessionId) => sseReader(await harness.get(stream(sessionId)))),
    );
    await waitFor(() => streams.every((sse) => sse.counts().length >= 1));
    await waitFor(() => harness.upstream() === 19, 10_000, 'the TTL refreshes');
    await pause(500);
    expect(h.upstream()).toBe(19);
    expect((await budget(h)).shares.safety).toMatchObject({ limit: 14, spent: 14 });
    await Promise.all(streams.map((sse) => sse.cancel()));
  });
});

describe('one spelling per session', () => {
  it('reads, caches and streams letter-case variants of an id as one session', async () => {
    h = await startHarness({ webhook: true, ttlMs: 3_600_000 });
    const upper = `SESSION_${h.sessionId.slice(8).toUpperCase()}`;
    const mixed = `session_${h.sessionId.slice(8, 20).toUpperCase()}${h.sessionId.slice(20)}`;
    const bodies = await Promise.all(
      [h.sessionId, upper, mixed, upper].map(async (id) => (await h!.get(unread(id))).json()),
    );
    expect(bodies.every((body) => (body as { count: number }).count === 2)).toBe(true);
    expect(h.upstream()).toBe(1);
    const onUpper = sseReader(await h.get(stream(upper)));
    await waitFor(() => onUpper.counts().length === 1);
    expect(h.relay.stats().watchedSessions).toBe(1);
    expect(h.upstream()).toBe(1);
    // The emulator's hook names the lower-case id; the stream opened with upper case gets it.
    h.emulator.operatorSends(h.website.websiteId, h.sessionId);
    await waitFor(() => onUpper.counts().length === 2);
    expect(onUpper.counts().at(-1)).toMatchObject({ count: 3 });
    // The operator's message raised the cached count by the hook's word: no read.
    expect(h.upstream()).toBe(1);
    expect((await h.get(unread(`${h.sessionId}x`))).status).toBe(400);
    expect(h.upstream()).toBe(1);
    await onUpper.cancel();
  });
});

describe('streams of outdated counts', () => {
  it('sends the count again once read afresh, even unchanged, so the client stops showing it stale', async () => {
    const clock = manualClock();
    h = await startHarness({ now: clock.now, ttlMs: 1000 });
    await h.get(unread(h.sessionId));
    clock.advance(1000);
    const sse = sseReader(await h.get(stream(h.sessionId)));
    await waitFor(() => sse.counts().length === 2, 5000, 'the stale count, then the fresh one');
    expect(sse.counts()).toEqual([
      { count: 2, updatedAt: expect.any(Number), stale: true },
      { count: 2, updatedAt: expect.any(Number), stale: false },
    ]);
    expect(sse.ids()[0]).toBe(sse.ids()[1]);
    expect(h.upstream()).toBe(2);
    await sse.cancel();
  });
});
