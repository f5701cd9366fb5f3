import { loadFixture } from '@crisp-unread/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { signCrispWebhook, verifyCrispSignature } from '../signature';
import { type Harness, startHarness, webhookSecret } from './harness';

interface Fixture {
  secret: string;
  headers: Record<string, string>;
  body: {
    website_id: string;
    event: string;
    data: { website_id: string; session_id: string };
    timestamp: number;
  };
}
const fixture = loadFixture<Fixture>('webhook-message-received.json');
const fixtureTime = Number(fixture.headers['X-Crisp-Request-Timestamp']);

let h: Harness | undefined;
afterEach(async () => {
  if (h) {
    for (const line of h.logs) expect(line).not.toContain(webhookSecret);
    await h.close();
  }
  h = undefined;
});

/** A relay for the fixture's website and session, with the fixture's secret. */
async function fixtureHarness(now?: () => number) {
  const harness = await startHarness({
    website: { websiteId: fixture.body.website_id },
    webhookSecret: fixture.secret,
    ...(now ? { now } : {}),
  });
  harness.emulator.createSession(harness.website.websiteId, {
    sessionId: fixture.body.data.session_id,
    unread: 1,
  });
  return harness;
}

function post(harness: Harness, headers: Record<string, string>, body: string) {
  return harness.get('/webhooks/crisp', { method: 'POST', headers, body });
}

async function signed(body: unknown, timestamp = Date.now(), secret = webhookSecret) {
  return {
    'Content-Type': 'application/json',
    'X-Crisp-Request-Timestamp': String(timestamp),
    'X-Crisp-Signature': await signCrispWebhook(secret, timestamp, body),
  };
}

/** The unit hooks are stamped in: every hook test runs under both (Crisp does not say which). */
let unit: 's' | 'ms' = 'ms';
/** An epoch-ms time in the current unit. */
const stamp = (ms: number) => (unit === 's' ? Math.floor(ms / 1000) : ms);

// By default an event whose effect on the count only a read tells (an operator's message is derived).
function hookBody(h: Harness, event = 'message:updated', sessionId = h.sessionId) {
  return {
    website_id: h.website.websiteId,
    event,
    data: { website_id: h.website.websiteId, session_id: sessionId },
    timestamp: stamp(Date.now()),
  };
}

describe('signature', () => {
  it("matches the fixture's X-Crisp-Signature and rejects a changed body or secret", async () => {
    const timestamp = fixture.headers['X-Crisp-Request-Timestamp']!;
    const signature = fixture.headers['X-Crisp-Signature']!;
    expect(await signCrispWebhook(fixture.secret, timestamp, fixture.body)).toBe(signature);
    expect(await verifyCrispSignature(fixture.secret, timestamp, fixture.body, signature)).toBe(
      true,
    );
    expect(await verifyCrispSignature('other', timestamp, fixture.body, signature)).toBe(false);
    const changed = { ...fixture.body, event: 'message:send' };
    expect(await verifyCrispSignature(fixture.secret, timestamp, changed, signature)).toBe(false);
    expect(await verifyCrispSignature(fixture.secret, timestamp, fixture.body, 'zz')).toBe(false);
  });
});

