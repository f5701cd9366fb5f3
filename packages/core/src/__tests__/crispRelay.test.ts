import { describe, expect, it } from 'vitest';
import { crispRelay, relayError, sseParser } from '../crispRelay';
import { rejection } from './emulator';

// The parts of crispRelay that need no relay; the rest is tested against a real relay in
// packages/relay (src/__tests__/crispRelay.test.ts), which depends on core.
const signal = () => new AbortController().signal;
const sessionId = 'session_700c65e1-85e2-465a-b9ac-ecb5ec2c9881';

describe('crispRelay.read', () => {
  it('maps 429, 502 and 504 answers, and rejects bad bodies as invalid-response', () => {
    expect(relayError(429, { error: 'rate-limited' }, '7')).toMatchObject({
      code: 'rate-limited',
      retryAfterMs: 7000,
    });
    expect(relayError(400, { error: 'invalid-session-id' }, null).code).toBe('misconfigured');
    expect(relayError(502, { error: 'upstream-unavailable', upstream: 'server' }, null).code).toBe(
      'server',
    );
    expect(relayError(502, { error: 'upstream-unauthorized' }, null).code).toBe('unauthorized');
    expect(relayError(504, { error: 'upstream-unavailable' }, null).code).toBe('timeout');
  });

  it('rejects a body that is not a count', async () => {
    const fake = async () =>
      new Response(JSON.stringify({ count: -1, updatedAt: 1 }), { status: 200 });
    const source = crispRelay({ url: 'http://127.0.0.1:9', fetch: fake });
    expect((await rejection(source.read(sessionId, { signal: signal() }))).code).toBe(
      'invalid-response',
    );
  });

  it('reads stale from the body: missing is fresh (an older relay), a non-boolean is invalid', async () => {
    const answering = (body: unknown) =>
      crispRelay({
        url: 'http://127.0.0.1:9',
        fetch: async () => new Response(JSON.stringify(body), { status: 200 }),
      }).read(sessionId, { signal: signal() });
    expect(await answering({ count: 3, updatedAt: 1, stale: true })).toEqual({
      count: 3,
      stale: true,
    });
    expect(await answering({ count: 3, updatedAt: 1 })).toEqual({ count: 3, stale: false });
    expect((await rejection(answering({ count: 3, updatedAt: 1, stale: 'yes' }))).code).toBe(
      'invalid-response',
    );
  });

  it('refuses a bad url', () => {
    expect(() => crispRelay({ url: 'ftp://x' })).toThrow(/url/);
    expect(() => crispRelay({ url: 'https://a:b@x' })).toThrow(/url/);
  });
});

describe('sseParser', () => {
  it('parses events split anywhere, CRLF lines, comments and ids', () => {
    const events: unknown[] = [];
    const feed = sseParser((event) => events.push(event));
    const text =
      'retry: 3000\r\n\r\n: ping\n\nevent: count\nid: 7\ndata: {"count":1}\n\ndata: a\ndata: b\n\n';
    for (const char of text) feed(char);
    expect(events).toEqual([
      { event: 'count', data: '{"count":1}', id: '7' },
      { event: 'message', data: 'a\nb', id: '7' },
    ]);
  });
});
