import { Crisp } from 'crisp-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EmulatedWebsite } from '../types.js';
import { type Harness, startHarness } from './emulatorClient.js';

// The official Node client, driven against the emulator as an app would drive it against Crisp.

let h: Harness;
let crisp: Crisp;

function clientFor(website: EmulatedWebsite, tier: EmulatedWebsite['tier'] = website.tier): Crisp {
  const client = new Crisp();
  client.setRestHost(h.emulator.url);
  client.authenticateTier(tier, website.identifier, website.key);
  return client;
}

/** What `crisp-api` rejects with for an HTTP error: its own shape around Crisp's `reason`. */
function clientError(code: number, message: string) {
  return {
    reason: 'error',
    message,
    code,
    data: { namespace: 'response', message: `Got response error: ${message}` },
  };
}

const missingSession = 'session_00000000-0000-4000-8000-000000000000';

function exists(client: Crisp, sessionId: string): Promise<boolean> {
  return client.website.checkConversationExists(h.website.websiteId, sessionId).then(
    () => true,
    (error: { code?: number }) => (error.code === 404 ? false : Promise.reject(error)),
  );
}

beforeEach(async () => {
  h = await startHarness();
  crisp = clientFor(h.website);
});

afterEach(async () => {
  await h.emulator.close();
});

describe('crisp-api: reading', () => {
  it('getConversation resolves the conversation with its unread counts', async () => {
    const conversation = await crisp.website.getConversation(h.website.websiteId, h.sessionId);
    expect(conversation).toMatchObject({
      session_id: h.sessionId,
      website_id: h.website.websiteId,
      unread: { operator: 0, visitor: 2 },
    });
    expect(h.emulator.requests.at(-1)).toMatchObject({
      method: 'GET',
      status: 200,
      tier: 'plugin',
      authorized: true,
    });
  });

  it('checkConversationExists (HEAD) is true for an existing conversation, false for a missing one', async () => {
    expect(await exists(crisp, h.sessionId)).toBe(true);
    expect(await exists(crisp, missingSession)).toBe(false);
    h.emulator.deleteSession(h.website.websiteId, h.sessionId);
    expect(await exists(crisp, h.sessionId)).toBe(false);
    expect(h.emulator.requests.map((entry) => [entry.method, entry.status])).toEqual([
      ['HEAD', 200],
      ['HEAD', 404],
      ['HEAD', 404],
    ]);
  });
});

describe('crisp-api: markMessagesReadInConversation', () => {
  const operatorBodies: Array<[string, Record<string, unknown>]> = [
    ['the origin "chat"', { from: 'operator', origin: 'chat' }],
    [
      'its README example (an urn: origin, string fingerprints)',
      { from: 'operator', origin: 'urn:crisp.im:slack:0', fingerprints: ['5719231201'] },
    ],
    ['numeric fingerprints', { from: 'operator', origin: 'chat', fingerprints: [5719231201] }],
    ['no origin', { from: 'operator' }],
  ];

  it.each(operatorBodies)('marks the operator messages read with %s', async (_name, body) => {
    await expect(
      crisp.website.markMessagesReadInConversation(h.website.websiteId, h.sessionId, body),
    ).resolves.toEqual({});
    expect(h.emulator.unreadOf(h.website.websiteId, h.sessionId)).toBe(0);
    expect(h.emulator.requests.at(-1)).toMatchObject({ method: 'PATCH', status: 202 });
  });

  it('accepts no body (the client sends {}): an operator reads the visitor messages', async () => {
    h.emulator.visitorSends(h.website.websiteId, h.sessionId, 3);
    await expect(
      crisp.website.markMessagesReadInConversation(
        h.website.websiteId,
        h.sessionId,
        undefined as never,
      ),
    ).resolves.toEqual({});
    const conversation = await crisp.website.getConversation(h.website.websiteId, h.sessionId);
    expect(conversation.unread).toEqual({ operator: 0, visitor: 2 });
  });

  it('rejects a body Crisp would not take with invalid_data, changing nothing', async () => {
    for (const body of [
      { from: 'nobody', origin: 'chat' },
      { from: 'operator', origin: '' },
      { from: 'operator', origin: 'chat', fingerprints: ['not-a-fingerprint'] },
      { from: 'operator', origin: 'chat', fingerprints: 5719231201 },
    ]) {
      await expect(
        crisp.website.markMessagesReadInConversation(
          h.website.websiteId,
          h.sessionId,
          body as never,
        ),
      ).rejects.toEqual(clientError(400, 'invalid_data'));
    }
    expect(h.emulator.unreadOf(h.website.websiteId, h.sessionId)).toBe(2);
  });
});

