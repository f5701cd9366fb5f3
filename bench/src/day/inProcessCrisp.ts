// Crisp for a simulated day: the emulator's conversations and answers, called in-process.
//
// Why not over HTTP: the baselines make about a million Crisp calls in a full day (a page poll per
// 30 s, or a TTL refresh per streamed session per 15 s), which loopback HTTP cannot serve in a
// bench's minutes; and the day runs on a virtual clock, where real sockets would let time stand
// still or race it. So the relays get this function as their `fetch` option: it answers each call
// from the emulator's state (`unreadOf`, its conversation fixture and its 404 body) as its
// REST API would, and counts it.
import { type CrispEmulator, loadFixture } from '@crisp-unread/testing';

export interface CrispCalls {
  /** Every call, by session id. */
  readonly bySession: Map<string, number>;
  total: number;
  /** Calls made for each hour of the day: when the budget would run out. */
  readonly times: number[];
}

export interface InProcessCrisp {
  fetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response>;
  readonly calls: CrispCalls;
  /** Calls in flight (the simulation waits for them before moving the clock). */
  inFlight(): number;
}

const conversationPath = /^\/v1\/website\/([^/]+)\/conversation\/([^/]+)$/;

export function inProcessCrisp(emulator: CrispEmulator, websiteId: string): InProcessCrisp {
  // The emulator's conversation answer, as text with its ids and count left to fill in.
  const template = JSON.stringify({
    error: false,
    reason: 'resolved',
    data: {
      ...loadFixture<{ data: Record<string, unknown> }>('conversation.json').data,
      website_id: '@@website@@',
      session_id: '@@session@@',
      unread: { operator: 0, visitor: '@@count@@' },
    },
  });
  const answer = (website: string, sessionId: string, unread: number) =>
    template
      .replace('@@website@@', website)
      .replace('@@session@@', sessionId)
      .replace('"@@count@@"', String(unread));
  const notFound = JSON.stringify(loadFixture('error-not-found.json'));
  const calls: CrispCalls = { bySession: new Map(), total: 0, times: [] };
  let pending = 0;
  const json = (status: number, text: string) =>
    new Response(text, { status, headers: { 'Content-Type': 'application/json; charset=utf-8' } });
  return {
    calls,
    inFlight: () => pending,
    async fetch(input) {
      pending += 1;
      try {
        // One turn of the event loop, as a network answer would take.
        await Promise.resolve();
        const url = new URL(input instanceof Request ? input.url : String(input));
        const [, website, sessionId] = conversationPath.exec(url.pathname) ?? [];
        if (!sessionId) return json(404, notFound);
        calls.total += 1;
        calls.times.push(Date.now());
        calls.bySession.set(sessionId, (calls.bySession.get(sessionId) ?? 0) + 1);
        let unread: number;
        try {
          unread = emulator.unreadOf(website ?? websiteId, sessionId);
        } catch {
          return json(404, notFound);
        }
        return json(200, answer(website ?? websiteId, sessionId, unread));
      } finally {
        pending -= 1;
      }
    },
  };
}
