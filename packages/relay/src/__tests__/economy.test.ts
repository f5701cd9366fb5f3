import { afterEach, describe, expect, it } from 'vitest';
import { memoryStore } from '../memoryStore';
import { signCrispWebhook } from '../signature';
import { type Harness, manualClock, startHarness, webhookSecret } from './harness';

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
  it('is never exceeded: past it, cached counts come back stale and others get 503', async () => {
    const clock = manualClock(Date.UTC(2026, 0, 15, 23, 0));
    h = await startHarness({ now: clock.now, dailyBudget: 10, ttlMs: 1000, webhook: true });
    const harness = h;
    const sessions = Array.from({ length: 40 }, () =>
      harness.emulator.createSession(harness.website.websiteId, { unread: 1 }),
    );
    const first = await Promise.all(
      sessions.map((sessionId) => harness.get(`/sessions/${sessionId}/unread`)),
    );
    const statuses = first.map((response) => response.status);
    expect(statuses.filter((status) => status === 200)).toHaveLength(10);
    expect(statuses.filter((status) => status === 503)).toHaveLength(30);
    expect(h.upstream()).toBe(10);

    const refused = first.find((response) => response.status === 503)!;
    expect(await refused.json()).toMatchObject({ error: 'budget-exhausted' });
    expect(Number(refused.headers.get('retry-after'))).toBe(3600);

    // Past the TTL, a cached count is answered stale instead of read again.
    clock.advance(5000);
    const cached = sessions[statuses.indexOf(200)]!;
    expect(await (await h.get(`/sessions/${cached}/unread`)).json()).toMatchObject({
      count: 1,
      stale: true,
    });

    // Web hooks count against the budget as well: no call is made for them now.
    const timestamp = clock.now();
    const body = {
      website_id: h.website.websiteId,
      event: 'message:received',
      data: { website_id: h.website.websiteId, session_id: cached },
      timestamp,
    };
    const hook = await h.get('/webhooks/crisp', {
      method: 'POST',
      headers: {
        'X-Crisp-Request-Timestamp': String(timestamp),
        'X-Crisp-Signature': await signCrispWebhook(webhookSecret, timestamp, body),
      },
      body: JSON.stringify(body),
    });
    expect(hook.status).toBe(200);
    expect(h.upstream()).toBe(10);

    // A new UTC day brings a new budget.
    clock.set(Date.UTC(2026, 0, 16, 0, 0, 1));
    expect(await (await h.get(`/sessions/${cached}/unread`)).json()).toMatchObject({
      stale: false,
    });
    expect(h.upstream()).toBe(11);
  });

  it('is shared through the store: two relays on one store spend one budget', async () => {
    const store = memoryStore();
    h = await startHarness({ store, dailyBudget: 3 });
    const { createUnreadRelay } = await import('../createUnreadRelay');
    const second = createUnreadRelay({
      ...h.emulator.restOptions(h.website),
      store,
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
