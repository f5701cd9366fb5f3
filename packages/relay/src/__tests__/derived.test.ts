import { afterEach, describe, expect, it } from 'vitest';
import { signCrispWebhook } from '../signature';
import {
  eventually,
  type Harness,
  sseReader,
  startHarness,
  waitFor,
  webhookSecret,
} from './harness';

// What a signed hook says is not read again: an operator's message raises a cached count by one,
// the visitor's own changes nothing; acknowledgements, edits and removals are reads.

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const stream = (sessionId: string) => `/sessions/${sessionId}/unread/stream`;
const unread = (sessionId: string) => `/sessions/${sessionId}/unread`;

interface Derived {
  applied: number;
  verified: number;
  wrong: number;
}
const derived = async (harness: Harness) =>
  ((await (await harness.get('/healthz')).json()) as { derived: Derived }).derived;

/** A signed `message:received` the emulator did not send: Crisp's count stays as it was. */
async function operatorHook(harness: Harness, sessionId: string) {
  const timestamp = Date.now();
  const body = {
    website_id: harness.website.websiteId,
    event: 'message:received',
    data: {
      website_id: harness.website.websiteId,
      session_id: sessionId,
      type: 'text',
      from: 'operator',
    },
    timestamp,
  };
  const response = await harness.get('/webhooks/crisp', {
    method: 'POST',
    headers: {
      'X-Crisp-Request-Timestamp': String(timestamp),
      'X-Crisp-Signature': await signCrispWebhook(webhookSecret, timestamp, body),
    },
    body: JSON.stringify(body),
  });
  expect(response.status).toBe(200);
  return response.json();
}

describe('counts derived from signed web hooks', () => {
  it("raises the count at an operator's message, keeps it at the visitor's, reads after an acknowledgement", async () => {
    h = await startHarness({ webhook: true });
    const { emulator, website, sessionId } = h;
    const sse = sseReader(await h.get(stream(sessionId)));
    await waitFor(() => sse.counts().length === 1);
    expect(h.upstream()).toBe(1);

    emulator.operatorSends(website.websiteId, sessionId, 2);
    await waitFor(() => sse.counts().at(-1)?.count === 4, 5000, 'the derived count');
    expect(sse.counts().map((event) => event.count)).toEqual([2, 3, 4]);
    expect(sse.counts()).toEqual(
      [2, 3, 4].map((count) => expect.objectContaining({ count, stale: false })),
    );
    emulator.visitorSends(website.websiteId, sessionId);
    expect((await emulator.webhooksDelivered()).map((d) => d.status)).toEqual([200, 200, 200]);
    expect(await (await h.get(unread(sessionId))).json()).toMatchObject({ count: 4, stale: false });
    expect(sse.counts()).toHaveLength(3);
    expect(h.upstream()).toBe(1);
    expect(await derived(h)).toEqual({ applied: 2, verified: 0, wrong: 0 });

    // An acknowledgement's effect is read; that read follows a later mark, so it checks nothing.
    emulator.visitorReads(website.websiteId, sessionId);
    await waitFor(() => sse.counts().at(-1)?.count === 0, 5000, 'the read count');
    expect(h.upstream()).toBe(2);
    expect(await derived(h)).toEqual({ applied: 2, verified: 0, wrong: 0 });
    await sse.cancel();
  });

  it('a derived count is checked by the next read: a wrong one is corrected on the stream and counted', async () => {
    h = await startHarness({ webhook: true, safetyRefreshMs: 300 });
    const { emulator, website, sessionId } = h;
    const sse = sseReader(await h.get(stream(sessionId)));
    await waitFor(() => sse.counts().length === 1);

    // A hook Crisp's state does not back: 3 by its word, 2 by Crisp's.
    expect(await operatorHook(h, sessionId)).toEqual({ ok: true, count: 3 });
    await waitFor(() => sse.counts().length === 3, 5000, 'the count corrected');
    expect(sse.counts().map((event) => event.count)).toEqual([2, 3, 2]);
    expect(await derived(h)).toEqual({ applied: 1, verified: 1, wrong: 1 });
    expect(
      h.logs.some((line) => line.includes('derived from a web hook was 3, Crisp says 2')),
    ).toBe(true);

    // One Crisp backs: checked and found right.
    emulator.operatorSends(website.websiteId, sessionId);
    await eventually(async () => (await derived(h!)).verified === 2, 'the check', 5000);
    expect(await derived(h)).toEqual({ applied: 2, verified: 2, wrong: 1 });
    expect(sse.counts().at(-1)).toMatchObject({ count: 3, stale: false });
    await sse.cancel();
  });

  it('checks a derived count by one background read 10 s after the hook, from the safety share', async () => {
    h = await startHarness({ webhook: true });
    const { sessionId } = h;
    const sse = sseReader(await h.get(stream(sessionId)));
    await waitFor(() => sse.counts().length === 1);
    expect(await operatorHook(h, sessionId)).toEqual({ ok: true, count: 3 });
    expect(h.upstream()).toBe(1);
    // No safety re-read is due for 15 minutes: only the check reads it.
    await waitFor(() => sse.counts().length === 3, 14_000, 'the check');
    expect(sse.counts().map((event) => event.count)).toEqual([2, 3, 2]);
    expect(h.upstream()).toBe(2);
    expect(await derived(h)).toEqual({ applied: 1, verified: 1, wrong: 1 });
    const { budget } = (await (await h.get('/healthz')).json()) as {
      budget: { shares: Record<string, { spent: number }> };
    };
    expect(budget.shares.safety?.spent).toBe(1);
    await sse.cancel();
  }, 20_000);

  it('derives nothing for a session the relay holds no count for: marked, read on demand', async () => {
    h = await startHarness({ webhook: true });
    const { emulator, website } = h;
    const cold = emulator.createSession(website.websiteId, { unread: 4 });
    expect(await operatorHook(h, cold)).toEqual({ ok: true, count: null, deferred: true });
    expect(h.upstream()).toBe(0);
    expect(await (await h.get(unread(cold))).json()).toMatchObject({ count: 4, stale: false });
    expect(h.upstream()).toBe(1);
    expect(await derived(h)).toEqual({ applied: 0, verified: 0, wrong: 0 });
  });

  it('deriveFromHooks: false reads after every hook, as before', async () => {
    h = await startHarness({ webhook: true, deriveFromHooks: false });
    const { emulator, website, sessionId } = h;
    await h.get(unread(sessionId));
    emulator.operatorSends(website.websiteId, sessionId);
    emulator.visitorSends(website.websiteId, sessionId);
    await emulator.webhooksDelivered();
    expect(h.upstream()).toBe(3);
    expect(await derived(h)).toEqual({ applied: 0, verified: 0, wrong: 0 });
  });
});
