import { signCrispWebhook } from '@crisp-unread/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { type Harness, sseReader, startHarness, waitFor, webhookSecret } from './harness';

// Every form Crisp may use where its docs are silent, played by the emulator: the relay must take
// each, and say in /healthz which one it met. Hooks here are reads (`deriveFromHooks: false`):
// these tests measure the read each kind of hook asks for. Each hook test runs under both timestamp units.

const webhookToken = 'a3f1c9e07b6d4e2f9a8c1b0d2e3f4a5b';
let h: Harness | undefined;
const cleanups: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
  if (h) {
    for (const line of h.logs) {
      expect(line).not.toContain(webhookSecret);
      expect(line).not.toContain(webhookToken);
      expect(line).not.toContain(h.website.key);
    }
    await h.close();
  }
  h = undefined;
});

const unread = (sessionId: string) => `/sessions/${sessionId}/unread`;
const hookUrl = (harness: Harness, query = '') => `${harness.served.url}/webhooks/crisp${query}`;

async function healthz(harness: Harness) {
  return (await (await harness.get('/healthz')).json()) as {
    upstream: { status: string; lastError: { code: string; status: number } | null };
    hooks: {
      accepted: number;
      rejected: Record<string, number>;
      lastRejectedReason: string | null;
      clockSkewMs: number | null;
      timestampUnit: string | null;
    };
  };
}

/** Opens the session's stream and waits for its first count. */
async function openStream(harness: Harness, sessionId = harness.sessionId) {
  const response = await harness.get(`${unread(sessionId)}/stream`);
  expect(response.status).toBe(200);
  const stream = sseReader(response);
  cleanups.push(() => stream.cancel());
  await waitFor(() => stream.counts().length > 0, 10_000, 'the first count');
  return stream;
}

describe.each(['s', 'ms'] as const)('web hooks with timestamps in %s', (unit) => {
  it('a signed hook pushes the new count to an open stream in under 1 s', async () => {
    h = await startHarness({ deriveFromHooks: false, webhook: true });
    h.emulator.setWebhook({ url: hookUrl(h), secret: webhookSecret, timestampUnit: unit });
    const stream = await openStream(h);
    const started = performance.now();
    h.emulator.operatorSends(h.website.websiteId, h.sessionId);
    await waitFor(() => stream.counts().some((c) => c.count === 3), 5000, 'the pushed count');
    const elapsedMs = performance.now() - started;
    console.info(`[figure] signed hook (${unit}) -> stream: ${elapsedMs.toFixed(0)} ms`);
    expect(elapsedMs).toBeLessThan(1000);
    const health = await healthz(h);
    expect(health.hooks).toMatchObject({ accepted: 1, timestampUnit: unit });
    // Delivery delay plus, in seconds, up to 1 s of truncation: small either way.
    expect(Math.abs(health.hooks.clockSkewMs!)).toBeLessThan(unit === 's' ? 2000 : 1000);
  });

  it('takes an unsigned Website Hook with its URL token (tier website); a wrong or missing token gets 401 and costs nothing', async () => {
    h = await startHarness({
      deriveFromHooks: false,
      webhookToken,
      website: { tier: 'website' },
      tier: 'website',
    });
    const harness = h;
    await h.get(unread(h.sessionId));
    h.emulator.setWebhook({ url: hookUrl(h, `?token=${webhookToken}`), timestampUnit: unit });
    h.emulator.operatorSends(h.website.websiteId, h.sessionId);
    expect(await h.emulator.webhooksDelivered()).toEqual([
      expect.objectContaining({ status: 200, signed: false }),
    ]);
    expect(h.upstream()).toBe(2);
    await waitFor(() => harness.upstream() === 2);
    expect(await (await h.get(unread(h.sessionId))).json()).toMatchObject({ count: 3 });

    for (const query of ['?token=b3f1c9e07b6d4e2f9a8c1b0d2e3f4a5b', '']) {
      h.emulator.clearWebhookDeliveries();
      h.emulator.setWebhook({ url: hookUrl(h, query), timestampUnit: unit });
      h.emulator.operatorSends(h.website.websiteId, h.sessionId);
      expect(await h.emulator.webhooksDelivered()).toEqual([
        expect.objectContaining({ status: 401 }),
      ]);
    }
    expect(h.upstream()).toBe(2);
    const health = await healthz(h);
    expect(health.hooks.rejected.token).toBe(2);
    expect(health.hooks.lastRejectedReason).toBe('token');
    expect(h.logs.filter((line) => line.includes('refused a web hook (token)'))).toHaveLength(1);
  });

  it('with both webhookSecret and webhookToken set, takes a signed hook or a tokened one', async () => {
    h = await startHarness({ deriveFromHooks: false, webhook: true, webhookToken });
    await h.get(unread(h.sessionId));
    const deliver = async (target: { url: string; secret?: string }) => {
      h!.emulator.clearWebhookDeliveries();
      h!.emulator.setWebhook({ ...target, timestampUnit: unit });
      h!.emulator.operatorSends(h!.website.websiteId, h!.sessionId);
      const [delivery] = await h!.emulator.webhooksDelivered();
      return delivery!.status;
    };
    expect(await deliver({ url: hookUrl(h), secret: webhookSecret })).toBe(200);
    expect(await deliver({ url: hookUrl(h, `?token=${webhookToken}`) })).toBe(200);
    expect(await deliver({ url: hookUrl(h) })).toBe(401);
    expect(await deliver({ url: hookUrl(h, `?token=${webhookToken}`), secret: 'wrong' })).toBe(401);
    expect(h.upstream()).toBe(3);
  });

  it('takes a hook 30 min late once (1 call), its retry for 0 calls, and refuses one 2 h late', async () => {
    h = await startHarness({ deriveFromHooks: false, webhook: true });
    await h.get(unread(h.sessionId));
    expect(h.upstream()).toBe(1);
    const late = (lateByMs: number) =>
      h!.emulator.setWebhook({
        url: hookUrl(h!),
        secret: webhookSecret,
        timestampUnit: unit,
        lateByMs,
      });
    late(30 * 60_000);
    h.emulator.operatorSends(h.website.websiteId, h.sessionId);
    expect(await h.emulator.webhooksDelivered()).toEqual([
      expect.objectContaining({ status: 200 }),
    ]);
    expect(h.upstream()).toBe(2);
    const [retry] = await h.emulator.redeliverWebhooks();
    expect(retry).toMatchObject({ status: 200, retry: true });
    expect(h.upstream()).toBe(2);

    h.emulator.clearWebhookDeliveries();
    late(2 * 3_600_000);
    h.emulator.operatorSends(h.website.websiteId, h.sessionId);
    expect(await h.emulator.webhooksDelivered()).toEqual([
      expect.objectContaining({ status: 401 }),
    ]);
    expect(h.upstream()).toBe(2);
    const health = await healthz(h);
    expect(health.hooks.rejected).toMatchObject({ duplicate: 1, timestamp: 1 });
    expect(health.hooks.accepted).toBe(1);
    const logged = h.logs.filter((line) => line.includes('refused a web hook (timestamp)'));
    expect(logged).toEqual([expect.stringMatching(/clock skew 72\d{5} ms/)]);
  });
});