describe.each(['ms', 's'] as const)('POST /webhooks/crisp, timestamps in %s', (each) => {
  beforeEach(() => {
    unit = each;
  });

  it("accepts the fixture hook (clock at its timestamp) and raises that one conversation's count at its word", async () => {
    h = await fixtureHarness(() => fixtureTime + 1000);
    await h.get(`/sessions/${fixture.body.data.session_id}/unread`);
    const response = await post(h, fixture.headers, JSON.stringify(fixture.body));
    expect(response.status).toBe(200);
    // An operator's message: the cached count (1) plus one, and no read.
    expect(await response.json()).toEqual({ ok: true, count: 2 });
    expect(h.upstream(fixture.body.data.session_id)).toBe(1);
    expect(h.upstream()).toBe(1);
  });

  it('rejects the same fixture hook as stale-webhook with the real clock', async () => {
    h = await fixtureHarness();
    const response = await post(h, fixture.headers, JSON.stringify(fixture.body));
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ error: 'stale-webhook' });
    expect(h.upstream()).toBe(0);
  });

  it('accepts a fresh signed hook, bypassing the TTL', async () => {
    h = await startHarness({ webhook: true, ttlMs: 3_600_000 });
    await h.get(`/sessions/${h.sessionId}/unread`);
    h.emulator.setWebhook(null);
    h.emulator.operatorSends(h.website.websiteId, h.sessionId);
    const body = hookBody(h);
    const response = await post(h, await signed(body, body.timestamp), JSON.stringify(body));
    expect(await response.json()).toEqual({ ok: true, count: 3 });
    expect(await (await h.get(`/sessions/${h.sessionId}/unread`)).json()).toMatchObject({
      count: 3,
    });
    expect(h.upstream()).toBe(2);
  });

  it('rejects forged hooks: wrong secret, tampered body, missing or malformed headers', async () => {
    h = await startHarness({ webhook: true });
    const body = hookBody(h);
    const forged = [
      post(h, await signed(body, body.timestamp, 'not-the-secret'), JSON.stringify(body)),
      post(
        h,
        await signed(body, body.timestamp),
        JSON.stringify({
          ...body,
          data: { ...body.data, session_id: h.emulator.createSession(h.website.websiteId) },
        }),
      ),
      post(h, { 'X-Crisp-Request-Timestamp': String(body.timestamp) }, JSON.stringify(body)),
      post(
        h,
        { ...(await signed(body, body.timestamp)), 'X-Crisp-Request-Timestamp': 'now' },
        JSON.stringify(body),
      ),
      post(h, await signed(body, body.timestamp), 'not json'),
    ];
    for (const response of await Promise.all(forged)) {
      expect(response.status).toBe(401);
      expect(await response.json()).toMatchObject({ error: 'invalid-signature' });
    }
    expect(h.upstream()).toBe(0);
  });

  it('acknowledges a replayed hook without reading Crisp again', async () => {
    h = await startHarness({ webhook: true });
    await h.get(`/sessions/${h.sessionId}/unread`);
    const body = hookBody(h);
    const headers = await signed(body, body.timestamp);
    expect(await (await post(h, headers, JSON.stringify(body))).json()).toMatchObject({
      ok: true,
      count: 2,
    });
    const replay = await post(h, headers, JSON.stringify(body));
    expect(replay.status).toBe(200);
    expect(await replay.json()).toEqual({ ok: true, ignored: 'duplicate' });
    expect(h.upstream()).toBe(2);
  });

  it('rejects a hook signed 2 hours ago as stale-webhook', async () => {
    h = await startHarness({ webhook: true });
    const body = { ...hookBody(h), timestamp: stamp(Date.now() - 2 * 3_600_000) };
    const response = await post(h, await signed(body, body.timestamp), JSON.stringify(body));
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ error: 'stale-webhook' });
    expect(h.upstream()).toBe(0);
  });

  it('answers 413 payload-too-large for an oversized body, declared or streamed', async () => {
    h = await startHarness({ webhook: true, maxWebhookBytes: 1024 });
    const body = { ...hookBody(h), padding: 'x'.repeat(4096) };
    const declared = await post(h, await signed(body, body.timestamp), JSON.stringify(body));
    expect(declared.status).toBe(413);
    expect(await declared.json()).toMatchObject({ error: 'payload-too-large' });
    const text = JSON.stringify(body);
    const chunked = await h.get('/webhooks/crisp', {
      method: 'POST',
      headers: await signed(body, body.timestamp),
      body: new ReadableStream({
        start(controller) {
          controller.enqueue(new TextEncoder().encode(text));
          controller.close();
        },
      }),
      duplex: 'half',
    } as RequestInit);
    expect(chunked.status).toBe(413);
    expect(h.upstream()).toBe(0);
  });

  it('accepts other events, other websites and bad session ids with 200 and no upstream call', async () => {
    h = await startHarness({ webhook: true });
    const cases = [
      hookBody(h, 'session:set_data'),
      { ...hookBody(h), website_id: '00000000-0000-4000-8000-000000000000' },
      hookBody(h, 'message:received', '../../etc'),
    ];
    for (const body of cases) {
      const response = await post(h, await signed(body, body.timestamp), JSON.stringify(body));
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({ ok: true, ignored: expect.any(String) });
    }
    expect(h.upstream()).toBe(0);
  });

  it('answers 404 when no web hook secret is configured', async () => {
    h = await startHarness();
    const body = hookBody(h);
    const response = await post(h, await signed(body, body.timestamp), JSON.stringify(body));
    expect(response.status).toBe(404);
  });

  it('re-reads once per burst: hooks during a read share one follow-up read', async () => {
    h = await startHarness({ webhook: true, ttlMs: 3_600_000 });
    h.emulator.fault({ type: 'latency', ms: 150 }, { times: 1 });
    const harness = h;
    const bodies = Array.from({ length: 20 }, (_, i) => ({
      ...hookBody(harness),
      timestamp: stamp(Date.now()) + i,
    }));
    const responses = await Promise.all(
      bodies.map(async (body) =>
        post(harness, await signed(body, body.timestamp), JSON.stringify(body)),
      ),
    );
    expect(responses.every((response) => response.status === 200)).toBe(true);
    expect(h.upstream()).toBeLessThanOrEqual(2);
  });

  it('is driven by the emulator: an operator message reaches the relay as a signed hook', async () => {
    h = await startHarness({ webhook: true, ttlMs: 3_600_000 });
    h.emulator.setWebhook({
      url: `${h.served.url}/webhooks/crisp`,
      secret: webhookSecret,
      timestampUnit: unit,
    });
    await h.get(`/sessions/${h.sessionId}/unread`);
    h.emulator.operatorSends(h.website.websiteId, h.sessionId);
    const deliveries = await h.emulator.webhooksDelivered();
    expect(deliveries.map((d) => [d.event, d.status])).toEqual([['message:received', 200]]);
    // An operator's message is taken at the hook's word: the count rises with no read of Crisp
    // (the read that checks it comes 10 s later, from the safety share).
    expect(await (await h.get(`/sessions/${h.sessionId}/unread`)).json()).toMatchObject({
      count: 3,
      stale: false,
    });
    expect(h.upstream()).toBe(1);
  });
});
