import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { burstWindow, ClientLimit } from '../clientLimits';
import { forwardedClient } from '../requestClient';
import { signCrispWebhook } from '../signature';
import { StreamSlots } from '../streamSlots';
import { type Harness, sseReader, startHarness, waitFor, webhookSecret } from './harness';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** Headers of a request from `client` through one appending proxy (`trustProxy: true`). */
const from = (client: string, spoofed = '192.0.2.1') => ({
  'X-Forwarded-For': `${spoofed}, ${client}`,
});

const randomSession = () => `session_${randomUUID()}`;

async function drain(responses: Response[]): Promise<number[]> {
  await Promise.all(responses.map((response) => response.body?.cancel()));
  return responses.map((response) => response.status);
}

describe('forwardedClient (trustProxy)', () => {
  it('takes the entry the trusted hops vouch for, counted from the right', () => {
    expect(forwardedClient('203.0.113.9, 198.51.100.1, 10.0.0.2', 1)).toBe('10.0.0.2');
    expect(forwardedClient('203.0.113.9, 198.51.100.1, 10.0.0.2', 2)).toBe('198.51.100.1');
    expect(forwardedClient('203.0.113.9, 198.51.100.1, 10.0.0.2', 3)).toBe('203.0.113.9');
    // Fewer entries than hops: the left-most was still written by a trusted proxy.
    expect(forwardedClient('198.51.100.1', 3)).toBe('198.51.100.1');
    expect(forwardedClient(null, 1)).toBeNull();
    expect(forwardedClient('198.51.100.1, ', 1)).toBeNull();
    expect(forwardedClient(`198.51.100.1, ${'x'.repeat(65)}`, 1)).toBeNull();
  });
});

describe('ClientLimit (rate-limiter-flexible in memory)', () => {
  it('takes points per key, refuses past them with the wait, and takes back what was given', async () => {
    const limit = new ClientLimit('test', burstWindow({ burst: 2, perSecond: 0.5 }), undefined);
    expect(await limit.take('a')).toBe(0);
    expect(await limit.take('a')).toBe(0);
    const waitMs = await limit.take('a');
    expect(waitMs).toBeGreaterThan(3000);
    expect(waitMs).toBeLessThanOrEqual(4000);
    expect(await limit.take('b')).toBe(0);
    await limit.giveBack('b');
    expect(await limit.take('b')).toBe(0);
    expect(await limit.take('b')).toBe(0);
    expect(await limit.take('b')).toBeGreaterThan(0);
  });

  it('maps { burst, perSecond } to burst points per burst / perSecond whole seconds', () => {
    expect(burstWindow({ burst: 60, perSecond: 1 })).toEqual({ points: 60, durationS: 60 });
    expect(burstWindow({ burst: 10, perSecond: 0.1 })).toEqual({ points: 10, durationS: 100 });
    expect(burstWindow({ burst: 5, perSecond: 100 })).toEqual({ points: 5, durationS: 1 });
  });
});

describe('StreamSlots', () => {
  it('caps streams per client and in total, and gives each slot back once', () => {
    const slots = new StreamSlots(3, 2);
    const a1 = slots.claim('a');
    const a2 = slots.claim('a');
    expect(slots.claim('a')).toBe('client');
    const b1 = slots.claim('b');
    expect(slots.claim('c')).toBe('total');
    expect(typeof a1).toBe('function');
    (a1 as () => void)();
    (a1 as () => void)();
    expect(typeof slots.claim('c')).toBe('function');
    expect(slots.claim('a')).toBe('total');
    expect([typeof a2, typeof b1]).toEqual(['function', 'function']);
  });
});

