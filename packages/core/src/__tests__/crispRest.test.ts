import type { CrispEmulator, EmulatedWebsite } from '@crisp-unread/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { type CrispRestOptions, crispRest } from '../crispRest';
import { isUnreadError, type UnreadError } from '../errors';
import { rejection, useEmulator, waitFor } from './emulator';

let emulator: CrispEmulator;
let website: EmulatedWebsite;
useEmulator((started) => {
  ({ emulator, website } = started);
});

const context = () => ({ signal: new AbortController().signal });
const source = (overrides: Partial<CrispRestOptions> = {}) =>
  crispRest({ ...emulator.restOptions(website), ...overrides });

/** The synchronous throw of `run`, which must be an UnreadError. */
function thrown(run: () => unknown): UnreadError {
  try {
    run();
  } catch (error) {
    if (!isUnreadError(error)) throw new Error(`not an UnreadError: ${String(error)}`);
    return error;
  }
  throw new Error('expected a throw');
}

describe('crispRest', () => {
  describe('reading', () => {
    it('reads data.unread.visitor from the conversation', async () => {
      const sessionId = emulator.createSession(website.websiteId);
      expect(await source().read(sessionId, context())).toBe(0);
      emulator.operatorSends(website.websiteId, sessionId, 2);
      expect(await source().read(sessionId, context())).toBe(2);
    });

    it('reads 0 from a conversation without an unread object', async () => {
      const sessionId = emulator.createSession(website.websiteId, { omitUnread: true });
      expect(await source().read(sessionId, context())).toBe(0);
      expect(emulator.requestCount({ sessionId, status: 200 })).toBe(1);
    });

    it('sends Basic auth and X-Crisp-Tier: plugin by default', async () => {
      const sessionId = emulator.createSession(website.websiteId);
      const { tier: _tier, ...withoutTier } = emulator.restOptions(website);
      await crispRest(withoutTier).read(sessionId, context());
      expect(emulator.requests).toEqual([
        expect.objectContaining({
          method: 'GET',
          path: `/v1/website/${website.websiteId}/conversation/${sessionId}`,
          tier: 'plugin',
          authorized: true,
          status: 200,
        }),
      ]);
    });

    it('sends the website tier for a website token', async () => {
      const websiteToken = emulator.createWebsite({ tier: 'website' });
      const sessionId = emulator.createSession(websiteToken.websiteId, { unread: 4 });
      const read = crispRest(emulator.restOptions(websiteToken)).read(sessionId, context());
      expect(await read).toBe(4);
      expect(emulator.requests).toEqual([
        expect.objectContaining({ tier: 'website', authorized: true, status: 200 }),
      ]);
    });

    it('lower-cases an upper-case website id in the path', async () => {
      const sessionId = emulator.createSession(website.websiteId, { unread: 1 });
      const read = source({ websiteId: website.websiteId.toUpperCase() }).read(
        sessionId,
        context(),
      );
      expect(await read).toBe(1);
    });
  });

  describe('failures', () => {
    it('rejects a wrong key as unauthorized (401)', async () => {
      const sessionId = emulator.createSession(website.websiteId);
      const error = await rejection(source({ key: 'wrong-key-123' }).read(sessionId, context()));
      expect(error).toMatchObject({ code: 'unauthorized', status: 401 });
      expect(emulator.requests).toEqual([
        expect.objectContaining({ authorized: false, status: 401 }),
      ]);
    });

    it('rejects a wrong tier as forbidden (403)', async () => {
      const sessionId = emulator.createSession(website.websiteId);
      const error = await rejection(source({ tier: 'user' }).read(sessionId, context()));
      expect(error).toMatchObject({ code: 'forbidden', status: 403 });
    });

    it('rejects another website token as forbidden (403)', async () => {
      const other = emulator.createWebsite();
      const sessionId = emulator.createSession(website.websiteId);
      const options = { ...emulator.restOptions(other), websiteId: website.websiteId };
      const error = await rejection(crispRest(options).read(sessionId, context()));
      expect(error).toMatchObject({ code: 'forbidden', status: 403 });
    });

    it('rejects an unknown session as session-not-found (404)', async () => {
      const unknown = 'session_00000000-0000-4000-8000-000000000000';
      const error = await rejection(source().read(unknown, context()));
      expect(error).toMatchObject({ code: 'session-not-found', status: 404 });
    });

    it('rejects a deleted session as session-not-found (404)', async () => {
      const sessionId = emulator.createSession(website.websiteId, { unread: 3 });
      expect(await source().read(sessionId, context())).toBe(3);
      emulator.deleteSession(website.websiteId, sessionId);
      const error = await rejection(source().read(sessionId, context()));
      expect(error).toMatchObject({ code: 'session-not-found', status: 404 });
    });

    it('judges a 404 by its reason: not_subscribed is a setup error, not a gone session', async () => {
      const sessionId = emulator.createSession(website.websiteId);
      emulator.setSubscribed(website.websiteId, false);
      try {
        const error = await rejection(source().read(sessionId, context()));
        expect(error).toMatchObject({ code: 'misconfigured', status: 404 });
        expect(error.message).toMatch(/not_subscribed.*not installed/);
      } finally {
        emulator.setSubscribed(website.websiteId, true);
      }
      for (const [reason, code] of [
        ['session_not_found', 'session-not-found'],
        ['not_found', 'session-not-found'],
        ['conversation_gone', 'invalid-response'],
      ] as const) {
        emulator.fault(
          { type: 'body', status: 404, body: { error: true, reason, data: {} } },
          { times: 1 },
        );
        const error = await rejection(source().read(sessionId, context()));
        expect(error).toMatchObject({ code, status: 404 });
      }
    });

    it('rejects a request that hangs past timeoutMs as timeout', async () => {
      const sessionId = emulator.createSession(website.websiteId);
      emulator.fault({ type: 'hang' }, { times: 1 });
      const error = await rejection(source({ timeoutMs: 200 }).read(sessionId, context()));
      expect(error.code).toBe('timeout');
      expect(error.transient).toBe(true);
      // The emulator logs the abandoned request with status 0 once the client hangs up.
      await waitFor(() => emulator.requestCount({ sessionId, status: 0 }) === 1, 5000);
    });

    it('rejects when the context signal aborts, without hanging', async () => {
      const sessionId = emulator.createSession(website.websiteId);
      emulator.fault({ type: 'hang' }, { times: 1 });
      const controller = new AbortController();
      // A 60 s deadline: only the abort can end this read within the test timeout.
      const read = source({ timeoutMs: 60_000 }).read(sessionId, { signal: controller.signal });
      setTimeout(() => controller.abort(), 50);
      const error = await rejection(read);
      expect(error.code).toBe('network');
      await waitFor(() => emulator.requestCount({ sessionId, status: 0 }) === 1, 5000);
    });

    it('rejects at once for a signal aborted before the read', async () => {
      const sessionId = emulator.createSession(website.websiteId);
      const controller = new AbortController();
      controller.abort();
      const error = await rejection(
        source({ timeoutMs: 60_000 }).read(sessionId, { signal: controller.signal }),
      );
      expect(error.code).toBe('network');
      expect(emulator.requestCount({ status: 200 })).toBe(0);
    });
  });

  describe('session id validation', () => {
    const uuid = '700c65e1-85e2-465a-b9ac-ecb5ec2c9881';
    const malformed: [string, unknown][] = [
      ['empty', ''],
      ['whitespace only', '   '],
      ['leading whitespace', ` session_${uuid}`],
      ['trailing newline', `session_${uuid}\n`],
      ['inner space', `session_ ${uuid}`],
      ['path traversal', 'session_../../admin'],
      ['path traversal after a valid id', `session_${uuid}/../../other`],
      ['encoded slash', `session_${uuid}%2F..%2Fread`],
      ['encoded traversal', '%2e%2e%2f%2e%2e%2fwebsite'],
      ['query string', `session_${uuid}?x=1`],
      ['fragment', `session_${uuid}#x`],
      ['extra path segment', `session_${uuid}/read`],
      ['no prefix', uuid],
      ['wrong prefix', `visitor_${uuid}`],
      ['short uuid', 'session_700c65e1-85e2-465a-b9ac-ecb5ec2c988'],
      ['non-hex uuid', 'session_zzzzzzzz-85e2-465a-b9ac-ecb5ec2c9881'],
      ['unicode lookalike', `session_${uuid.replace('0', '０')}`],
      ['null byte', `session_${uuid}\u0000`],
      ['null', null],
      ['a number', 42],
      ['an object', { toString: () => `session_${uuid}` }],
    ];

    it.each(malformed)('rejects %s as misconfigured without a request', async (_name, value) => {
      const error = await rejection(source().read(value as string, context()));
      expect(error.code).toBe('misconfigured');
      expect(emulator.requests).toHaveLength(0);
    });

    it.each(malformed)('rejects markAsRead for %s without a request', async (_name, value) => {
      const error = await rejection(source().markAsRead(value as string, context()));
      expect(error.code).toBe('misconfigured');
      expect(emulator.requests).toHaveLength(0);
    });
  });

  describe('options', () => {
    const invalid: [string, Partial<Record<keyof CrispRestOptions, unknown>>][] = [
      ['websiteId not a UUID', { websiteId: 'my-website' }],
      ['websiteId with a path', { websiteId: '8c842203-7ed8-4e29-a608-7cf78a7d2fcc/../x' }],
      ['websiteId missing', { websiteId: undefined }],
      ['empty key', { key: '' }],
      ['key with a space', { key: 'a key' }],
      ['key not a string', { key: 1234 }],
      ['empty identifier', { identifier: '' }],
      ['identifier with a colon', { identifier: 'user:name' }],
      ['bad tier', { tier: 'admin' }],
      ['timeoutMs 0', { timeoutMs: 0 }],
      ['timeoutMs negative', { timeoutMs: -1 }],
      ['timeoutMs NaN', { timeoutMs: Number.NaN }],
      ['timeoutMs Infinity', { timeoutMs: Number.POSITIVE_INFINITY }],
      ['baseUrl ftp://x', { baseUrl: 'ftp://x' }],
      ['baseUrl with credentials', { baseUrl: 'http://user:pass@127.0.0.1:1' }],
      ['baseUrl with a user only', { baseUrl: 'http://user@127.0.0.1:1' }],
      ['baseUrl with a query', { baseUrl: 'http://127.0.0.1:1/?a=1' }],
      ['baseUrl not a URL', { baseUrl: 'not a url' }],
      ['fetch not a function', { fetch: 'fetch' }],
    ];

    it.each(invalid)('throws misconfigured synchronously for %s', (_name, overrides) => {
      const options = { ...emulator.restOptions(website), ...overrides } as CrispRestOptions;
      const error = thrown(() => crispRest(options));
      expect(error.code).toBe('misconfigured');
      expect(error.message).not.toContain(website.key);
    });

    it('throws misconfigured for a missing options object', () => {
      expect(thrown(() => crispRest(undefined as unknown as CrispRestOptions)).code).toBe(
        'misconfigured',
      );
    });

    it('uses the fetch it is given', async () => {
      const sessionId = emulator.createSession(website.websiteId, { unread: 6 });
      const urls: string[] = [];
      const read = source({
        fetch: (input, init) => {
          urls.push(input);
          return fetch(input, init);
        },
      }).read(sessionId, context());
      expect(await read).toBe(6);
      expect(urls).toEqual([
        `${emulator.url}/v1/website/${website.websiteId}/conversation/${sessionId}`,
      ]);
    });
  });

  describe('markAsRead', () => {
    it('sends PATCH …/read and the visitor unread count becomes 0', async () => {
      const sessionId = emulator.createSession(website.websiteId, { unread: 5 });
      await source().markAsRead(sessionId, context());
      expect(emulator.unreadOf(website.websiteId, sessionId)).toBe(0);
      expect(emulator.requests).toEqual([
        expect.objectContaining({
          method: 'PATCH',
          path: `/v1/website/${website.websiteId}/conversation/${sessionId}/read`,
          status: 202,
          authorized: true,
        }),
      ]);
      expect(await source().read(sessionId, context())).toBe(0);
    });

    it('rejects with the mapped error when the PATCH fails', async () => {
      const sessionId = emulator.createSession(website.websiteId, { unread: 5 });
      emulator.fault({ type: 'server-error', status: 503 }, { times: 1, method: 'PATCH' });
      const error = await rejection(source().markAsRead(sessionId, context()));
      expect(error).toMatchObject({ code: 'server', status: 503 });
      expect(emulator.unreadOf(website.websiteId, sessionId)).toBe(5);
    });
  });

  describe('the key', () => {
    const key = 'S3cr3t-K3y-0123456789abcdef0123456789abcdef';
    let secretWebsite: EmulatedWebsite;

    beforeAll(() => {
      secretWebsite = emulator.createWebsite({ key });
    });

    const failures: [string, (sessionId: string) => void, Partial<CrispRestOptions>?][] = [
      ['401', () => {}, { key: `${key}-wrong` }],
      ['403', () => {}, { tier: 'website' }],
      ['404', (sessionId) => emulator.deleteSession(secretWebsite.websiteId, sessionId)],
      ['429', () => emulator.fault({ type: 'rate-limit', retryAfter: 3 }, { times: 1 })],
      ['500', () => emulator.fault({ type: 'server-error' }, { times: 1 })],
      ['502 html', () => emulator.fault({ type: 'html' }, { times: 1 })],
      ['truncated json', () => emulator.fault({ type: 'truncated-json' }, { times: 1 })],
      ['drop', () => emulator.fault({ type: 'drop' }, { times: 1 })],
      ['hang', () => emulator.fault({ type: 'hang' }, { times: 1 }), { timeoutMs: 150 }],
      [
        'invalid body',
        () =>
          emulator.fault(
            { type: 'body', body: { error: false, data: { unread: { visitor: -1 } } } },
            { times: 1 },
          ),
      ],
      ['connection refused', () => {}, { baseUrl: 'http://127.0.0.1:1' }],
    ];

    it.each(failures)(
      'never appears in the error of a %s failure',
      async (_name, arrange, overrides) => {
        const sessionId = emulator.createSession(secretWebsite.websiteId);
        arrange(sessionId);
        const rest = crispRest({ ...emulator.restOptions(secretWebsite), ...overrides });
        const error = await rejection(rest.read(sessionId, context()));
        const encoded = btoa(`${secretWebsite.identifier}:${key}`);
        const texts = [
          error.message,
          error.toString(),
          String(error),
          JSON.stringify(error),
          String(error.stack),
          JSON.stringify(
            Object.getOwnPropertyNames(error).map((name) => [
              name,
              String((error as unknown as Record<string, unknown>)[name]),
            ]),
          ),
        ];
        for (const text of texts) {
          expect(text).not.toContain(key);
          expect(text).not.toContain(encoded);
        }
        expect(JSON.stringify(emulator.requests)).not.toContain(key);
      },
    );
  });
});

describe('crispRest error messages', () => {
  it('repeat only a well-formed Crisp reason, never an arbitrary body', async () => {
    const { startCrispEmulator } = await import('@crisp-unread/testing');
    const { crispRest } = await import('../crispRest');
    const emulator = await startCrispEmulator();
    try {
      const website = emulator.createWebsite();
      const sessionId = emulator.createSession(website.websiteId);
      const source = crispRest({ ...emulator.restOptions(website) });
      const signal = new AbortController().signal;
      emulator.fault(
        { type: 'body', status: 500, body: { error: true, reason: `echo ${website.key}` } },
        { times: 1 },
      );
      const echoed = await source.read(sessionId, { signal }).catch((error: Error) => error);
      expect((echoed as Error).message).not.toContain(website.key);
      expect((echoed as Error).message).not.toContain('echo');
      emulator.fault(
        { type: 'body', status: 500, body: { error: true, reason: 'server_error' } },
        { times: 1 },
      );
      const plain = await source.read(sessionId, { signal }).catch((error: Error) => error);
      expect((plain as Error).message).toContain('(server_error)');
    } finally {
      await emulator.close();
    }
  });
});
