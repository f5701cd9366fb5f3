import { afterEach, describe, expect, it } from 'vitest';
import { type Harness, sseReader, startHarness, waitFor } from './harness';

// A never-read session behind a slow or hanging Crisp: a stream opens at once and its count
// follows; a GET answers within `firstReadWaitMs` (2 s): the count if it came, else 503.

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const stream = (sessionId: string) => `/sessions/${sessionId}/unread/stream`;
const unread = (sessionId: string) => `/sessions/${sessionId}/unread`;

describe('slow first reads', () => {
  it('a GET behind a hanging Crisp answers 503 with Retry-After after firstReadWaitMs; the read goes on, a retry joins it', async () => {
    h = await startHarness();
    const cold = h.emulator.createSession(h.website.websiteId, { unread: 6 });
    h.emulator.fault({ type: 'hang' }, { sessionId: cold, times: 1 });
    const startedAt = performance.now();
    const response = await h.get(unread(cold));
    const elapsedMs = performance.now() - startedAt;
    console.info(`[figure] GET behind a hanging Crisp answered in ${elapsedMs.toFixed(0)} ms`);
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('2');
    expect(await response.json()).toMatchObject({
      error: 'upstream-unavailable',
      upstream: 'timeout',
    });
    expect(elapsedMs).toBeGreaterThanOrEqual(1900);
    expect(elapsedMs).toBeLessThan(3000);
    // The retry joins the read in flight: still one call.
    expect((await h.get(unread(cold))).status).toBe(503);
    expect(h.relay.stats().upstreamCalls).toBe(1);
  });

  it('a GET gets the count when it comes within firstReadWaitMs', async () => {
    h = await startHarness({ firstReadWaitMs: 3000 });
    const cold = h.emulator.createSession(h.website.websiteId, { unread: 6 });
    h.emulator.fault({ type: 'latency', ms: 1000 }, { sessionId: cold, times: 1 });
    const startedAt = performance.now();
    const response = await h.get(unread(cold));
    const elapsedMs = performance.now() - startedAt;
    console.info(`[figure] GET behind a 1 s Crisp answered in ${elapsedMs.toFixed(0)} ms`);
    expect(await response.json()).toMatchObject({ count: 6, stale: false });
    expect(elapsedMs).toBeGreaterThanOrEqual(900);
  });

  it('a stream opens at once behind a hanging Crisp (headers and retry), its count follows when read', async () => {
    h = await startHarness();
    const cold = h.emulator.createSession(h.website.websiteId, { unread: 5 });
    h.emulator.fault({ type: 'latency', ms: 1500 }, { sessionId: cold, times: 1 });
    const startedAt = performance.now();
    const response = await h.get(stream(cold));
    const headersMs = performance.now() - startedAt;
    expect(response.status).toBe(200);
    const sse = sseReader(response);
    await waitFor(() => sse.blocks.length > 0);
    const retryMs = performance.now() - startedAt;
    expect(sse.blocks[0]).toMatch(/^retry: \d+$/);
    expect(sse.counts()).toEqual([]);
    await waitFor(() => sse.counts().length === 1, 5000, 'the first count');
    const countMs = performance.now() - startedAt;
    console.info(
      `[figure] stream behind a 1.5 s Crisp: headers ${headersMs.toFixed(0)} ms, retry ${retryMs.toFixed(0)} ms, count ${countMs.toFixed(0)} ms`,
    );
    expect(headersMs).toBeLessThan(1000);
    expect(sse.counts()[0]).toMatchObject({ count: 5, stale: false });
    await sse.cancel();
  });

  it('a stream whose first read times out ends; re-opened, it gets the HTTP answer (504)', async () => {
    h = await startHarness({ timeoutMs: 1000 });
    const cold = h.emulator.createSession(h.website.websiteId, { unread: 5 });
    h.emulator.fault({ type: 'hang' }, { sessionId: cold });
    const sse = sseReader(await h.get(stream(cold)));
    await waitFor(() => sse.blocks.length > 0);
    await waitFor(() => sse.done, 5000, 'the stream ending');
    expect(sse.counts()).toEqual([]);
    expect(h.relay.stats().streams).toBe(0);
    const again = await h.get(stream(cold));
    expect(again.status).toBe(504);
    expect(h.upstream(cold)).toBe(1);
  });
});
