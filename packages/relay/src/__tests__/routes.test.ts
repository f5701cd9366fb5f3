import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { eventually, type Harness, manualClock, startHarness, waitFor } from './harness';

let h: Harness | undefined;
afterEach(async () => {
  if (h) {
    // No response or log line may carry a secret.
    for (const line of h.logs) expect(line).not.toContain(h.website.key);
    await h.close();
  }
  h = undefined;
});

describe('GET /sessions/{id}/unread', () => {
  it('answers the count read from Crisp, then serves it from the cache within the TTL', async () => {
    h = await startHarness();
    const first = await h.get(`/sessions/${h.sessionId}/unread`);
    expect(first.status).toBe(200);
    expect(first.headers.get('cache-control')).toBe('no-store');
    expect(await first.json()).toEqual({ count: 2, updatedAt: expect.any(Number), stale: false });
    h.emulator.operatorSends(h.website.websiteId, h.sessionId);
    expect(await (await h.get(`/sessions/${h.sessionId}/unread`)).json()).toMatchObject({
      count: 2,
    });
    expect(h.upstream()).toBe(1);
  });

  it('reads Crisp again once the TTL has passed, answering the old count at once meanwhile', async () => {
    const clock = manualClock();
    h = await startHarness({ now: clock.now, ttlMs: 15_000 });
    await h.get(`/sessions/${h.sessionId}/unread`);
    h.emulator.operatorSends(h.website.websiteId, h.sessionId);
    clock.advance(14_999);
    expect(await (await h.get(`/sessions/${h.sessionId}/unread`)).json()).toMatchObject({
      count: 2,
      stale: false,
    });
    clock.advance(1);
    // Stale while revalidating: the cached count at once, the read in the background.
    h.emulator.fault({ type: 'latency', ms: 100 }, { times: 1 });
    expect(await (await h.get(`/sessions/${h.sessionId}/unread`)).json()).toMatchObject({
      count: 2,
      stale: true,
    });
    const harness = h;
    await eventually(
      async () =>
        (await (await harness.get(`/sessions/${harness.sessionId}/unread`)).json()).count === 3,
      'the refreshed count',
    );
    expect(await (await h.get(`/sessions/${h.sessionId}/unread`)).json()).toMatchObject({
      count: 3,
      stale: false,
    });
    expect(h.upstream()).toBe(2);
  });

  it('answers 404 session-not-found for a gone session, and caches that too', async () => {
    h = await startHarness();
    h.emulator.deleteSession(h.website.websiteId, h.sessionId);
    for (let i = 0; i < 3; i++) {
      const response = await h.get(`/sessions/${h.sessionId}/unread`);
      expect(response.status).toBe(404);
      expect(await response.json()).toEqual({
        error: 'session-not-found',
        message: expect.any(String),
      });
    }
    expect(h.upstream()).toBe(1);
  });

  it('answers 400 invalid-session-id for malformed ids without calling Crisp (fuzz)', async () => {
    h = await startHarness();
    const harness = h;
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string(),
          fc.string({ unit: 'binary' }),
          fc.uuid().map((uuid) => `session_${uuid}x`),
          fc.uuid().map((uuid) => `session-${uuid}`),
          fc.uuid().map((uuid) => uuid),
          fc.constantFrom(
            'session_',
            '..',
            '%2e%2e',
            'session_00000000-0000-0000-0000-00000000000g',
          ),
        ),
        async (raw) => {
          const segment = encodeURIComponent(raw);
          if (segment === '' || segment === '.' || segment === '..') return;
          const response = await harness.get(`/sessions/${segment}/unread`);
          expect([400, 404]).toContain(response.status);
          const body = (await response.json()) as { error: string };
          expect(['invalid-session-id', 'not-found']).toContain(body.error);
        },
      ),
      { numRuns: 300 },
    );
    expect(h.upstream()).toBe(0);
    expect(h.relay.stats().upstreamCalls).toBe(0);
  });

  it('answers 404 not-found as JSON for unknown routes and methods', async () => {
    h = await startHarness();
    const unknown = await h.get('/nope');
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ error: 'not-found' });
    const post = await h.get(`/sessions/${h.sessionId}/unread`, { method: 'POST' });
    expect(post.status).toBe(404);
  });

  it('answers 429 rate-limited with Retry-After past a client’s burst', async () => {
    h = await startHarness({ rateLimit: { burst: 3, perSecond: 0.001 } });
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++)
      statuses.push((await h.get(`/sessions/${h.sessionId}/unread`)).status);
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
    const refused = await h.get(`/sessions/${h.sessionId}/unread`);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await refused.json()).toMatchObject({ error: 'rate-limited' });
  });

  it('keys the rate limit on the right-most X-Forwarded-For entry with trustProxy: true', async () => {
    h = await startHarness({ rateLimit: { burst: 1, perSecond: 0.001 }, trustProxy: true });
    // What a client sends, then what the one trusted proxy appends: the peer it saw.
    const as = (spoofed: string, peer: string) =>
      h!.get(`/sessions/${h!.sessionId}/unread`, {
        headers: { 'X-Forwarded-For': `${spoofed}, ${peer}` },
      });
    expect((await as('203.0.113.1', '198.51.100.1')).status).toBe(200);
    // A new spoofed entry each time does not buy a new bucket.
    expect((await as('203.0.113.2', '198.51.100.1')).status).toBe(429);
    expect((await as('203.0.113.1', '198.51.100.2')).status).toBe(200);
  });

  it('maps upstream 401 and 403 to 502 upstream-unauthorized / upstream-forbidden, never echoing the key', async () => {
    h = await startHarness({ key: 'a-wrong-key-12345' });
    const response = await h.get(`/sessions/${h.sessionId}/unread`);
    expect(response.status).toBe(502);
    const text = await response.text();
    expect(JSON.parse(text)).toMatchObject({ error: 'upstream-unauthorized' });
    expect(text).not.toContain('a-wrong-key-12345');
    expect(h.logs.join('\n')).not.toContain('a-wrong-key-12345');
    await h.close();

    h = await startHarness({ tier: 'website' });
    const forbidden = await h.get(`/sessions/${h.sessionId}/unread`);
    expect(forbidden.status).toBe(502);
    expect(await forbidden.json()).toMatchObject({ error: 'upstream-forbidden' });
  });

  it('answers 502/504 upstream-unavailable with the upstream code, or the cached count as stale', async () => {
    const clock = manualClock();
    h = await startHarness({ now: clock.now, timeoutMs: 300 });
    h.emulator.fault({ type: 'server-error' }, { times: 1 });
    const failed = await h.get(`/sessions/${h.sessionId}/unread`);
    expect(failed.status).toBe(502);
    expect(await failed.json()).toMatchObject({
      error: 'upstream-unavailable',
      upstream: 'server',
    });

    h.emulator.fault({ type: 'hang' }, { times: 1 });
    const other = h.emulator.createSession(h.website.websiteId);
    const timedOut = await h.get(`/sessions/${other}/unread`);
    expect(timedOut.status).toBe(504);
    expect(await timedOut.json()).toMatchObject({
      error: 'upstream-unavailable',
      upstream: 'timeout',
    });

    // The failure is remembered for failureMemoryMs (30 s): no call meanwhile.
    expect((await h.get(`/sessions/${h.sessionId}/unread`)).status).toBe(502);
    expect(h.upstream()).toBe(2);
    clock.advance(30_000);
    expect((await h.get(`/sessions/${h.sessionId}/unread`)).status).toBe(200);
    clock.advance(60_000);
    h.emulator.fault({ type: 'html' }, { times: 1 });
    const stale = await h.get(`/sessions/${h.sessionId}/unread`);
    expect(stale.status).toBe(200);
    expect(await stale.json()).toMatchObject({ count: 2, stale: true });
    const harness = h;
    await waitFor(() => harness.upstream() === 4, 5000, 'the background read');
    expect(await (await h.get(`/sessions/${h.sessionId}/unread`)).json()).toMatchObject({
      count: 2,
      stale: true,
    });
  });

  it('respects upstream Retry-After: serves stale and leaves Crisp alone meanwhile', async () => {
    const clock = manualClock();
    h = await startHarness({ now: clock.now, ttlMs: 1000 });
    expect((await h.get(`/sessions/${h.sessionId}/unread`)).status).toBe(200);
    clock.advance(2000);
    h.emulator.fault({ type: 'rate-limit', status: 420, retryAfter: 30 }, { times: 1 });
    expect(await (await h.get(`/sessions/${h.sessionId}/unread`)).json()).toMatchObject({
      stale: true,
    });
    const harness = h;
    await waitFor(() => harness.upstream() === 2, 5000, 'the background read');
    for (let i = 0; i < 5; i++) {
      clock.advance(2000);
      expect(await (await h.get(`/sessions/${h.sessionId}/unread`)).json()).toMatchObject({
        count: 2,
        stale: true,
      });
    }
    const cold = h.emulator.createSession(h.website.websiteId);
    const refused = await h.get(`/sessions/${cold}/unread`);
    expect(refused.status).toBe(503);
    expect(await refused.json()).toMatchObject({
      error: 'upstream-unavailable',
      upstream: 'rate-limited',
    });
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(h.upstream()).toBe(2);
    clock.advance(30_000);
    // Past the pause one probe reads again; the count is fresh once it answered.
    await eventually(
      async () =>
        (await (await harness.get(`/sessions/${harness.sessionId}/unread`)).json()).stale === false,
      'a fresh count after the pause',
    );
    expect(h.upstream()).toBe(3);
  });
});