describe('trustProxy behind an appending proxy', () => {
  it('spoofed left-most X-Forwarded-For entries do not buy new buckets (150 requests)', async () => {
    h = await startHarness({ rateLimit: { burst: 10, perSecond: 0.001 }, trustProxy: true });
    const harness = h;
    const statuses = await drain(
      await Promise.all(
        Array.from({ length: 150 }, (_, i) =>
          harness.get(`/sessions/${harness.sessionId}/unread`, {
            headers: from('198.51.100.7', `203.0.113.${i % 250}`),
          }),
        ),
      ),
    );
    expect(statuses.filter((status) => status === 200)).toHaveLength(10);
    expect(statuses.filter((status) => status === 429)).toHaveLength(140);
  });

  it('trustProxy: 2 takes the second entry from the right', async () => {
    h = await startHarness({ rateLimit: { burst: 1, perSecond: 0.001 }, trustProxy: 2 });
    const as = (header: string) =>
      h!.get(`/sessions/${h!.sessionId}/unread`, { headers: { 'X-Forwarded-For': header } });
    expect((await as('203.0.113.1, 198.51.100.1, 10.0.0.1')).status).toBe(200);
    expect((await as('203.0.113.2, 198.51.100.1, 10.0.0.2')).status).toBe(429);
    expect((await as('203.0.113.1, 198.51.100.2, 10.0.0.1')).status).toBe(200);
  });

  it('refuses a trustProxy that is neither a boolean nor a hop count', async () => {
    await expect(startHarness({ trustProxy: -1 })).rejects.toMatchObject({
      code: 'misconfigured',
      message: expect.stringContaining('`trustProxy`'),
    });
  });
});

describe('clientAddress (Deno, Workers)', () => {
  it('keys every limit on the address the server passes, and shares one bucket without it', async () => {
    h = await startHarness({ rateLimit: { burst: 2, perSecond: 0.001 } });
    const read = (clientAddress?: unknown) =>
      h!.relay
        .fetch(new Request(`http://relay.test/sessions/${h!.sessionId}/unread`), { clientAddress })
        .then(async (response) => (await drain([response]))[0]);
    expect([await read('198.51.100.1'), await read('198.51.100.1')]).toEqual([200, 200]);
    expect(await read('198.51.100.1')).toBe(429);
    expect(await read('198.51.100.2')).toBe(200);
    // No address, an empty one or a hostile one: the one shared bucket, not a bucket per value.
    expect([await read(undefined), await read(''), await read('x'.repeat(65))]).toEqual([
      200, 200, 429,
    ]);
    expect(await read(42)).toBe(429);
  });
});

describe('firstReadLimit', () => {
  it('takes a token only for sessions the store has no count for', async () => {
    h = await startHarness({ firstReadLimit: { burst: 2, perSecond: 0.001 }, trustProxy: true });
    const sessions = [1, 2, 3].map(() => h!.emulator.createSession(h!.website.websiteId));
    const read = (sessionId: string, client: string) =>
      h!.get(`/sessions/${sessionId}/unread`, { headers: from(client) });
    expect((await read(sessions[0]!, '198.51.100.1')).status).toBe(200);
    expect((await read(sessions[1]!, '198.51.100.1')).status).toBe(200);
    const refused = await read(sessions[2]!, '198.51.100.1');
    expect(refused.status).toBe(429);
    expect(await refused.json()).toMatchObject({ error: 'rate-limited' });
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(h.upstream(sessions[2])).toBe(0);
    // Cached sessions cost nothing: the empty bucket does not stop them.
    expect((await read(sessions[0]!, '198.51.100.1')).status).toBe(200);
    // Another client has its own bucket; once it has read the session, it is seen for everyone.
    expect((await read(sessions[2]!, '198.51.100.2')).status).toBe(200);
    expect((await read(sessions[2]!, '198.51.100.1')).status).toBe(200);
    expect(h.upstream()).toBe(3);
  });

  it('counts a session Crisp said is gone as seen', async () => {
    h = await startHarness({ firstReadLimit: { burst: 1, perSecond: 0.001 } });
    const gone = randomSession();
    expect((await h.get(`/sessions/${gone}/unread`)).status).toBe(404);
    expect((await h.get(`/sessions/${gone}/unread`)).status).toBe(404);
    expect((await h.get(`/sessions/${randomSession()}/unread`)).status).toBe(429);
    expect(h.upstream()).toBe(1);
  });

  it('bounds upstream calls of a client cycling through made-up session ids (200 requests)', async () => {
    // `undefined` overrides the harness's `false`: the relay's default bucket.
    h = await startHarness({ firstReadLimit: undefined });
    const harness = h;
    const statuses: number[] = [];
    for (let i = 0; i < 200; i++) {
      const response = await harness.get(`/sessions/${randomSession()}/unread`);
      await response.body?.cancel();
      statuses.push(response.status);
    }
    // The default bucket: a burst of 20 (and 0.1/s back, a token at most during this test).
    expect(h.upstream()).toBeGreaterThanOrEqual(20);
    expect(h.upstream()).toBeLessThanOrEqual(22);
    expect(statuses.filter((status) => status === 404)).toHaveLength(h.upstream());
    expect(statuses.filter((status) => status === 429)).toHaveLength(200 - h.upstream());
  });

  it('charges one token for many concurrent requests of one new session (100 requests)', async () => {
    h = await startHarness({ firstReadLimit: { burst: 1, perSecond: 0.001 }, trustProxy: true });
    const harness = h;
    const fresh = h.emulator.createSession(h.website.websiteId, { unread: 5 });
    h.emulator.fault({ type: 'latency', ms: 100 }, { times: 1 });
    const statuses = await drain(
      await Promise.all(
        Array.from({ length: 100 }, (_, i) =>
          harness.get(`/sessions/${fresh}/unread`, { headers: from(`198.51.100.${i % 2}`) }),
        ),
      ),
    );
    expect(statuses.every((status) => status === 200)).toBe(true);
    expect(h.upstream(fresh)).toBe(1);
  });

  it('can be turned off', async () => {
    h = await startHarness({ firstReadLimit: false });
    for (let i = 0; i < 30; i++) {
      expect((await h.get(`/sessions/${randomSession()}/unread`)).status).toBe(404);
    }
    expect(h.upstream()).toBe(30);
  });
});

