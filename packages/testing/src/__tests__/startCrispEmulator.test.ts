import { Agent, request } from 'node:http';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { basicAuth } from '../credentials.js';
import { loadFixture } from '../loadFixture.js';
import { startCrispEmulator } from '../startCrispEmulator.js';
import type { EmulatorRequest } from '../types.js';
import { type Harness, startHarness } from './emulatorClient.js';

let h: Harness;
const missingSessionId = 'session_00000000-0000-4000-8000-000000000000';

beforeEach(async () => {
  h = await startHarness();
});

afterEach(async () => {
  await h.emulator.close();
});

describe('startCrispEmulator', () => {
  it('listens on an ephemeral loopback port and reports its url without a trailing slash', () => {
    expect(h.emulator.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('refuses a hostname that is not a loopback address', async () => {
    await expect(startCrispEmulator({ hostname: '0.0.0.0' })).rejects.toThrow(/hostname/);
  });

  it('refuses an invalid daily quota', async () => {
    await expect(startCrispEmulator({ dailyQuota: -1 })).rejects.toThrow(/dailyQuota/);
  });
});

describe('createWebsite and createSession', () => {
  it('makes random ids and a 64-hex key with the plugin tier by default', () => {
    const website = h.emulator.createWebsite();
    expect(website).toEqual({
      websiteId: expect.stringMatching(
        /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
      ),
      identifier: expect.stringMatching(/^[0-9a-f-]{36}$/),
      key: expect.stringMatching(/^[0-9a-f]{64}$/),
      tier: 'plugin',
    });
    expect(h.emulator.createSession(website.websiteId)).toMatch(/^session_[0-9a-f-]{36}$/);
  });

  it('uses the credentials it is given', async () => {
    const website = h.emulator.createWebsite({ identifier: 'my-plugin', key: 'test-key-123' });
    const sessionId = h.emulator.createSession(website.websiteId);
    const response = await fetch(h.conversationUrl(sessionId, website.websiteId), {
      headers: { Authorization: basicAuth('my-plugin', 'test-key-123'), 'X-Crisp-Tier': 'plugin' },
    });
    expect(response.status).toBe(200);
  });

  it('gives a client of the emulator its options for a website (restOptions)', () => {
    const website = h.emulator.createWebsite({ tier: 'website' });
    expect(h.emulator.restOptions({ ...website, extra: 1 } as typeof website)).toEqual({
      ...website,
      baseUrl: h.emulator.url,
    });
  });

  it('refuses duplicate or malformed ids and unknown tiers', () => {
    const { websiteId } = h.website;
    expect(() => h.emulator.createWebsite({ websiteId })).toThrow(/websiteId/);
    expect(() => h.emulator.createWebsite({ websiteId: 'abc' })).toThrow(/websiteId/);
    expect(() => h.emulator.createWebsite({ tier: 'admin' as never })).toThrow(/tier/);
    expect(() => h.emulator.createSession(websiteId, { sessionId: h.sessionId })).toThrow(
      /sessionId/,
    );
    expect(() => h.emulator.createSession(websiteId, { sessionId: 'session_1' })).toThrow(
      /sessionId/,
    );
    expect(() => h.emulator.createSession(websiteId, { unread: -1 })).toThrow(/unread/);
  });
});

describe('GET conversation', () => {
  it('answers the Crisp success envelope with the conversation and its unread counts', async () => {
    const response = await h.get();
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
    const body = await response.json();
    const fixture = loadFixture<{ data: Record<string, unknown> }>('conversation.json');
    expect(body).toMatchObject({ error: false, reason: 'resolved' });
    expect(Object.keys(body.data).sort()).toEqual(Object.keys(fixture.data).sort());
    expect(body.data).toMatchObject({
      website_id: h.website.websiteId,
      session_id: h.sessionId,
      unread: { operator: 0, visitor: 2 },
      meta: fixture.data.meta,
    });
  });

  it('serves a conversation without an unread object when the session omits it', async () => {
    const sessionId = h.emulator.createSession(h.website.websiteId, { omitUnread: true });
    const body = await (await h.get({ sessionId })).json();
    expect(body.error).toBe(false);
    expect(body.data).not.toHaveProperty('unread');
    expect(h.emulator.unreadOf(h.website.websiteId, sessionId)).toBe(0);
  });

  it('changes updated_at when a count changes', async () => {
    const before = (await (await h.get()).json()).data.updated_at;
    h.emulator.operatorSends(h.website.websiteId, h.sessionId);
    const after = (await (await h.get()).json()).data.updated_at;
    expect(after).toBeGreaterThan(before);
  });

  it('answers 401 with the unauthorized fixture for a wrong key', async () => {
    const response = await h.get({
      headers: { ...h.headers(), Authorization: basicAuth(h.website.identifier, 'f'.repeat(64)) },
    });
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual(loadFixture('error-unauthorized.json'));
  });

  it('answers 401 without an Authorization header', async () => {
    const response = await h.get({ headers: { 'X-Crisp-Tier': 'plugin' } });
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual(loadFixture('error-unauthorized.json'));
  });

  it('answers 401 for an Authorization header that is not Basic', async () => {
    const response = await h.get({ headers: { ...h.headers(), Authorization: 'Bearer abc' } });
    expect(response.status).toBe(401);
  });

  it('answers 403 not_allowed when X-Crisp-Tier is missing or differs from the token tier', async () => {
    const { 'X-Crisp-Tier': _tier, ...withoutTier } = h.headers();
    const missing = await h.get({ headers: withoutTier });
    const wrong = await h.get({ headers: { ...h.headers(), 'X-Crisp-Tier': 'website' } });
    for (const response of [missing, wrong]) {
      expect(response.status).toBe(403);
      expect(await response.json()).toEqual({ error: true, reason: 'not_allowed', data: {} });
    }
  });

  it('accepts the tier a website token was created with', async () => {
    const website = h.emulator.createWebsite({ tier: 'website' });
    const sessionId = h.emulator.createSession(website.websiteId, { unread: 1 });
    const response = await fetch(h.conversationUrl(sessionId, website.websiteId), {
      headers: h.headers(website),
    });
    expect(response.status).toBe(200);
    expect((await response.json()).data.unread.visitor).toBe(1);
  });

  it('answers 403 for valid credentials of another website', async () => {
    const other = h.emulator.createWebsite();
    const response = await h.get({ headers: h.headers(other) });
    expect(response.status).toBe(403);
    expect((await response.json()).reason).toBe('not_allowed');
  });

  it('answers 400 invalid_session for a malformed session id or website id', async () => {
    const badSession = await fetch(h.conversationUrl('session_nope'), { headers: h.headers() });
    const badWebsite = await fetch(h.conversationUrl(h.sessionId, 'not-a-uuid'), {
      headers: h.headers(),
    });
    for (const response of [badSession, badWebsite]) {
      expect(response.status).toBe(400);
      expect(await response.json()).toEqual(loadFixture('error-invalid-session.json'));
    }
  });

  it('answers 404 with the not-found fixture for an unknown session', async () => {
    const response = await h.get({ sessionId: missingSessionId });
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual(loadFixture('error-not-found.json'));
  });

  it('answers 404 after deleteSession', async () => {
    h.emulator.deleteSession(h.website.websiteId, h.sessionId);
    const response = await h.get();
    expect(response.status).toBe(404);
    expect(() => h.emulator.unreadOf(h.website.websiteId, h.sessionId)).toThrow(/sessionId/);
  });

  it('answers 501 not_implemented for a Crisp route it does not play, without spending quota', async () => {
    h.emulator.setDailyQuota(1);
    for (const [method, path] of [
      ['GET', `/v1/website/${h.website.websiteId}/people`],
      ['DELETE', `/v1/website/${h.website.websiteId}/conversation/${h.sessionId}`],
      ['PATCH', `/v1/website/${h.website.websiteId}/conversation/${h.sessionId}/unread`],
      ['GET', '/v1/plugin/connect/endpoints'],
    ] as const) {
      const response = await fetch(`${h.emulator.url}${path}`, { method, headers: h.headers() });
      expect(response.status).toBe(501);
      expect(await response.json()).toEqual({ error: true, reason: 'not_implemented', data: {} });
    }
    expect(h.emulator.requests.at(1)).toMatchObject({
      websiteId: h.website.websiteId,
      sessionId: h.sessionId,
      status: 501,
    });
    expect((await h.get()).status).toBe(200);
  });

  it('checks credentials, tier and website before answering 501', async () => {
    const path = `/v1/website/${h.website.websiteId}/people`;
    const call = (headers: Record<string, string>, websiteId = h.website.websiteId) =>
      fetch(`${h.emulator.url}${path.replace(h.website.websiteId, websiteId)}`, { headers });
    expect((await call({ 'X-Crisp-Tier': 'plugin' })).status).toBe(401);
    expect((await call({ ...h.headers(), 'X-Crisp-Tier': 'user' })).status).toBe(403);
    expect((await call(h.headers(), h.emulator.createWebsite().websiteId)).status).toBe(403);
  });

  it('answers 404 with the not-found fixture outside the /v1/ API', async () => {
    const response = await fetch(`${h.emulator.url}/v2/anything`, { headers: h.headers() });
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual(loadFixture('error-not-found.json'));
  });

  it('answers HEAD for a conversation with the GET status and no body', async () => {
    const found = await fetch(h.conversationUrl(), { method: 'HEAD', headers: h.headers() });
    expect(found.status).toBe(200);
    expect(await found.text()).toBe('');
    const missing = await fetch(h.conversationUrl(missingSessionId), {
      method: 'HEAD',
      headers: h.headers(),
    });
    expect(missing.status).toBe(404);
  });
});

describe('unread counts', () => {
  it('counts operator messages into unread.visitor and resets it when the visitor reads', async () => {
    const { websiteId } = h.website;
    expect(h.emulator.operatorSends(websiteId, h.sessionId)).toBe(3);
    expect(h.emulator.operatorSends(websiteId, h.sessionId, 2)).toBe(5);
    expect((await (await h.get()).json()).data.unread.visitor).toBe(5);
    h.emulator.visitorReads(websiteId, h.sessionId);
    expect(h.emulator.unreadOf(websiteId, h.sessionId)).toBe(0);
    expect((await (await h.get()).json()).data.unread.visitor).toBe(0);
  });

  it('counts visitor messages into unread.operator', async () => {
    expect(h.emulator.visitorSends(h.website.websiteId, h.sessionId, 4)).toBe(4);
    expect((await (await h.get()).json()).data.unread).toEqual({ operator: 4, visitor: 2 });
  });

  it('creates the unread object on the first message of a session that omitted it', async () => {
    const sessionId = h.emulator.createSession(h.website.websiteId, { omitUnread: true });
    expect(h.emulator.operatorSends(h.website.websiteId, sessionId)).toBe(1);
    expect((await (await h.get({ sessionId })).json()).data.unread).toEqual({
      operator: 0,
      visitor: 1,
    });
  });

  it('rejects a count that is not a positive integer', () => {
    expect(() => h.emulator.operatorSends(h.website.websiteId, h.sessionId, 0)).toThrow(/count/);
    expect(() => h.emulator.operatorSends(h.website.websiteId, h.sessionId, 1.5)).toThrow(/count/);
  });

  it('rejects an unknown website or session in control methods', () => {
    expect(() => h.emulator.createSession('8c842203-7ed8-4e29-a608-7cf78a7d2fcc')).toThrow(
      /websiteId/,
    );
    expect(() =>
      h.emulator.operatorSends(h.website.websiteId, 'session_00000000-0000-4000-8000-000000000000'),
    ).toThrow(/sessionId/);
  });
});

describe('PATCH read', () => {
  it('resets unread.visitor for from "operator" and answers 202 dispatched', async () => {
    const response = await h.markRead({ from: 'operator', origin: 'chat', fingerprints: [1, 2] });
    expect(response.status).toBe(202);
    expect(await response.json()).toEqual({ error: false, reason: 'dispatched', data: {} });
    expect(h.emulator.unreadOf(h.website.websiteId, h.sessionId)).toBe(0);
  });

  it('resets unread.operator for from "user"', async () => {
    h.emulator.visitorSends(h.website.websiteId, h.sessionId, 3);
    expect((await h.markRead({ from: 'user', origin: 'chat' })).status).toBe(202);
    expect((await (await h.get()).json()).data.unread).toEqual({ operator: 0, visitor: 2 });
  });

  it('takes every field as optional: no body, or no origin, marks read', async () => {
    h.emulator.visitorSends(h.website.websiteId, h.sessionId, 3);
    expect((await h.markRead('')).status).toBe(202);
    expect((await (await h.get()).json()).data.unread).toEqual({ operator: 0, visitor: 2 });
    expect((await h.markRead({ from: 'operator' })).status).toBe(202);
    expect(h.emulator.unreadOf(h.website.websiteId, h.sessionId)).toBe(0);
  });

  it('answers 400 invalid_data for a malformed body and changes nothing', async () => {
    for (const body of [
      '{not json',
      '[]',
      { from: 'nobody', origin: 'chat' },
      { from: 'operator', origin: 7 },
      { from: 'operator', fingerprints: [-1] },
      { from: 'operator', fingerprints: ['12a'] },
    ]) {
      const response = await h.markRead(body);
      expect(response.status).toBe(400);
      expect(await response.json()).toEqual({ error: true, reason: 'invalid_data', data: {} });
    }
    expect(h.emulator.unreadOf(h.website.websiteId, h.sessionId)).toBe(2);
  });

  it('applies the same authentication checks as GET', async () => {
    const response = await fetch(`${h.conversationUrl()}/read`, {
      method: 'PATCH',
      body: JSON.stringify({ from: 'operator', origin: 'chat' }),
    });
    expect(response.status).toBe(401);
    expect(h.emulator.unreadOf(h.website.websiteId, h.sessionId)).toBe(2);
  });
});

describe('daily quota', () => {
  it('answers 429 with the rate-limited fixture and no Retry-After once the quota is spent', async () => {
    await h.emulator.close();
    h = await startHarness({ dailyQuota: 3 });
    for (let i = 0; i < 3; i += 1) expect((await h.get()).status).toBe(200);
    const response = await h.get();
    expect(response.status).toBe(429);
    expect(response.headers.get('retry-after')).toBeNull();
    expect(await response.json()).toEqual(loadFixture('error-rate-limited.json'));
  });

  it('counts every website separately and starts again the next UTC day', async () => {
    let now = Date.UTC(2026, 0, 1, 23, 59);
    await h.emulator.close();
    h = await startHarness({ dailyQuota: 1, now: () => now });
    const other = h.emulator.createWebsite();
    const otherSession = h.emulator.createSession(other.websiteId);
    expect((await h.get()).status).toBe(200);
    expect((await h.get()).status).toBe(429);
    const otherResponse = await fetch(h.conversationUrl(otherSession, other.websiteId), {
      headers: h.headers(other),
    });
    expect(otherResponse.status).toBe(200);
    now += 60_000;
    expect((await h.get()).status).toBe(200);
  });

  it('follows setDailyQuota and resetQuota', async () => {
    h.emulator.setDailyQuota(1);
    expect((await h.get()).status).toBe(200);
    expect((await h.get()).status).toBe(429);
    h.emulator.resetQuota();
    expect((await h.get()).status).toBe(200);
    expect(() => h.emulator.setDailyQuota(Number.NaN)).toThrow(/dailyQuota/);
  });

  it('does not count requests that failed authentication', async () => {
    h.emulator.setDailyQuota(1);
    expect((await h.get({ headers: {} })).status).toBe(401);
    expect((await h.get()).status).toBe(200);
  });
});

describe('faults', () => {
  it('latency delays the answer, then answers normally', async () => {
    h.emulator.fault({ type: 'latency', ms: 150 }, { times: 1 });
    const started = performance.now();
    const response = await h.get();
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
    expect(response.status).toBe(200);
    expect(h.emulator.requests.at(-1)).toMatchObject({ fault: 'latency', status: 200 });
  });

  it('server-error answers the Crisp error envelope with 500 or the given status', async () => {
    h.emulator.fault({ type: 'server-error' }, { times: 1 });
    h.emulator.fault({ type: 'server-error', status: 503 }, { times: 1 });
    const first = await h.get();
    expect(first.status).toBe(500);
    expect(await first.json()).toEqual({ error: true, reason: 'server_error', data: {} });
    expect((await h.get()).status).toBe(503);
    expect((await h.get()).status).toBe(200);
  });

  it('rate-limit sends a numeric Retry-After in seconds', async () => {
    h.emulator.fault({ type: 'rate-limit', retryAfter: 7 }, { times: 1 });
    const response = await h.get();
    expect(response.status).toBe(429);
    expect(response.headers.get('retry-after')).toBe('7');
    expect(response.headers.get('access-control-expose-headers')).toContain('Retry-After');
    expect(await response.json()).toEqual(loadFixture('error-rate-limited.json'));
  });

  it('rate-limit sends a string Retry-After verbatim and may answer 420', async () => {
    const date = new Date(Date.now() + 30_000).toUTCString();
    h.emulator.fault({ type: 'rate-limit', status: 420, retryAfter: date }, { times: 1 });
    const response = await h.get();
    expect(response.status).toBe(420);
    expect(response.headers.get('retry-after')).toBe(date);
  });

  it('rate-limit without retryAfter sends no Retry-After', async () => {
    h.emulator.fault({ type: 'rate-limit' }, { times: 1 });
    const response = await h.get();
    expect(response.status).toBe(429);
    expect(response.headers.get('retry-after')).toBeNull();
  });

  it('html answers the 502 fixture as text/html', async () => {
    h.emulator.fault({ type: 'html' }, { times: 1 });
    const response = await h.get();
    expect(response.status).toBe(502);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await response.text()).toBe(loadFixture('error-502.html'));
  });

  it('truncated-json answers 200 application/json with a body JSON.parse rejects', async () => {
    h.emulator.fault({ type: 'truncated-json' }, { times: 1 });
    const response = await h.get();
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
    const text = await response.text();
    expect(text.startsWith('{"error":false,"reason":"resolved","data":{')).toBe(true);
    expect(() => JSON.parse(text)).toThrow(SyntaxError);
  });

  it('drop destroys the connection so fetch rejects, and logs status 0', async () => {
    h.emulator.fault({ type: 'drop' }, { times: 1 });
    await expect(h.get()).rejects.toThrow(TypeError);
    expect(h.emulator.requests.at(-1)).toMatchObject({ fault: 'drop', status: 0 });
    expect((await h.get()).status).toBe(200);
  });

  it('hang never answers, so an AbortSignal.timeout aborts the call', async () => {
    h.emulator.fault({ type: 'hang' }, { times: 1 });
    const logged = new Promise<EmulatorRequest>((resolve) => h.emulator.onRequest(resolve));
    await expect(h.get({ signal: AbortSignal.timeout(200) })).rejects.toMatchObject({
      name: 'TimeoutError',
    });
    expect(await logged).toMatchObject({ fault: 'hang', status: 0 });
  });

  it('body answers the exact JSON given, with status 200 by default', async () => {
    const conversation = loadFixture<{ data: Record<string, unknown> }>('conversation.json');
    const odd = { ...conversation, data: { ...conversation.data, unread: { visitor: '2' } } };
    h.emulator.fault({ type: 'body', body: odd }, { times: 1 });
    h.emulator.fault({ type: 'body', status: 418, body: [1] }, { times: 1 });
    const first = await h.get();
    expect(first.status).toBe(200);
    expect(await first.json()).toEqual(odd);
    const second = await h.get();
    expect(second.status).toBe(418);
    expect(await second.json()).toEqual([1]);
  });

  it('counts times down, then answers normally again', async () => {
    h.emulator.fault({ type: 'server-error' }, { times: 2 });
    expect((await h.get()).status).toBe(500);
    expect((await h.get()).status).toBe(500);
    expect((await h.get()).status).toBe(200);
  });

  it('stays active until cleared when times is omitted', async () => {
    const handle = h.emulator.fault({ type: 'server-error' });
    for (let i = 0; i < 3; i += 1) expect((await h.get()).status).toBe(500);
    handle.clear();
    expect((await h.get()).status).toBe(200);
    h.emulator.fault({ type: 'server-error' });
    h.emulator.clearFaults();
    expect((await h.get()).status).toBe(200);
  });

  it('applies only to the given session and method', async () => {
    const other = h.emulator.createSession(h.website.websiteId);
    h.emulator.fault({ type: 'server-error' }, { sessionId: other });
    h.emulator.fault({ type: 'server-error', status: 503 }, { method: 'PATCH' });
    expect((await h.get()).status).toBe(200);
    expect((await h.get({ sessionId: other })).status).toBe(500);
    expect((await h.markRead({ from: 'operator', origin: 'chat' })).status).toBe(503);
  });

  it('applies the first added matching fault first', async () => {
    h.emulator.fault({ type: 'server-error', status: 501 }, { times: 1 });
    h.emulator.fault({ type: 'server-error', status: 502 }, { times: 1 });
    expect((await h.get()).status).toBe(501);
    expect((await h.get()).status).toBe(502);
  });

  it('answers before authentication and without counting against the quota', async () => {
    h.emulator.setDailyQuota(1);
    h.emulator.fault({ type: 'server-error' }, { times: 1 });
    expect((await h.get({ headers: {} })).status).toBe(500);
    expect((await h.get()).status).toBe(200);
  });

  it('rejects a malformed fault with a clear error', () => {
    expect(() => h.emulator.fault({ type: 'explode' } as never)).toThrow(/type must be one of/);
    expect(() => h.emulator.fault({ type: 'latency', ms: -1 })).toThrow(/ms/);
    expect(() => h.emulator.fault({ type: 'drop' }, { times: 0 })).toThrow(/times/);
    expect(() => h.emulator.fault({ type: 'drop' }, { sessionId: 'x' })).toThrow(/sessionId/);
  });
});

describe('request log', () => {
  it('records each API call with its ids, status, tier and authorization', async () => {
    await h.get();
    await h.get({ headers: { 'X-Crisp-Tier': 'plugin' } });
    expect(h.emulator.requests).toEqual([
      {
        method: 'GET',
        path: `/v1/website/${h.website.websiteId}/conversation/${h.sessionId}`,
        websiteId: h.website.websiteId,
        sessionId: h.sessionId,
        status: 200,
        tier: 'plugin',
        authorized: true,
        fault: null,
        at: expect.any(Number),
      },
      expect.objectContaining({ status: 401, authorized: false }),
    ]);
  });

  it('counts requests by method, ids and status', async () => {
    await h.get();
    await h.get();
    await h.markRead({ from: 'operator', origin: 'chat' });
    await h.get({ headers: {} });
    expect(h.emulator.requestCount()).toBe(4);
    expect(h.emulator.requestCount({ method: 'GET', status: 200 })).toBe(2);
    expect(h.emulator.requestCount({ method: 'PATCH', sessionId: h.sessionId })).toBe(1);
    expect(h.emulator.requestCount({ websiteId: h.website.websiteId, status: 401 })).toBe(1);
    h.emulator.clearRequests();
    expect(h.emulator.requestCount()).toBe(0);
  });

  it('never contains the key, even when a client puts it in the URL', async () => {
    await h.get();
    await h.get({ headers: { ...h.headers(), Authorization: basicAuth('x', h.website.key) } });
    await fetch(
      `${h.emulator.url}/v1/website/${h.website.key}/conversation/${h.sessionId}?k=${h.website.key}`,
      {
        headers: h.headers(),
      },
    );
    expect(h.emulator.requests).toHaveLength(3);
    expect(JSON.stringify(h.emulator.requests)).not.toContain(h.website.key);
  });

  it('does not log preflights or control calls', async () => {
    await fetch(h.conversationUrl(), { method: 'OPTIONS' });
    await fetch(`${h.emulator.url}/_emulator/requests`);
    expect(h.emulator.requestCount()).toBe(0);
  });

  it('tells onRequest listeners after each answered call until they unsubscribe', async () => {
    const seen: number[] = [];
    const unsubscribe = h.emulator.onRequest((entry) => seen.push(entry.status));
    await h.get();
    await h.get({ sessionId: 'session_00000000-0000-4000-8000-000000000000' });
    unsubscribe();
    await h.get();
    expect(seen).toEqual([200, 404]);
  });

  it('hands out a copy of the log that callers cannot change', async () => {
    await h.get();
    const copy = h.emulator.requests as EmulatorRequest[];
    copy.pop();
    expect(h.emulator.requests).toHaveLength(1);
    expect(Object.isFrozen(h.emulator.requests[0])).toBe(true);
  });
});

describe('CORS', () => {
  it('answers a preflight with the allowed origin, methods and headers', async () => {
    const response = await fetch(h.conversationUrl(), {
      method: 'OPTIONS',
      headers: {
        Origin: 'http://localhost:5173',
        'Access-Control-Request-Method': 'GET',
        'Access-Control-Request-Headers': 'authorization,x-crisp-tier',
      },
    });
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBe('*');
    expect(response.headers.get('access-control-allow-methods')).toContain('PATCH');
    expect(response.headers.get('access-control-allow-headers')).toBe(
      'Authorization, X-Crisp-Tier, Content-Type',
    );
  });

  it('adds Access-Control-Allow-Origin to answers, errors included', async () => {
    expect((await h.get()).headers.get('access-control-allow-origin')).toBe('*');
    expect((await h.get({ headers: {} })).headers.get('access-control-allow-origin')).toBe('*');
  });

  it('adds no CORS headers when cors is false', async () => {
    await h.emulator.close();
    h = await startHarness({ cors: false });
    expect((await h.get()).headers.get('access-control-allow-origin')).toBeNull();
    const preflight = await fetch(h.conversationUrl(), { method: 'OPTIONS' });
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('close', () => {
  it('resolves promptly while a keep-alive connection is open', async () => {
    const agent = new Agent({ keepAlive: true });
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(h.conversationUrl(), { agent, headers: h.headers() }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(200);
    expect(Object.keys(agent.freeSockets)).toHaveLength(1);
    const started = performance.now();
    await h.emulator.close();
    expect(performance.now() - started).toBeLessThan(1000);
    agent.destroy();
  });

  it('resolves promptly with a hung request, which then fails', async () => {
    h.emulator.fault({ type: 'hang' });
    const pending = h.get();
    pending.catch(() => {});
    // Give the request time to reach the server; a hung request is logged only when it ends.
    await new Promise((resolve) => setTimeout(resolve, 100));
    const started = performance.now();
    await h.emulator.close();
    expect(performance.now() - started).toBeLessThan(1000);
    await expect(pending).rejects.toThrow();
  });

  it('is idempotent', async () => {
    await h.emulator.close();
    await expect(h.emulator.close()).resolves.toBeUndefined();
  });
});
