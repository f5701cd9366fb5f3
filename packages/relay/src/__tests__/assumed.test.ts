import { afterEach, describe, expect, it } from 'vitest';
import { signCrispWebhook } from '../signature';
import {
  type Harness,
  manualClock,
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

/**
 * A relay with web hooks whose whole budget is 3 first reads (hooks borrow from them): once they
 * are spent, nothing more can be read today.
 */
async function spentRelay(options: { webhook?: boolean; safety?: number } = {}) {
  const clock = manualClock(Date.UTC(2026, 0, 15, 23, 0));
  const safety = options.safety ?? 0;
  h = await startHarness({
    webhook: options.webhook ?? true,
    now: clock.now,
    dailyBudget: 3 + safety,
    budgetShares: { hooks: 0, firstReads: 3 / (3 + safety), safety: safety / (3 + safety) },
    assumeUnseenSessions: true,
  });
  const harness = h;
  const spend = Array.from({ length: 3 }, () =>
    harness.emulator.createSession(harness.website.websiteId, { unread: 1 }),
  );
  for (const sessionId of spend) expect((await harness.get(unread(sessionId))).status).toBe(200);
  expect(harness.upstream()).toBe(3);
  return { harness, clock };
}

async function healthOf(harness: Harness) {
  return (await (await harness.get('/healthz')).json()) as {
    assumed: number | null;
    hooks: { accepted: number } | null;
  };
}

/** Posts Crisp's signed web hook for `event` on the relay's clock (the emulator's is real time). */
async function postHook(harness: Harness, sessionId: string, event: string, timestamp: number) {
  const body = {
    website_id: harness.website.websiteId,
    event,
    data: { website_id: harness.website.websiteId, session_id: sessionId },
    timestamp,
  };
  const response = await harness.get('/webhooks/crisp', {
    method: 'POST',
    headers: {
      'Content-Type': 'application/json',
      'X-Crisp-Request-Timestamp': String(timestamp),
      'X-Crisp-Signature': await signCrispWebhook(webhookSecret, timestamp, body),
    },
    body: JSON.stringify(body),
  });
  expect(response.status).toBe(200);
  return response.json();
}

describe('sessions no web hook named and the relay never read (assumeUnseenSessions)', () => {
  it('answers count 0 marked assumed, with no call, once the budget cannot pay a first read', async () => {
    const { harness } = await spentRelay();
    // Crisp holds 2 here: the assumption is wrong for this one, and says so.
    const sessionId = harness.emulator.createSession(harness.website.websiteId, { unread: 2 });
    const response = await harness.get(unread(sessionId));
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ count: 0, stale: false, assumed: true });
    const sse = sseReader(await harness.get(stream(sessionId)));
    await waitFor(() => sse.counts().length === 1);
    expect(sse.counts()[0]).toMatchObject({ count: 0, stale: false, assumed: true });
    expect(harness.upstream()).toBe(3);
    // The GET, the stream's first count, and its look once watching.
    expect((await healthOf(harness)).assumed).toBe(3);
    await sse.cancel();
  });

  it("reads a streamed assumed session when a hook names it, then shows Crisp's count unmarked", async () => {
    const clock = manualClock(Date.UTC(2026, 0, 15, 23, 0));
    // firstReads 1 of 10, spent at once; the hooks share has room.
    h = await startHarness({
      webhook: true,
      now: clock.now,
      dailyBudget: 10,
      budgetShares: { hooks: 0.9, firstReads: 0.1, safety: 0 },
      assumeUnseenSessions: true,
    });
    const harness = h;
    const spent = harness.emulator.createSession(harness.website.websiteId);
    expect((await harness.get(unread(spent))).status).toBe(200);
    const sessionId = harness.emulator.createSession(harness.website.websiteId);
    const sse = sseReader(await harness.get(stream(sessionId)));
    await waitFor(() => sse.counts().length === 1);
    expect(sse.counts()[0]).toMatchObject({ count: 0, assumed: true });
    expect(harness.upstream()).toBe(1);

    // An event only a read tells (an operator's message would raise an assumed count).
    harness.emulator.operatorSends(harness.website.websiteId, sessionId);
    await postHook(harness, sessionId, 'message:updated', clock.now());
    await waitFor(() => sse.counts().length === 2, 10_000, 'the read a hook asked for');
    expect(sse.counts()[1]).toEqual(expect.objectContaining({ count: 1, stale: false }));
    expect(sse.counts()[1]).not.toHaveProperty('assumed');
    expect(harness.upstream()).toBe(2);
    const body = await (await harness.get(unread(sessionId))).json();
    expect(body).toMatchObject({ count: 1, stale: false });
    expect(body).not.toHaveProperty('assumed');
    await sse.cancel();
  });

  it("raises an assumed count with operators' messages, marked until a read confirms it", async () => {
    // One safety read left, for the check.
    const { harness, clock } = await spentRelay({ safety: 1 });
    const sessionId = harness.emulator.createSession(harness.website.websiteId);
    const sse = sseReader(await harness.get(stream(sessionId)));
    await waitFor(() => sse.counts().length === 1);
    for (const expected of [1, 2]) {
      harness.emulator.operatorSends(harness.website.websiteId, sessionId);
      await postHook(harness, sessionId, 'message:received', clock.now());
      clock.advance(1000);
      await waitFor(() => sse.counts().length === expected + 1);
      expect(sse.counts()[expected]).toMatchObject({ count: expected, assumed: true });
    }
    expect(await (await harness.get(unread(sessionId))).json()).toMatchObject({
      count: 2,
      assumed: true,
    });
    expect(harness.upstream()).toBe(3);
    // Past the safety period, a read (or the check 10 s after the hook) confirms the count, and
    // it loses its mark.
    clock.advance(30 * 60_000);
    await harness.get(unread(sessionId));
    await waitFor(() => sse.counts().length === 4, 10_000, 'the confirmed count on the stream');
    expect(sse.counts()[3]).toEqual(expect.objectContaining({ count: 2, stale: false }));
    expect(sse.counts()[3]).not.toHaveProperty('assumed');
    const body = await (await harness.get(unread(sessionId))).json();
    expect(body).toMatchObject({ count: 2, stale: false });
    expect(body).not.toHaveProperty('assumed');
    expect(harness.upstream()).toBe(4);
    await sse.cancel();
  });

  it("takes the visitor's own message as no change: nothing marked, nothing read", async () => {
    const { harness, clock } = await spentRelay();
    const sessionId = harness.emulator.createSession(harness.website.websiteId);
    harness.emulator.visitorSends(harness.website.websiteId, sessionId);
    expect(await postHook(harness, sessionId, 'message:send', clock.now())).toMatchObject({
      count: null,
    });
    expect(await (await harness.get(unread(sessionId))).json()).toMatchObject({
      count: 0,
      assumed: true,
    });
    expect(harness.upstream()).toBe(3);
  });

  it('never assumes for a session a hook named: 503 until the budget can read it', async () => {
    const { harness, clock } = await spentRelay();
    const sessionId = harness.emulator.createSession(harness.website.websiteId, { unread: 1 });
    // A read acknowledgement: its effect on the count only a read tells.
    harness.emulator.visitorReads(harness.website.websiteId, sessionId);
    await postHook(harness, sessionId, 'message:acknowledge:read:received', clock.now());
    const response = await harness.get(unread(sessionId));
    expect(response.status).toBe(503);
    expect(await response.json()).toMatchObject({ error: 'budget-exhausted' });
    expect(harness.upstream()).toBe(3);
  });

  it("reads an assumed session once the budget allows, and shows Crisp's count", async () => {
    const { harness, clock } = await spentRelay();
    const sessionId = harness.emulator.createSession(harness.website.websiteId, { unread: 2 });
    expect(await (await harness.get(unread(sessionId))).json()).toMatchObject({
      count: 0,
      assumed: true,
    });
    // The next UTC day brings a new allowance.
    clock.advance(3_600_000);
    const body = await (await harness.get(unread(sessionId))).json();
    expect(body).toMatchObject({ count: 2, stale: false });
    expect(body).not.toHaveProperty('assumed');
    expect(harness.upstream()).toBe(4);
  });

  it('assumes nothing without web hooks (nothing would correct it) or when turned off', async () => {
    const { harness } = await spentRelay({ webhook: false });
    const response = await harness.get(
      unread(harness.emulator.createSession(harness.website.websiteId)),
    );
    expect(response.status).toBe(503);
    expect((await healthOf(harness)).assumed).toBeNull();
    await harness.close();
    h = await startHarness({ webhook: true, dailyBudget: 0, assumeUnseenSessions: false });
    const off = await h.get(unread(h.emulator.createSession(h.website.websiteId)));
    expect(off.status).toBe(503);
  });
});
