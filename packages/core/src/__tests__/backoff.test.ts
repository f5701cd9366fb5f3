import { describe, expect, it } from 'vitest';
import { defaultRetry, parseRetryAfter, retryDelay } from '../backoff';
import { UnreadError } from '../errors';

const server = new UnreadError('server', 'boom', { status: 500 });
const limited = new UnreadError('rate-limited', 'slow down', { status: 429 });

describe('retryDelay', () => {
  it('doubles the jitter bound from about 1 s up to 5 minutes', () => {
    const top = { ...defaultRetry, random: () => 0.999999 };
    const bounds = [1, 2, 3, 4, 5, 8, 9, 10, 30].map((attempt) =>
      retryDelay(attempt, server, 30_000, top),
    );
    expect(bounds).toEqual([1000, 2000, 4000, 8000, 16000, 128000, 256000, 300000, 300000]);
  });

  it('draws uniformly in the upper half of the bound, so no draw retries at once', () => {
    const half = { ...defaultRetry, random: () => 0.5 };
    expect(retryDelay(1, server, 30_000, half)).toBe(750);
    expect(retryDelay(3, server, 30_000, half)).toBe(3000);
    expect(retryDelay(1, server, 30_000, { ...defaultRetry, random: () => 0 })).toBe(500);
    expect(retryDelay(9, server, 30_000, { ...defaultRetry, random: () => 0 })).toBe(128_000);
  });

  it('waits at least a Retry-After that came with a server error', () => {
    const said = new UnreadError('server', 'busy', { status: 503, retryAfterMs: 20_000 });
    expect(retryDelay(1, said, 30_000, defaultRetry)).toBe(20_000);
    expect(retryDelay(1, said, 30_000, false)).toBe(30_000);
  });

  it('treats timeouts, network failures and invalid responses like server errors', () => {
    const top = { ...defaultRetry, random: () => 0.999999 };
    for (const code of ['timeout', 'network', 'invalid-response'] as const) {
      expect(retryDelay(2, new UnreadError(code, code), 30_000, top)).toBe(2000);
    }
  });

  it('waits a whole interval after a failure when retry is false', () => {
    expect(retryDelay(1, server, 30_000, false)).toBe(30_000);
    expect(retryDelay(7, server, 45_000, false)).toBe(45_000);
  });

  it('honours Retry-After on rate limits', () => {
    const said = new UnreadError('rate-limited', 'wait', { status: 429, retryAfterMs: 7000 });
    expect(retryDelay(1, said, 30_000, defaultRetry)).toBe(7000);
    expect(retryDelay(5, said, 30_000, false)).toBe(7000);
  });

  it('backs off rate limits without Retry-After starting no lower than the interval', () => {
    const low = { ...defaultRetry, random: () => 0 };
    const top = { ...defaultRetry, random: () => 0.999999 };
    expect(retryDelay(1, limited, 30_000, low)).toBe(30_000);
    expect(retryDelay(1, limited, 30_000, top)).toBe(30_000);
    expect(retryDelay(2, limited, 30_000, top)).toBe(60_000);
    expect(retryDelay(3, limited, 30_000, top)).toBe(120_000);
    expect(retryDelay(9, limited, 30_000, top)).toBe(300_000);
    expect(retryDelay(3, limited, 30_000, low)).toBe(30_000);
    expect(retryDelay(4, limited, 30_000, false)).toBe(30_000);
  });

  it('never goes below the interval for rate limits, even with a cap under it', () => {
    const tight = { baseDelayMs: 10, maxDelayMs: 100, random: () => 0.999999 };
    expect(retryDelay(6, limited, 30_000, tight)).toBe(30_000);
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-11-25T12:00:00Z');

  it('reads delay-seconds', () => {
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter(' 0 ', now)).toBe(0);
  });

  it('reads an HTTP date relative to now', () => {
    expect(parseRetryAfter('Wed, 25 Nov 2026 12:00:30 GMT', now)).toBe(30_000);
  });

  it('treats a date in the past as no wait', () => {
    expect(parseRetryAfter('Wed, 25 Nov 2026 11:00:00 GMT', now)).toBe(0);
  });

  it('ignores absent or unreadable values', () => {
    for (const value of [null, undefined, '', 'soon', '-5', '1.5', '12abc']) {
      expect(parseRetryAfter(value, now)).toBeUndefined();
    }
  });

  it('caps absurd values at one day', () => {
    expect(parseRetryAfter('999999999', now)).toBe(86_400_000);
    expect(parseRetryAfter('Fri, 25 Nov 2039 12:00:00 GMT', now)).toBe(86_400_000);
  });
});