describe('Crisp setup errors', () => {
  it('answers 502 upstream-not-subscribed to not_subscribed, logs it once, and /healthz says so', async () => {
    h = await startHarness();
    h.emulator.setSubscribed(h.website.websiteId, false);
    for (let i = 0; i < 3; i++) {
      const other = h.emulator.createSession(h.website.websiteId);
      const response = await h.get(unread(other));
      expect(response.status).toBe(502);
      expect(await response.json()).toMatchObject({ error: 'upstream-not-subscribed' });
    }
    expect(h.logs).toEqual([expect.stringContaining('not_subscribed')]);
    const { upstream } = await healthz(h);
    expect(upstream).toMatchObject({
      status: 'not-subscribed',
      lastError: { code: 'misconfigured', status: 404 },
    });

    h.emulator.setSubscribed(h.website.websiteId, true);
    const later = h.emulator.createSession(h.website.websiteId, { unread: 4 });
    expect(await (await h.get(unread(later))).json()).toMatchObject({ count: 4 });
    expect((await healthz(h)).upstream.status).toBe('ok');
  });

  it("shows the relay's own key refused in /healthz", async () => {
    h = await startHarness();
    const harness = h;
    await harness.served.close();
    const { createUnreadRelay } = await import('../createUnreadRelay');
    const { serveUnreadRelay } = await import('../node');
    const relay = createUnreadRelay({
      ...h.emulator.restOptions(h.website),
      key: 'not-the-key-at-all',
      log: (line) => harness.logs.push(line),
    });
    const served = await serveUnreadRelay(relay, { port: 0 });
    cleanups.push(() => served.close());
    const response = await fetch(`${served.url}${unread(h.sessionId)}`);
    expect(response.status).toBe(502);
    expect(await response.json()).toMatchObject({ error: 'upstream-unauthorized' });
    const health = await (await fetch(`${served.url}/healthz`)).json();
    expect(health.upstream).toMatchObject({ status: 'unauthorized', lastOkAt: null });
    expect(harness.logs).toEqual([expect.stringContaining('check CRISP_IDENTIFIER and CRISP_KEY')]);
    // The harness closes its own server again: harmless.
  });
});