describe('maxStreamsPerClient and maxStreams', () => {
  const streamPath = (sessionId: string) => `/sessions/${sessionId}/unread/stream`;

  it('answers 429 past a client’s streams and 503 past all, with Retry-After and no upstream call', async () => {
    h = await startHarness({ trustProxy: true, maxStreamsPerClient: 2, maxStreams: 3 });
    const open = (client: string, sessionId = h!.sessionId) =>
      h!.get(streamPath(sessionId), { headers: from(client) });
    const a = [sseReader(await open('198.51.100.1')), sseReader(await open('198.51.100.1'))];
    const perClient = await open('198.51.100.1');
    expect(perClient.status).toBe(429);
    expect(await perClient.json()).toMatchObject({ error: 'too-many-streams' });
    expect(Number(perClient.headers.get('retry-after'))).toBeGreaterThan(0);
    const b = sseReader(await open('198.51.100.2'));
    const fresh = h.emulator.createSession(h.website.websiteId);
    const total = await open('198.51.100.3', fresh);
    expect(total.status).toBe(503);
    expect(await total.json()).toMatchObject({ error: 'too-many-streams' });
    expect(Number(total.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(h.upstream(fresh)).toBe(0);
    await waitFor(() => h!.relay.stats().streams === 3);
    // A stream that ends gives its slot back.
    await a[0]!.cancel();
    await waitFor(() => h!.relay.stats().streams === 2);
    const again = sseReader(await open('198.51.100.1'));
    await waitFor(() => again.counts().length === 1);
    await Promise.all([a[1]!, b, again].map((sse) => sse.cancel()));
    await waitFor(() => h!.relay.stats().streams === 0);
  });

  it('gives the slot back when the read before the stream fails', async () => {
    h = await startHarness({ maxStreamsPerClient: 1 });
    // A never-read session: the stream opens at once, says `gone` when Crisp answers 404, and ends.
    const cold = sseReader(await h.get(streamPath(randomSession())));
    await waitFor(() => cold.done);
    expect(cold.blocks.some((block) => block.includes('event: gone'))).toBe(true);
    const sse = sseReader(await h.get(streamPath(h.sessionId)));
    await waitFor(() => sse.counts().length === 1);
    await sse.cancel();
  });

  it('holds 200 streams from 40 addresses to the caps', async () => {
    h = await startHarness({ trustProxy: true, maxStreamsPerClient: 2, maxStreams: 50 });
    const harness = h;
    const responses = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        harness.get(streamPath(harness.sessionId), {
          headers: from(`198.51.100.${i % 40}`),
        }),
      ),
    );
    const statuses = responses.map((response) => response.status);
    expect(statuses.filter((status) => status === 200)).toHaveLength(50);
    expect(statuses.filter((status) => status === 429 || status === 503)).toHaveLength(150);
    expect(h.relay.stats().streams).toBe(50);
    await Promise.all(responses.map((response) => response.body?.cancel()));
    await waitFor(() => harness.relay.stats().streams === 0, 10_000, 'streams closed');
  });
});

