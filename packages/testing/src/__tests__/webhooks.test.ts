import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadFixture } from '../loadFixture.js';
import { startCrispEmulator } from '../startCrispEmulator.js';
import { signCrispWebhook } from '../webhooks.js';
import {
  type Harness,
  type HookReceiver,
  type ReceivedHook,
  startHarness,
  startHookReceiver,
} from './emulatorClient.js';

let h: Harness;
let receiver: HookReceiver;
let received: ReceivedHook[];
let receiverUrl: string;

beforeEach(async () => {
  receiver = await startHookReceiver();
  ({ received, url: receiverUrl } = receiver);
  h = await startHarness({ webhook: { url: receiverUrl, secret: 'test-secret' } });
});

afterEach(async () => {
  await h.emulator.close();
  await receiver.close();
});

describe('web hooks', () => {
  it('signs the fixture body exactly as Crisp does', () => {
    const fixture = loadFixture<{
      secret: string;
      headers: Record<string, string>;
      body: unknown;
    }>('webhook-message-received.json');
    expect(
      signCrispWebhook(
        fixture.secret,
        fixture.headers['X-Crisp-Request-Timestamp']!,
        JSON.stringify(fixture.body),
      ),
    ).toBe(fixture.headers['X-Crisp-Signature']);
  });

  it('posts a signed message:received when an operator sends', async () => {
    h.emulator.operatorSends(h.website.websiteId, h.sessionId);
    const deliveries = await h.emulator.webhooksDelivered();
    expect(deliveries).toEqual([
      expect.objectContaining({
        event: 'message:received',
        sessionId: h.sessionId,
        status: 200,
        error: null,
      }),
    ]);
    const [hook] = received;
    const body = JSON.parse(hook!.text);
    expect(body).toMatchObject({
      website_id: h.website.websiteId,
      event: 'message:received',
      data: { website_id: h.website.websiteId, session_id: h.sessionId, from: 'operator' },
    });
    const timestamp = hook!.headers['x-crisp-request-timestamp'] as string;
    expect(timestamp).toBe(String(body.timestamp));
    expect(hook!.headers['x-crisp-signature']).toBe(
      signCrispWebhook('test-secret', timestamp, JSON.stringify(body)),
    );
  });

  it('posts message:send for a visitor message and a read acknowledgement when the visitor reads', async () => {
    h.emulator.visitorSends(h.website.websiteId, h.sessionId);
    h.emulator.visitorReads(h.website.websiteId, h.sessionId);
    // Nothing left to read: no change, no hook.
    h.emulator.visitorReads(h.website.websiteId, h.sessionId);
    const deliveries = await h.emulator.webhooksDelivered();
    expect(deliveries.map((d) => d.event).sort()).toEqual([
      'message:acknowledge:read:received',
      'message:send',
    ]);
  });

  it('posts a read acknowledgement for PATCH …/read', async () => {
    const response = await h.markRead({ from: 'operator', origin: 'chat' });
    expect(response.status).toBe(202);
    const deliveries = await h.emulator.webhooksDelivered();
    expect(deliveries.map((d) => d.event)).toEqual(['message:acknowledge:read:received']);
  });

  it('logs the receiver status and failed deliveries, and stops with setWebhook(null)', async () => {
    receiver.answer = 401;
    h.emulator.operatorSends(h.website.websiteId, h.sessionId);
    await h.emulator.webhooksDelivered();
    expect(h.emulator.webhookDeliveries.map((d) => d.status)).toEqual([401]);

    h.emulator.clearWebhookDeliveries();
    h.emulator.setWebhook({ url: 'http://127.0.0.1:9/nowhere', secret: 's' });
    h.emulator.operatorSends(h.website.websiteId, h.sessionId);
    const [failed] = await h.emulator.webhooksDelivered();
    expect(failed).toMatchObject({ status: 0, error: expect.any(String) });

    h.emulator.clearWebhookDeliveries();
    h.emulator.setWebhook(null);
    h.emulator.operatorSends(h.website.websiteId, h.sessionId);
    expect(await h.emulator.webhooksDelivered()).toEqual([]);
  });

  it("sends a website's hooks to its own target, which wins over the emulator-wide one", async () => {
    const other = h.emulator.createWebsite();
    const otherSession = h.emulator.createSession(other.websiteId);
    h.emulator.setWebhook(null);
    h.emulator.setWebhook(
      { url: receiverUrl, secret: 'site-secret' },
      { websiteId: other.websiteId },
    );
    h.emulator.operatorSends(h.website.websiteId, h.sessionId);
    h.emulator.operatorSends(other.websiteId, otherSession);
    expect(await h.emulator.webhooksDelivered()).toEqual([
      expect.objectContaining({ websiteId: other.websiteId, status: 200 }),
    ]);
    const [hook] = received;
    const timestamp = hook!.headers['x-crisp-request-timestamp'] as string;
    expect(hook!.headers['x-crisp-signature']).toBe(
      signCrispWebhook('site-secret', timestamp, hook!.text),
    );

    // Dropping the website's target falls back on the emulator-wide one.
    h.emulator.clearWebhookDeliveries();
    h.emulator.setWebhook({ url: receiverUrl, secret: 'test-secret' });
    h.emulator.setWebhook(null, { websiteId: other.websiteId });
    h.emulator.operatorSends(other.websiteId, otherSession);
    await h.emulator.webhooksDelivered();
    const last = received.at(-1)!;
    expect(last.headers['x-crisp-signature']).toBe(
      signCrispWebhook(
        'test-secret',
        last.headers['x-crisp-request-timestamp'] as string,
        last.text,
      ),
    );
    expect(() => h.emulator.setWebhook(null, { websiteId: 'nope' })).toThrow(/websiteId/);
  });

  it('refuses a web hook URL that is not on a loopback address', async () => {
    expect(() => h.emulator.setWebhook({ url: 'http://example.com/hook', secret: 's' })).toThrow(
      /loopback/,
    );
    expect(() => h.emulator.setWebhook({ url: receiverUrl, secret: '' })).toThrow(/secret/);
    await expect(
      startCrispEmulator({ webhook: { url: 'https://10.0.0.1/hook', secret: 's' } }),
    ).rejects.toThrow(/loopback/);
  });

  it('stamps hooks in seconds when told, signing that very timestamp', async () => {
    h.emulator.setWebhook({ url: receiverUrl, secret: 'test-secret', timestampUnit: 's' });
    const before = Math.floor(Date.now() / 1000);
    h.emulator.operatorSends(h.website.websiteId, h.sessionId);
    await h.emulator.webhooksDelivered();
    const [hook] = received;
    const timestamp = Number(hook!.timestamp);
    expect(timestamp).toBeGreaterThanOrEqual(before);
    expect(timestamp).toBeLessThanOrEqual(Math.floor(Date.now() / 1000));
    expect(JSON.parse(hook!.text).timestamp).toBe(timestamp);
    expect(hook!.signature).toBe(signCrispWebhook('test-secret', hook!.timestamp, hook!.text));
  });

  it('posts unsigned Website Hooks to a URL carrying its token when no secret is set', async () => {
    h.emulator.setWebhook({ url: `${receiverUrl}?token=url-token` });
    h.emulator.operatorSends(h.website.websiteId, h.sessionId);
    const [delivery] = await h.emulator.webhooksDelivered();
    expect(delivery).toMatchObject({
      signed: false,
      status: 200,
      url: `${receiverUrl}?token=url-token`,
    });
    expect(received[0]!.headers['x-crisp-signature']).toBeUndefined();
    expect(received[0]!.headers['x-crisp-request-timestamp']).toMatch(/^\d+$/);
  });

  it('plays late deliveries and retries of the very same bytes', async () => {
    h.emulator.setWebhook({ url: receiverUrl, secret: 'test-secret', lateByMs: 30 * 60_000 });
    h.emulator.operatorSends(h.website.websiteId, h.sessionId);
    await h.emulator.webhooksDelivered();
    const late = Number(received[0]!.timestamp);
    expect(Date.now() - late).toBeGreaterThanOrEqual(30 * 60_000);
    expect(Date.now() - late).toBeLessThan(31 * 60_000);
    const retried = await h.emulator.redeliverWebhooks({ event: 'message:received' });
    expect(retried).toEqual([expect.objectContaining({ retry: true, status: 200 })]);
    expect(received[1]!.text).toBe(received[0]!.text);
    expect(received[1]!.signature).toBe(received[0]!.signature);
    expect(received[1]!.timestamp).toBe(received[0]!.timestamp);
  });

  it('posts session:removed when a session is deleted', async () => {
    h.emulator.deleteSession(h.website.websiteId, h.sessionId);
    const [delivery] = await h.emulator.webhooksDelivered();
    expect(delivery).toMatchObject({ event: 'session:removed', sessionId: h.sessionId });
    expect(JSON.parse(received[0]!.text)).toMatchObject({
      event: 'session:removed',
      data: { session_id: h.sessionId },
    });
  });
});