describe("Crisp's cache and deletions", () => {
  it('reads once more after a HIT that shows the old count: the new count within 5 s, 1 extra call', async () => {
    h = await startHarness({ deriveFromHooks: false, webhook: true }); // cacheHitRereadMs: its default, 2 s
    const stream = await openStream(h);
    expect(h.upstream()).toBe(1);
    h.emulator.setCacheHits(1);
    const started = performance.now();
    h.emulator.operatorSends(h.website.websiteId, h.sessionId);
    await waitFor(() => stream.counts().some((c) => c.count === 3), 5000, 'the new count');
    const elapsedMs = performance.now() - started;
    console.info(`[figure] HIT re-read -> new count: ${elapsedMs.toFixed(0)} ms`);
    expect(elapsedMs).toBeLessThan(5000);
    expect(h.upstream()).toBe(3);
    const hits = h.emulator.requests.filter((r) => r.method === 'GET');
    expect(hits).toHaveLength(3);
  });

  it('a HIT on the extra read asks for nothing more', async () => {
    h = await startHarness({ deriveFromHooks: false, webhook: true, cacheHitRereadMs: 200 });
    const harness = h;
    await openStream(h);
    h.emulator.setCacheHits(2);
    h.emulator.operatorSends(h.website.websiteId, h.sessionId);
    await waitFor(() => harness.upstream() === 3, 5000, 'the extra read');
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(h.upstream()).toBe(3);
  });

  it('cacheHitRereadMs: false reads nothing more after a HIT', async () => {
    h = await startHarness({ deriveFromHooks: false, webhook: true, cacheHitRereadMs: false });
    const harness = h;
    await openStream(h);
    h.emulator.setCacheHits(1);
    h.emulator.operatorSends(h.website.websiteId, h.sessionId);
    await waitFor(() => harness.upstream() === 2, 5000, 'the hook re-read');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(h.upstream()).toBe(2);
  });

  it('after session:removed, streams get gone and GETs answer 404 from memory until a hook names it again', async () => {
    h = await startHarness({ webhook: true, safetyRefreshMs: 100 });
    const stream = await openStream(h);
    const calls = h.upstream();
    h.emulator.deleteSession(h.website.websiteId, h.sessionId);
    await waitFor(() => stream.blocks.some((b) => b.startsWith('event: gone')), 5000, 'gone');
    await new Promise((resolve) => setTimeout(resolve, 300)); // past safetyRefreshMs
    for (let i = 0; i < 3; i++) {
      const response = await h.get(unread(h.sessionId));
      expect(response.status).toBe(404);
      expect(await response.json()).toMatchObject({ error: 'session-not-found' });
    }
    expect(h.upstream()).toBe(calls);
    expect((await healthz(h)).hooks.accepted).toBe(1);

    // Until Crisp says otherwise: a later hook naming the session reads it again.
    h.emulator.setWebhook(null);
    const at = Date.now();
    const body = JSON.stringify({
      website_id: h.website.websiteId,
      // An event whose effect on the count only a read tells.
      event: 'message:updated',
      data: { website_id: h.website.websiteId, session_id: h.sessionId },
      timestamp: at,
    });
    const hook = await h.get('/webhooks/crisp', {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        'X-Crisp-Request-Timestamp': String(at),
        'X-Crisp-Signature': signCrispWebhook(webhookSecret, at, body),
      },
      body,
    });
    expect(hook.status).toBe(200);
    expect(h.upstream()).toBe(calls + 1);
  });
});

describe('stale means stale', () => {
  it('unchanged counts past safetyRefreshMs: no stale answer over JSON or SSE', async () => {
    h = await startHarness({ webhook: true, safetyRefreshMs: 100 });
    const harness = h;
    const sessions = [
      h.sessionId,
      h.emulator.createSession(h.website.websiteId, { unread: 1 }),
      h.emulator.createSession(h.website.websiteId, { unread: 0 }),
    ];
    const streams = await Promise.all(sessions.map((sessionId) => openStream(harness, sessionId)));
    let answers = 0;
    let stale = 0;
    const until = Date.now() + 1500;
    while (Date.now() < until) {
      for (const sessionId of sessions) {
        const body = await (await h.get(unread(sessionId))).json();
        answers++;
        if (body.stale !== false) stale++;
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const events = streams.flatMap((stream) => stream.counts()) as { stale?: boolean }[];
    const staleEvents = events.filter((event) => event.stale !== false).length;
    console.info(
      `[figure] unchanged counts past safetyRefreshMs: ${stale} stale of ${answers} GETs, ${staleEvents} of ${events.length} SSE events, ${h.upstream()} calls`,
    );
    expect(h.upstream()).toBeGreaterThan(sessions.length); // safety re-reads did happen
    expect(stale).toBe(0);
    expect(staleEvents).toBe(0);
  });
});
