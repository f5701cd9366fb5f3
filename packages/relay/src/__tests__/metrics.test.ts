import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { createUnreadRelay } from '../createUnreadRelay';
import { prometheusMetrics } from '../prometheus';
import { signCrispWebhook } from '../signature';
import { type Harness, sseReader, startHarness, waitFor, webhookSecret } from './harness';

const metricsToken = 'metrics-token-for-the-tests-0123';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** `name{labels} value` lines as a map from `name{labels}` to the value. */
function samples(text: string): Map<string, number> {
  const map = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    map.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return map;
}

async function postHook(
  harness: Harness,
  body: unknown,
  secret = webhookSecret,
  timestamp = Date.now(),
) {
  return harness.get('/webhooks/crisp', {
    method: 'POST',
    headers: {
      'Content-Type': 'application/json',
      'X-Crisp-Request-Timestamp': String(timestamp),
      'X-Crisp-Signature': await signCrispWebhook(secret, timestamp, body),
    },
    body: JSON.stringify(body),
  });
}

describe('GET /metrics', () => {
  it('counts real traffic against the emulator by share, outcome and reason, and holds no secret', async () => {
    // Every hook a read, so that the hooks share's calls show.
    h = await startHarness({
      webhook: true,
      deriveFromHooks: false,
      metrics: prometheusMetrics(),
      metricsToken,
    });
    const { emulator, website, sessionId } = h;
    const websiteId = website.websiteId;
    const failing = emulator.createSession(websiteId, { unread: 1 });
    const unknown = `session_${crypto.randomUUID()}`;
    const unwatched = emulator.createSession(websiteId, { unread: 3 });
    emulator.fault({ type: 'server-error' }, { sessionId: failing, times: 1 });

    expect((await h.get(`/sessions/${sessionId}/unread`)).status).toBe(200); // miss
    expect((await h.get(`/sessions/${sessionId}/unread`)).status).toBe(200); // hit
    expect((await h.get(`/sessions/${failing}/unread`)).status).toBe(502); // miss, server
    expect((await h.get(`/sessions/${unknown}/unread`)).status).toBe(404); // miss, gone
    const stream = sseReader(await h.get(`/sessions/${sessionId}/unread/stream`)); // hit
    await waitFor(() => stream.counts().length === 1, 10_000, 'the first count');
    emulator.operatorSends(websiteId, sessionId); // the emulator posts a signed hook: read
    await waitFor(() => stream.counts().at(-1)?.count === 3, 10_000, 'the pushed count');
    const hook = {
      website_id: websiteId,
      event: 'message:send',
      data: { website_id: websiteId, session_id: unwatched },
      timestamp: Date.now(),
    };
    const sentAt = Date.now();
    expect(await (await postHook(h, hook, webhookSecret, sentAt)).json()).toMatchObject({
      deferred: true,
    });
    const replay = await postHook(h, hook, webhookSecret, sentAt);
    expect(await replay.json()).toMatchObject({ ignored: 'duplicate' });
    expect((await postHook(h, hook, 'not-the-secret')).status).toBe(401);

    expect((await h.get('/metrics')).status).toBe(401);
    const wrong = await h.get('/metrics', { headers: { Authorization: 'Bearer nope' } });
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toMatchObject({ error: 'unauthorized' });
    const response = await h.get('/metrics', {
      headers: { Authorization: `Bearer ${metricsToken}` },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await response.text();
    const m = samples(text);
    const p = 'crisp_unread_relay_';
    expect(m.get(`${p}upstream_calls_total{share="firstReads",outcome="ok"}`)).toBe(1);
    expect(m.get(`${p}upstream_calls_total{share="firstReads",outcome="server"}`)).toBe(1);
    expect(m.get(`${p}upstream_calls_total{share="firstReads",outcome="session-not-found"}`)).toBe(
      1,
    );
    expect(m.get(`${p}upstream_calls_total{share="hooks",outcome="ok"}`)).toBe(1);
    expect(emulator.requestCount()).toBe(4);
    expect(m.get(`${p}hooks_total{result="accepted",reason="read"}`)).toBe(1);
    expect(m.get(`${p}hooks_total{result="accepted",reason="deferred"}`)).toBe(1);
    expect(m.get(`${p}hooks_total{result="accepted",reason="duplicate"}`)).toBe(1);
    expect(m.get(`${p}hooks_total{result="rejected",reason="invalid-signature"}`)).toBe(1);
    expect(m.get(`${p}cache_reads_total{result="miss"}`)).toBe(3);
    expect(m.get(`${p}cache_reads_total{result="hit"}`)).toBe(2);
    expect(m.get(`${p}open_streams`)).toBe(1);
    const { budget } = (await (await h.get('/healthz')).json()) as {
      budget: { shares: Record<string, { remaining: number; limit: number }> };
    };
    for (const share of ['hooks', 'firstReads', 'safety']) {
      expect(m.get(`${p}budget_remaining{share="${share}"}`)).toBe(budget.shares[share]!.remaining);
      expect(m.get(`${p}budget_limit{share="${share}"}`)).toBe(budget.shares[share]!.limit);
    }
    expect(m.get(`${p}budget_remaining{share="firstReads"}`)).toBe(
      budget.shares.firstReads!.limit - 3,
    );
    for (const secret of [website.key, website.identifier, webhookSecret, metricsToken]) {
      expect(text).not.toContain(secret);
    }
    for (const id of [websiteId, sessionId, failing, unknown, unwatched]) {
      expect(text.toLowerCase()).not.toContain(id.toLowerCase());
    }

    await stream.cancel();
    await waitFor(() => h!.relay.stats().streams === 0, 10_000, 'the stream released');
    const after = samples(
      await (
        await h.get('/metrics', { headers: { Authorization: `Bearer ${metricsToken}` } })
      ).text(),
    );
    expect(after.get(`${p}open_streams`)).toBe(0);
  });

  it('is off by default (404), and open without a token', async () => {
    h = await startHarness();
    expect((await h.get('/metrics')).status).toBe(404);
    await h.close();
    h = await startHarness({ metrics: prometheusMetrics(), basePath: '/api/crisp-unread' });
    const response = await h.get('/api/crisp-unread/metrics');
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('crisp_unread_relay_open_streams 0');
  });

  it('keeps two relays in one process apart (a registry each), or in one registry with prefixes', async () => {
    const options = {
      websiteId: crypto.randomUUID(),
      identifier: 'id',
      key: 'key',
      log: false as const,
    };
    const a = createUnreadRelay({ ...options, metrics: prometheusMetrics() });
    const b = createUnreadRelay({ ...options, metrics: prometheusMetrics() });
    const registry = new Registry();
    const c = createUnreadRelay({
      ...options,
      metrics: prometheusMetrics({ registry, prefix: 'shop_a_' }),
    });
    const d = createUnreadRelay({
      ...options,
      metrics: prometheusMetrics({ registry, prefix: 'shop_b_' }),
    });
    const text = await registry.metrics();
    expect(text).toContain('shop_a_open_streams 0');
    expect(text).toContain('shop_b_open_streams 0');
    for (const relay of [a, b, c, d]) await relay.close();
  });

  it('refuses a short token, a token without metrics, and one exporter for two relays', () => {
    const options = {
      websiteId: crypto.randomUUID(),
      identifier: 'id',
      key: 'key',
      log: false as const,
    };
    expect(() =>
      createUnreadRelay({ ...options, metrics: prometheusMetrics(), metricsToken: 'short' }),
    ).toThrow(/metricsToken/);
    expect(() => createUnreadRelay({ ...options, metricsToken })).toThrow(/needs `metrics`/);
    const metrics = prometheusMetrics();
    createUnreadRelay({ ...options, metrics });
    expect(() => createUnreadRelay({ ...options, metrics })).toThrow(/one relay/);
    expect(() => prometheusMetrics({ prefix: 'has space' })).toThrow(/prefix/);
  });
});
