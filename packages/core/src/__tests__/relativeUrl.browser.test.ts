// @vitest-environment happy-dom
import { describe, expect, it, vi } from 'vitest';
import { crispRelay } from '../crispRelay';

const sessionId = 'session_700c65e1-85e2-465a-b9ac-ecb5ec2c9881';

describe('crispRelay in a page', () => {
  it("resolves a relative URL against the page's location, and reads there", async () => {
    const fetch = vi.fn<typeof globalThis.fetch>(
      async () => new Response(JSON.stringify({ count: 4, updatedAt: 1, stale: false })),
    );
    const source = crispRelay({ url: '/api/crisp-unread/', fetch });
    const resolved = new URL('/api/crisp-unread', window.location.href).href;
    expect(source).toMatchObject({ available: true, url: resolved, scope: resolved });
    expect(await source.read(sessionId, { signal: new AbortController().signal })).toEqual({
      count: 4,
      stale: false,
    });
    expect(fetch.mock.calls[0]![0]).toBe(`${resolved}/sessions/${sessionId}/unread`);
  });

  it('resolves a path without a leading slash against the current page', () => {
    const source = crispRelay({ url: 'relay' });
    expect(source.url).toBe(new URL('relay', window.location.href).href);
  });
});