describe('Crisp alternatives', () => {
  it('answers 404 not_subscribed to every call of a website the plugin is not installed on', async () => {
    h.emulator.setSubscribed(h.website.websiteId, false);
    const response = await h.get();
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ error: true, reason: 'not_subscribed', data: {} });
    const unknown = await h.get({ sessionId: 'session_00000000-0000-4000-8000-000000000000' });
    expect((await unknown.json()).reason).toBe('not_subscribed');
    h.emulator.setSubscribed(h.website.websiteId, true);
    expect((await h.get()).status).toBe(200);
  });

  it('serves the previous answer with Bloom-Status: HIT for N reads after a change', async () => {
    h.emulator.setCacheHits(2);
    const unread = async () => {
      const response = await h.get();
      const body = await response.json();
      return [response.headers.get('bloom-status'), body.data.unread.visitor];
    };
    expect(await unread()).toEqual(['MISS', 2]);
    h.emulator.operatorSends(h.website.websiteId, h.sessionId);
    expect(await unread()).toEqual(['HIT', 2]);
    expect(await unread()).toEqual(['HIT', 2]);
    expect(await unread()).toEqual(['MISS', 3]);
    h.emulator.setCacheHits(0);
    h.emulator.operatorSends(h.website.websiteId, h.sessionId);
    expect(await unread()).toEqual(['MISS', 4]);
  });
});