describe('crisp-api: errors surface as Crisp errors do', () => {
  const read = (client = crisp, sessionId = h.sessionId) =>
    client.website.getConversation(h.website.websiteId, sessionId);

  it('401 invalid_authentication for a wrong key', async () => {
    const wrongKey = clientFor({ ...h.website, key: 'f'.repeat(64) });
    await expect(read(wrongKey)).rejects.toEqual(clientError(401, 'invalid_authentication'));
  });

  it('403 not_allowed for the wrong tier and for another website', async () => {
    await expect(read(clientFor(h.website, 'website'))).rejects.toEqual(
      clientError(403, 'not_allowed'),
    );
    const other = h.emulator.createWebsite();
    await expect(read(clientFor(other))).rejects.toEqual(clientError(403, 'not_allowed'));
  });

  it('404 not_found for a missing session, its message said once', async () => {
    const error = await read(crisp, missingSession).catch((caught: unknown) => caught);
    expect(error).toEqual(clientError(404, 'not_found'));
    expect((error as { data: { message: string } }).data.message).toBe(
      'Got response error: not_found',
    );
  });

  it.each([420, 429] as const)('%i rate_limited for a rate-limit fault', async (status) => {
    h.emulator.fault({ type: 'rate-limit', status, retryAfter: 30 }, { times: 1 });
    await expect(read()).rejects.toEqual(clientError(status, 'rate_limited'));
  });

  it('429 rate_limited once the daily quota is spent', async () => {
    h.emulator.setDailyQuota(1);
    await read();
    await expect(read()).rejects.toEqual(clientError(429, 'rate_limited'));
  });

  it.each([500, 503])('%i server_error for a server error', async (status) => {
    h.emulator.fault({ type: 'server-error', status }, { times: 1 });
    await expect(read()).rejects.toEqual(clientError(status, 'server_error'));
  });

  it("502 http_error for a proxy's HTML page (no Crisp body to read)", async () => {
    h.emulator.fault({ type: 'html' }, { times: 1 });
    await expect(read()).rejects.toEqual(clientError(502, 'http_error'));
  });

  it('HEAD errors keep their status (the client cannot read a reason without a body)', async () => {
    const wrongKey = clientFor({ ...h.website, key: 'f'.repeat(64) });
    await expect(
      wrongKey.website.checkConversationExists(h.website.websiteId, h.sessionId),
    ).rejects.toEqual(clientError(401, 'route_error'));
    h.emulator.fault({ type: 'server-error', status: 503 }, { times: 1, method: 'HEAD' });
    await expect(exists(crisp, h.sessionId)).rejects.toEqual(clientError(503, 'server_error'));
  });
});

describe('crisp-api: routes the emulator does not play', () => {
  // Functions, so each promise is awaited as soon as it exists.
  const unplayed = (client: Crisp): Array<() => Promise<unknown>> => [
    () => client.website.getWebsite(h.website.websiteId),
    () => client.website.removeConversation(h.website.websiteId, h.sessionId),
    () =>
      client.website.markConversationAsUnread(h.website.websiteId, h.sessionId, {
        from: 'operator',
      }),
  ];

  it('answer 501 not_implemented, distinct from a missing session, and spend no quota', async () => {
    h.emulator.setDailyQuota(1);
    for (const call of unplayed(crisp)) {
      await expect(call()).rejects.toEqual(clientError(501, 'not_implemented'));
    }
    expect(h.emulator.requestCount({ status: 501 })).toBe(3);
    // The one call of the quota is still there.
    await expect(
      crisp.website.getConversation(h.website.websiteId, h.sessionId),
    ).resolves.toMatchObject({ session_id: h.sessionId });
    expect(h.emulator.unreadOf(h.website.websiteId, h.sessionId)).toBe(2);
  });

  it('check the credentials and the tier first', async () => {
    for (const call of unplayed(clientFor({ ...h.website, key: 'f'.repeat(64) }))) {
      await expect(call()).rejects.toEqual(clientError(401, 'invalid_authentication'));
    }
    for (const call of unplayed(clientFor(h.website, 'user'))) {
      await expect(call()).rejects.toEqual(clientError(403, 'not_allowed'));
    }
    const other = h.emulator.createWebsite();
    for (const call of unplayed(clientFor(other))) {
      await expect(call()).rejects.toEqual(clientError(403, 'not_allowed'));
    }
  });
});
