import { afterEach, describe, expect, it } from 'vitest';
import { maxConcurrentReads, outageThreshold } from '../upstreamGate';
import { eventually, type Harness, manualClock, startHarness, waitFor } from './harness';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const unread = (sessionId: string) => `/sessions/${sessionId}/unread`;

describe('failure memory', () => {
  it('with Crisp answering 500, 200 requests on one expired session make 1 call, then none for failureMemoryMs', async () => {
    const clock = manualClock();
    h = await startHarness({ now: clock.now, ttlMs: 1000 });
    const harness = h;
    await h.get(unread(h.sessionId));
    clock.advance(1000);
    h.emulator.fault({ type: 'server-error' });
    const burst = () =>
      Promise.all(
        Array.from({ length: 200 }, () =>
          harness.get(unread(harness.sessionId)).then(async (r) => [r.status, await r.json()]),
        ),
      );
    for (const [status, body] of await burst()) {
      expect(status).toBe(200);
      expect(body).toMatchObject({ count: 2, stale: true });
    }
    await waitFor(() => harness.upstream() === 2, 5000, 'the background read');
    clock.advance(29_999);
    for (const [status, body] of await burst()) {
      expect(status).toBe(200);
      expect(body).toMatchObject({ count: 2, stale: true });
    }
    expect(h.upstream()).toBe(2);
    // Past failureMemoryMs one more call; Crisp answers again, the count is fresh.
    h.emulator.clearFaults();
    clock.advance(1);
    await eventually(
      async () => (await (await harness.get(unread(harness.sessionId))).json()).stale === false,
      'a fresh count',
    );
    expect(h.upstream()).toBe(3);
  });

  it('answers a cold session the remembered error without calling again', async () => {
    const clock = manualClock();
    h = await startHarness({ now: clock.now, failureMemoryMs: 5000 });
    h.emulator.fault({ type: 'server-error' });
    for (let i = 0; i < 3; i++) {
      const response = await h.get(unread(h.sessionId));
      expect(response.status).toBe(502);
      expect(await response.json()).toMatchObject({ upstream: 'server' });
    }
    expect(h.upstream()).toBe(1);
    clock.advance(5000);
    expect((await h.get(unread(h.sessionId))).status).toBe(502);
    expect(h.upstream()).toBe(2);
  });
});

describe('upstream outage', () => {
  it('pauses calls after repeated 500s across sessions, then lets one probe decide', async () => {
    const clock = manualClock();
    h = await startHarness({ now: clock.now });
    const harness = h;
    const sessions = Array.from({ length: 200 }, () =>
      harness.emulator.createSession(harness.website.websiteId, { unread: 1 }),
    );
    h.emulator.fault({ type: 'server-error' });
    const statuses = await Promise.all(
      sessions.map((sessionId) => harness.get(unread(sessionId)).then((r) => r.status)),
    );
    expect(statuses.every((status) => status === 502 || status === 503)).toBe(true);
    const calls = h.upstream();
    expect(calls).toBeGreaterThanOrEqual(outageThreshold);
    expect(calls).toBeLessThanOrEqual(maxConcurrentReads + outageThreshold);

    // Paused: other sessions get the failure at once, and Crisp is left alone.
    const other = h.emulator.createSession(h.website.websiteId);
    const paused = await h.get(unread(other));
    expect(paused.status).toBe(502);
    expect(await paused.json()).toMatchObject({ upstream: 'server' });
    expect(h.upstream()).toBe(calls);

    // After the pause (failureMemoryMs) one probe; it fails, so the pause starts again.
    clock.advance(30_000);
    expect((await h.get(unread(other))).status).toBe(502);
    expect(h.upstream()).toBe(calls + 1);
    expect((await h.get(unread(sessions[0]!))).status).toBe(502);
    expect(h.upstream()).toBe(calls + 1);

    // Crisp is back: the next probe succeeds and calls flow again.
    h.emulator.clearFaults();
    clock.advance(30_000);
    expect(await (await h.get(unread(other))).json()).toMatchObject({ count: 0, stale: false });
    const fresh = await Promise.all(
      sessions
        .slice(0, 20)
        .map((sessionId) => harness.get(unread(sessionId)).then((r) => r.status)),
    );
    expect(fresh.every((status) => status === 200)).toBe(true);
  });
});

describe('stale while revalidate', () => {
  it('answers a cached count at once while Crisp hangs; only a cold session waits', async () => {
    const clock = manualClock();
    // A deadline longer than the test's own timeout: a request that waited for Crisp would fail it.
    h = await startHarness({ now: clock.now, ttlMs: 1000, timeoutMs: 60_000 });
    const harness = h;
    await h.get(unread(h.sessionId));
    clock.advance(1000);
    h.emulator.fault({ type: 'hang' });
    const bodies = await Promise.all(
      Array.from({ length: 50 }, () =>
        harness.get(unread(harness.sessionId)).then((r) => r.json()),
      ),
    );
    for (const body of bodies) expect(body).toMatchObject({ count: 2, stale: true });
    // A hung request is in the emulator's log once it ends: count the relay's calls meanwhile.
    await waitFor(() => harness.relay.stats().upstreamCalls === 2, 5000, 'the background read');
    // The cold session waits for Crisp: still pending when the relay closes (and then answered).
    const cold = h.emulator.createSession(h.website.websiteId);
    let settled = false;
    const waiting = h.get(unread(cold)).then((response) => {
      settled = true;
      return response.status;
    });
    await waitFor(() => harness.relay.stats().upstreamCalls === 3, 5000, 'the cold read');
    expect(settled).toBe(false);
    await h.relay.close();
    expect(await waiting).toBe(502);
    await waitFor(() => harness.upstream() === 3, 15_000, 'the aborted calls in the log');
  });
});