describe('failedSignatureLimit', () => {
  const hook = (h: Harness) => ({
    website_id: h.website.websiteId,
    event: 'message:received',
    data: { website_id: h.website.websiteId, session_id: h.sessionId },
    timestamp: Date.now(),
  });
  const post = (h: Harness, client: string, headers: Record<string, string>, body: string) =>
    h.get('/webhooks/crisp', {
      method: 'POST',
      headers: { ...headers, ...from(client), 'Content-Type': 'application/json' },
      body,
    });
  const signedHeaders = async (body: { timestamp: number }) => ({
    'X-Crisp-Request-Timestamp': String(body.timestamp),
    'X-Crisp-Signature': await signCrispWebhook(webhookSecret, body.timestamp, body),
  });

  it('answers 429 to a client past its failed signatures, before reading or verifying its hooks', async () => {
    h = await startHarness({
      webhook: true,
      trustProxy: true,
      maxWebhookBytes: 1024,
      failedSignatureLimit: { burst: 3, perSecond: 0.001 },
    });
    const body = hook(h);
    const forgedHeaders = { 'X-Crisp-Request-Timestamp': String(body.timestamp) };
    for (let i = 0; i < 3; i++) {
      const forged = await post(h, '198.51.100.1', forgedHeaders, JSON.stringify(body));
      expect(forged.status).toBe(401);
    }
    const limited = await post(h, '198.51.100.1', forgedHeaders, JSON.stringify(body));
    expect(limited.status).toBe(429);
    expect(await limited.json()).toMatchObject({ error: 'rate-limited' });
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    // Not even a good signature or an oversized body is looked at.
    const good = await post(h, '198.51.100.1', await signedHeaders(body), JSON.stringify(body));
    expect(good.status).toBe(429);
    const large = await post(h, '198.51.100.1', forgedHeaders, 'x'.repeat(4096));
    expect(large.status).toBe(429);
    expect(h.upstream()).toBe(0);
    // Other clients (Crisp) are not held back, and good hooks take no token.
    for (let i = 0; i < 5; i++) {
      const next = { ...body, timestamp: body.timestamp + i };
      const ok = await post(h, '198.51.100.2', await signedHeaders(next), JSON.stringify(next));
      expect(ok.status).toBe(200);
    }
  });

  it('bounds the work of 300 unsigned 60 KB hooks from 10 addresses', async () => {
    h = await startHarness({ webhook: true, trustProxy: true });
    const harness = h;
    const padding = 'x'.repeat(60_000);
    const body = JSON.stringify({ ...hook(h), padding });
    const statuses: number[] = [];
    for (let round = 0; round < 30; round++) {
      const responses = await Promise.all(
        Array.from({ length: 10 }, (_, client) => post(harness, `198.51.100.${client}`, {}, body)),
      );
      statuses.push(...(await drain(responses)));
    }
    // The default bucket: 10 failures per client (and 0.1/s back, a token at most here).
    const verified = statuses.filter((status) => status === 401).length;
    expect(verified).toBeGreaterThanOrEqual(100);
    expect(verified).toBeLessThanOrEqual(110);
    expect(statuses.filter((status) => status === 429)).toHaveLength(300 - verified);
    expect(h.upstream()).toBe(0);
  });
});
