import { afterEach, describe, expect, it } from 'vitest';
import { memoryStore } from '../memoryStore';
import { signCrispWebhook } from '../signature';
import type { BudgetReport } from '../types';
import {
  eventually,
  type Harness,
  manualClock,
  noHookShares,
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

describe('coalescing', () => {
  it('turns 500 concurrent cold requests for one session into 1 upstream call', async () => {
    h = await startHarness();
    h.emulator.fault({ type: 'latency', ms: 100 }, { times: 1 });
    const harness = h;
    const responses = await Promise.all(
      Array.from({ length: 500 }, () =>
        harness.get(`/sessions/${harness.sessionId}/unread`).then((r) => r.json()),
      ),
    );
    expect(responses.every((body) => (body as { count: number }).count === 2)).toBe(true);
    expect(h.upstream()).toBe(1);
    expect(h.relay.stats().upstreamCalls).toBe(1);
  });

  it('coalesces concurrent requests across sessions to one call per session', async () => {
    h = await startHarness();
    const harness = h;
    const sessions = Array.from({ length: 10 }, () =>
      harness.emulator.createSession(harness.website.websiteId),
    );
    await Promise.all(
      sessions.flatMap((sessionId) =>
        Array.from({ length: 30 }, () => harness.get(`/sessions/${sessionId}/unread`)),
      ),
    );
    expect(h.upstream()).toBe(10);
  });
});

describe('daily budget', () => {
  it('is never exceeded: past a share, cached counts come back stale and cold ones get 503', async () => {
    const clock = manualClock(Date.UTC(2026, 0, 15, 23, 0));
    // Shares of 10 with web hooks: hooks 5, firstReads 3, safety 2.
    h = await startHarness({ now: clock.now, dailyBudget: 10, webhook: true });
    const harness = h;
    const sessions = Array.from({ length: 40 }, () =>
      harness.emulator.createSession(harness.website.websiteId, { unread: 1 }),
    );
    const first = await Promise.all(
      sessions.map((sessionId) => harness.get(`/sessions/${sessionId}/unread`)),
    );
    const statuses = first.map((response) => response.status);
    expect(statuses.filter((status) => status === 200)).toHaveLength(3);
    expect(statuses.filter((status) => status === 503)).toHaveLength(37);
    expect(h.upstream()).toBe(3);

    const refused = first.find((response) => response.status === 503)!;
    expect(await refused.json()).toMatchObject({ error: 'budget-exhausted' });
    // The share is spent for the day: the next UTC midnight.
    expect(Number(refused.headers.get('retry-after'))).toBe(3600);

    // Past the safety period, a cached count is read again from the safety share (2 calls)...
    // (not stale: no hook said it changed, and with hooks on age alone does not make it stale)
    const cached = sessions.filter((_, i) => statuses[i] === 200);
    clock.advance(15 * 60_000);
    for (const sessionId of cached) {
      expect(await (await h.get(`/sessions/${sessionId}/unread`)).json()).toMatchObject({
        count: 1,
        stale: false,
      });
    }
    await waitFor(() => harness.upstream() === 5, 5000, 'two safety re-reads');
    // ...then answered without a call once the safety share is paced out.
    clock.advance(15 * 60_000);
    for (const sessionId of cached) {
      expect(await (await h.get(`/sessions/${sessionId}/unread`)).json()).toMatchObject({
        count: 1,
        stale: false,
      });
    }
    expect(h.upstream()).toBe(5);

    // Web hooks spend their own share: 5 re-reads, whatever the other shares say.
    for (const sessionId of [...cached, ...cached]) {
      const hook = await h.get('/webhooks/crisp', await signedHook(h, sessionId, clock.now()));
      expect(hook.status).toBe(200);
      clock.advance(1);
    }
    expect(h.upstream()).toBe(10);
    const report = (await (await h.get('/healthz')).json()) as { budget: BudgetReport };
    expect(report.budget).toEqual({
      day: '2026-01-15',
      total: 10,
      shares: {
        hooks: { limit: 5, spent: 5, remaining: 0, allowance: 5 },
        firstReads: { limit: 3, spent: 3, remaining: 0, allowance: 3 },
        safety: { limit: 2, spent: 2, remaining: 0, allowance: 2 },
      },
    });
    const hook = await h.get('/webhooks/crisp', await signedHook(h, cached[0]!, clock.now()));
    expect(await hook.json()).toEqual({ ok: true, count: null });
    expect(h.upstream()).toBe(10);

    // A new UTC day brings a new budget.
    clock.set(Date.UTC(2026, 0, 16, 0, 0, 1));
    await h.get(`/sessions/${cached[0]}/unread`);
    await eventually(
      async () =>
        (await (await harness.get(`/sessions/${cached[0]}/unread`)).json()).stale === false,
      'a fresh count the next day',
    );
    expect(h.upstream()).toBe(11);
  });

  it('keeps hook re-reads of known visitors going while a flood of unknown ids spends firstReads', async () => {
    const clock = manualClock(Date.UTC(2026, 0, 15, 23, 30));
    // hooks 50, firstReads 30, safety 20.
    h = await startHarness({ now: clock.now, dailyBudget: 100, webhook: true });
    const harness = h;
    const known = Array.from({ length: 5 }, () =>
      harness.emulator.createSession(harness.website.websiteId, { unread: 1 }),
    );
    const streams = await Promise.all(
      known.map(async (sessionId) =>
        sseReader(await harness.get(`/sessions/${sessionId}/unread/stream`)),
      ),
    );
    await waitFor(() => streams.every((sse) => sse.counts().length >= 1));
    expect(h.upstream()).toBe(5);

    // 200 random well-formed ids: Crisp has none of them.
    const ids = Array.from({ length: 200 }, () => `session_${crypto.randomUUID()}`);
    const flood = await Promise.all(
      ids.map((sessionId) => harness.get(`/sessions/${sessionId}/unread`).then((r) => r.status)),
    );
    // The hour's cap on first reads (25: the floor, above 4 hours of 30 a day) stops the flood
    // before the day's allowance: 5 streams and 20 of the flood.
    expect(flood.filter((status) => status === 404)).toHaveLength(20);
    expect(flood.filter((status) => status === 503)).toHaveLength(180);
    expect(h.upstream()).toBe(25);
    const fresh = harness.emulator.createSession(harness.website.websiteId, { unread: 4 });
    expect((await h.get(`/sessions/${fresh}/unread`)).status).toBe(503);

    // Known visitors still get their updates, from the hooks share (hooks signed at the relay's
    // clock, which is not the emulator's).
    h.emulator.setWebhook(null);
    for (const sessionId of known) {
      h.emulator.operatorSends(h.website.websiteId, sessionId);
      const hook = await h.get('/webhooks/crisp', await signedHook(h, sessionId, clock.now()));
      expect(await hook.json()).toEqual({ ok: true, count: 2 });
    }
    await waitFor(() => streams.every((sse) => sse.counts().at(-1)?.count === 2));
    expect(h.upstream()).toBe(30);
    // The same ids again past the safety period: Crisp said they do not exist, so reading them
    // again is a first read too, and the safety share stays for the watched sessions.
    await Promise.all(streams.map((sse) => sse.cancel()));
    clock.advance(16 * 60_000);
    await Promise.all(ids.map((sessionId) => harness.get(`/sessions/${sessionId}/unread`)));
    expect(h.upstream()).toBe(30);
    const report = (await (await h.get('/healthz')).json()) as { budget: BudgetReport };
    expect(report.budget.shares.hooks).toMatchObject({ spent: 5, remaining: 45 });
    expect(report.budget.shares.firstReads).toMatchObject({ spent: 25, remaining: 5 });
    expect(report.budget.shares.safety).toMatchObject({ spent: 0 });
  });

  it('paces each share over the day: a burst at 01:00 spends the allowance, more comes later', async () => {
    const clock = manualClock(Date.UTC(2026, 0, 15, 1, 0));
    // No web hooks: firstReads 300 of 1000, paced: ceil(300 x (0.1 + 0.9 x 1/24)) = 42 at 01:00.
    h = await startHarness({ now: clock.now, dailyBudget: 1000, budgetShares: noHookShares });
    const harness = h;
    const sessions = Array.from({ length: 60 }, () =>
      harness.emulator.createSession(harness.website.websiteId, { unread: 1 }),
    );
    const responses = await Promise.all(
      sessions.map((sessionId) => harness.get(`/sessions/${sessionId}/unread`)),
    );
    const statuses = responses.map((response) => response.status);
    expect(statuses.filter((status) => status === 200)).toHaveLength(42);
    expect(h.upstream()).toBe(42);
    const refused = responses.find((response) => response.status === 503)!;
    expect(await refused.json()).toMatchObject({ error: 'budget-exhausted' });
    // Not midnight: the allowance passes 42 a few minutes later.
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThan(600);
    let report = (await (await h.get('/healthz')).json()) as { budget: BudgetReport };
    expect(report.budget.shares.firstReads).toEqual({
      limit: 300,
      spent: 42,
      remaining: 258,
      allowance: 42,
    });
    expect(report.budget.shares.hooks.limit).toBe(0);
    expect(report.budget.shares.safety.limit).toBe(700);

    // Two hours later: ceil(300 x (0.1 + 0.9 x 3/24)) = 64.
    clock.advance(2 * 3_600_000);
    const later = await Promise.all(
      sessions
        .filter((_, i) => statuses[i] === 503)
        .map((sessionId) => harness.get(`/sessions/${sessionId}/unread`).then((r) => r.status)),
    );
    expect(later.filter((status) => status === 200)).toHaveLength(18);
    expect(h.upstream()).toBe(60);
    report = (await (await h.get('/healthz')).json()) as { budget: BudgetReport };
    expect(report.budget.shares.firstReads).toMatchObject({ spent: 60, allowance: 64 });
  });

  it('is shared through the store: two relays on one store spend one budget', async () => {
    const clock = manualClock(Date.UTC(2026, 0, 15, 23, 59));
    const store = memoryStore({ now: clock.now });
    // No web hooks: firstReads is 3 of 10.
    h = await startHarness({ store, dailyBudget: 10, now: clock.now, budgetShares: noHookShares });
    const { createUnreadRelay } = await import('../createUnreadRelay');
    const second = createUnreadRelay({
      ...h.emulator.restOptions(h.website),
      store,
      dailyBudget: 10,
      budgetShares: noHookShares,
      now: clock.now,
      rateLimit: false,
      log: false,
    });
    const harness = h;
    const sessions = Array.from({ length: 6 }, () =>
      harness.emulator.createSession(harness.website.websiteId),
    );
    const relays = [
      (path: string) => harness.get(path),
      (path: string) => second.fetch(new Request(`http://relay.test${path}`)),
    ];
    const statuses = await Promise.all(
      sessions.map((sessionId, i) =>
        relays[i % 2]!(`/sessions/${sessionId}/unread`).then((r) => r.status),
      ),
    );
    expect(statuses.filter((status) => status === 200)).toHaveLength(3);
    expect(h.upstream()).toBe(3);
    // The second relay answers from the cache the first one filled.
    const shared = sessions[statuses.indexOf(200)]!;
    expect(
      (await second.fetch(new Request(`http://relay.test/sessions/${shared}/unread`))).status,
    ).toBe(200);
    expect(h.upstream()).toBe(3);
    await second.close();
  });
});

async function signedHook(harness: Harness, sessionId: string, timestamp: number) {
  const body = {
    website_id: harness.website.websiteId,
    // An event whose effect on the count only a read tells (an operator's message is derived).
    event: 'message:updated',
    data: { website_id: harness.website.websiteId, session_id: sessionId },
    timestamp,
  };
  return {
    method: 'POST',
    headers: {
      'X-Crisp-Request-Timestamp': String(timestamp),
      'X-Crisp-Signature': await signCrispWebhook(webhookSecret, timestamp, body),
    },
    body: JSON.stringify(body),
  } satisfies RequestInit;
}