describe('CORS and basePath', () => {
  it('allows only the configured origins', async () => {
    h = await startHarness({
      allowedOrigins: ['https://shop.example'],
      basePath: '/api/crisp-unread',
    });
    const allowed = await h.get(`/api/crisp-unread/sessions/${h.sessionId}/unread`, {
      headers: { Origin: 'https://shop.example' },
    });
    expect(allowed.status).toBe(200);
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://shop.example');
    const other = await h.get(`/api/crisp-unread/sessions/${h.sessionId}/unread`, {
      headers: { Origin: 'https://evil.example' },
    });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
    const preflight = await h.get(`/api/crisp-unread/sessions/${h.sessionId}/unread`, {
      method: 'OPTIONS',
      headers: { Origin: 'https://shop.example', 'Access-Control-Request-Method': 'GET' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-methods')).toContain('GET');
    expect((await h.get(`/sessions/${h.sessionId}/unread`)).status).toBe(404);
  });

  it('sends no CORS headers by default', async () => {
    h = await startHarness();
    const response = await h.get(`/sessions/${h.sessionId}/unread`, {
      headers: { Origin: 'https://shop.example' },
    });
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('createUnreadRelay options', () => {
  it('refuses bad options with one clear error naming the option', async () => {
    const { createUnreadRelay } = await import('../createUnreadRelay');
    const base = {
      websiteId: '8c842203-7ed8-4e29-a608-7cf78a7d2fcc',
      identifier: 'id',
      key: 'secret-key-123',
    };
    expect(() => createUnreadRelay({ ...base, ttlMs: 0 })).toThrow(/ttlMs/);
    expect(() => createUnreadRelay({ ...base, dailyBudget: -1 })).toThrow(/dailyBudget/);
    expect(() => createUnreadRelay({ ...base, basePath: 'api/' })).toThrow(/basePath/);
    expect(() => createUnreadRelay({ ...base, webhookSecret: '' })).toThrow(/webhookSecret/);
    expect(() => createUnreadRelay({ ...base, websiteId: 'nope' })).toThrow(/websiteId/);
    try {
      createUnreadRelay({ ...base, websiteId: 'nope' });
    } catch (error) {
      expect(String(error)).not.toContain('secret-key-123');
    }
  });
});
