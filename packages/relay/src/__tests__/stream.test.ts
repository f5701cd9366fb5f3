import { afterEach, describe, expect, it } from 'vitest';
import { type Harness, sseReader, startHarness, waitFor } from './harness';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const streamPath = (h: Harness, sessionId = h.sessionId) => `/sessions/${sessionId}/unread/stream`;

describe('GET /sessions/{id}/unread/stream', () => {
  it('sends retry and the count at once, then every change pushed by a web hook', async () => {
    h = await startHarness({ webhook: true, ttlMs: 3_600_000 });
    const response = await h.get(streamPath(h));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const sse = sseReader(response);
    await waitFor(() => sse.counts().length === 1);
    expect(sse.blocks[0]).toMatch(/^retry: \d+$/);
    expect(sse.counts()[0]).toEqual({ count: 2, updatedAt: expect.any(Number), stale: false });
    h.emulator.operatorSends(h.website.websiteId, h.sessionId);
    await waitFor(() => sse.counts().length === 2);
    h.emulator.visitorReads(h.website.websiteId, h.sessionId);
    await waitFor(() => sse.counts().length === 3);
    expect(sse.counts().map((event) => event.count)).toEqual([2, 3, 0]);
    const ids = sse.ids().map(Number);
    expect(ids[1]!).toBeGreaterThan(ids[0]!);
    expect(ids[2]!).toBeGreaterThan(ids[1]!);
    // A hook that changes nothing (visitor message) sends no event.
    h.emulator.visitorSends(h.website.websiteId, h.sessionId);
    await h.emulator.webhooksDelivered();
    expect(sse.counts()).toHaveLength(3);
    // The first read and the acknowledgement's; the two messages were taken at the hook's word.
    expect(h.upstream()).toBe(2);
    await sse.cancel();
  });

  it('answers SSE headers that no proxy buffers or transforms and that HTTP/2 accepts, with or without CORS', async () => {
    for (const allowedOrigins of [[], ['https://shop.example']]) {
      h = await startHarness({ allowedOrigins });
      const response = await h.relay.fetch(
        new Request(h.url(streamPath(h)), { headers: { Origin: 'https://shop.example' } }),
      );
      expect(response.status).toBe(200);
      expect(response.headers.get('access-control-allow-origin')).toBe(
        allowedOrigins.length > 0 ? 'https://shop.example' : null,
      );
      expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
      expect(response.headers.get('cache-control')).toBe('no-store, no-transform');
      expect(response.headers.get('x-accel-buffering')).toBe('no');
      expect(response.headers.get('connection')).toBeNull();
      await response.body?.cancel();
      await waitFor(() => h!.relay.stats().streams === 0);
      await h.close();
      h = undefined;
    }
  });

  it('does not resend the same count when Last-Event-ID names it', async () => {
    h = await startHarness({ webhook: true, ttlMs: 3_600_000 });
    const first = sseReader(await h.get(streamPath(h)));
    await waitFor(() => first.ids().length === 1);
    const id = first.ids()[0]!;
    await first.cancel();
    const again = sseReader(await h.get(streamPath(h), { headers: { 'Last-Event-ID': id } }));
    await waitFor(() => again.blocks.length >= 1);
    h.emulator.operatorSends(h.website.websiteId, h.sessionId);
    await waitFor(() => again.counts().length === 1);
    expect(again.counts()[0]).toMatchObject({ count: 3 });
    const stale = sseReader(await h.get(streamPath(h), { headers: { 'Last-Event-ID': id } }));
    await waitFor(() => stale.counts().length === 1);
    expect(stale.counts()[0]).toMatchObject({ count: 3 });
    await again.cancel();
    await stale.cancel();
  });

  it('sends heartbeat comments', async () => {
    h = await startHarness({ heartbeatMs: 20 });
    const sse = sseReader(await h.get(streamPath(h)));
    await waitFor(() => sse.blocks.filter((block) => block === ': ping').length >= 2);
    await sse.cancel();
  });

  it('refreshes at the TTL while streams are open: one upstream call per TTL for any number of streams', async () => {
    h = await startHarness({ ttlMs: 100, maxStreamsPerClient: 25 });
    const harness = h;
    const streams = await Promise.all(
      Array.from({ length: 25 }, async () => sseReader(await harness.get(streamPath(harness)))),
    );
    // At least one count each: a stream opened past the 100 ms TTL on a busy machine gets its
    // first count twice (stale, then read afresh), which `changes` below folds.
    await waitFor(() => streams.every((sse) => sse.counts().length >= 1));
    for (let round = 1; round <= 3; round++) {
      h.emulator.operatorSends(h.website.websiteId, h.sessionId);
      await waitFor(() => streams.every((sse) => sse.counts().at(-1)?.count === 2 + round));
    }
    // A stream opened past the TTL may get its first count twice: stale, then read afresh.
    const changes = (sse: (typeof streams)[number]) =>
      sse
        .counts()
        .map((e) => e.count)
        .filter((count, i, all) => i === 0 || all[i - 1] !== count);
    for (const sse of streams) expect(changes(sse)).toEqual([2, 3, 4, 5]);
    // 1 cold read and one per TTL; per-stream refreshes would have made about 25 per round.
    expect(h.upstream()).toBeLessThanOrEqual(1 + 3 * 2);
    await Promise.all(streams.map((sse) => sse.cancel()));
  });

  it('cleans up when the client disconnects: no stream, no watched session, no refresh timer', async () => {
    h = await startHarness({ ttlMs: 50, heartbeatMs: 20 });
    const harness = h;
    const streams = await Promise.all(
      Array.from({ length: 5 }, async () => sseReader(await harness.get(streamPath(harness)))),
    );
    await waitFor(() => harness.relay.stats().streams === 5);
    expect(h.relay.stats().watchedSessions).toBe(1);
    await Promise.all(streams.map((sse) => sse.cancel()));
    await waitFor(() => harness.relay.stats().streams === 0, 5000, 'streams closed');
    expect(h.relay.stats().watchedSessions).toBe(0);
    const calls = h.upstream();
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(h.upstream()).toBe(calls);
  });

  it('ends every stream when the relay closes', async () => {
    h = await startHarness();
    const sse = sseReader(await h.get(streamPath(h)));
    await waitFor(() => sse.counts().length === 1);
    await h.relay.close();
    await waitFor(() => sse.done);
    expect(h.relay.stats()).toMatchObject({ streams: 0, watchedSessions: 0 });
  });

  it('answers JSON errors for bad or known-gone sessions; a cold gone one opens and says gone', async () => {
    h = await startHarness();
    expect((await h.get('/sessions/nope/unread/stream')).status).toBe(400);
    const gone = h.emulator.createSession(h.website.websiteId);
    h.emulator.deleteSession(h.website.websiteId, gone);
    // Never read: the stream opens at once, and its first read's answer follows.
    const cold = sseReader(await h.get(streamPath(h, gone)));
    await waitFor(() => cold.done);
    expect(cold.blocks.some((block) => block.includes('event: gone'))).toBe(true);
    // Now known gone: an HTTP answer, no stream.
    const response = await h.get(streamPath(h, gone));
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ error: 'session-not-found' });
  });

  it('tells streams when their session is gone, then ends them', async () => {
    h = await startHarness({ ttlMs: 50 });
    const sse = sseReader(await h.get(streamPath(h)));
    await waitFor(() => sse.counts().length === 1);
    h.emulator.deleteSession(h.website.websiteId, h.sessionId);
    await waitFor(() => sse.done);
    expect(sse.blocks.at(-1)).toBe('event: gone\ndata: {"error":"session-not-found"}');
    await waitFor(() => h!.relay.stats().watchedSessions === 0);
  });
});
