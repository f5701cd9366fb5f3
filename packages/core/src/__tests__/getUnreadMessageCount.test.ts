import type { CrispEmulator, EmulatedWebsite, Fault } from '@crisp-unread/testing';
import { describe, expect, it } from 'vitest';
import { isUnreadError } from '../errors';
import { type GetUnreadMessageCountOptions, getUnreadMessageCount } from '../getUnreadMessageCount';
import { conversation, useEmulator } from './emulator';

let emulator: CrispEmulator;
let website: EmulatedWebsite;
useEmulator((started) => {
  ({ emulator, website } = started);
});

const count = (options: Partial<GetUnreadMessageCountOptions>) =>
  getUnreadMessageCount({ ...emulator.restOptions(website), timeoutMs: 2000, ...options });

describe('getUnreadMessageCount', () => {
  it('answers null without a request when there is no session', async () => {
    expect(await count({ sessionId: null })).toBeNull();
    expect(await count({})).toBeNull();
    expect(emulator.requests).toHaveLength(0);
  });

  it('answers the visitor unread count', async () => {
    const sessionId = emulator.createSession(website.websiteId, { unread: 1 });
    emulator.operatorSends(website.websiteId, sessionId, 2);
    expect(await count({ sessionId })).toBe(3);
    expect(emulator.requests).toEqual([
      expect.objectContaining({ sessionId, status: 200, tier: 'plugin' }),
    ]);
  });

  it('answers 0 for a conversation without unread', async () => {
    const sessionId = emulator.createSession(website.websiteId, { omitUnread: true });
    expect(await count({ sessionId })).toBe(0);
  });

  const failures: [string, Fault, Partial<GetUnreadMessageCountOptions>?][] = [
    ['420', { type: 'rate-limit', status: 420 }],
    ['420 with Retry-After', { type: 'rate-limit', status: 420, retryAfter: 5 }],
    ['429', { type: 'rate-limit', status: 429 }],
    ['429 with Retry-After seconds', { type: 'rate-limit', status: 429, retryAfter: 5 }],
    [
      '429 with a Retry-After date',
      { type: 'rate-limit', status: 429, retryAfter: new Date(Date.now() + 60_000).toUTCString() },
    ],
    ['500', { type: 'server-error' }],
    ['503', { type: 'server-error', status: 503 }],
    ['502 html', { type: 'html' }],
    ['200 html', { type: 'html', status: 200 }],
    ['truncated json', { type: 'truncated-json' }],
    ['a dropped connection', { type: 'drop' }],
    ['a hang past the timeout', { type: 'hang' }, { timeoutMs: 150 }],
    ['unread.visitor -1', { type: 'body', body: conversation({ visitor: -1 }) }],
    ['unread.visitor 1.5', { type: 'body', body: conversation({ visitor: 1.5 }) }],
    ['unread.visitor "2"', { type: 'body', body: conversation({ visitor: '2' }) }],
    ['unread.visitor 2^53', { type: 'body', body: conversation({ visitor: 2 ** 53 }) }],
    ['unread "2"', { type: 'body', body: conversation('2') }],
    ['null data', { type: 'body', body: { error: false, reason: 'resolved', data: null } }],
    ['no data', { type: 'body', body: { error: false, reason: 'resolved' } }],
    ['error: true with status 200', { type: 'body', body: { error: true, reason: 'x', data: {} } }],
    ['a JSON array', { type: 'body', body: [1, 2, 3] }],
    ['a JSON string', { type: 'body', body: '2' }],
    ['a JSON number', { type: 'body', body: 2 }],
    ['400 with a conversation', { type: 'body', status: 400, body: conversation({ visitor: 2 }) }],
    ['418', { type: 'server-error', status: 418 }],
  ];

  it.each(failures)('answers null, never rejects, for %s', async (_name, fault, options) => {
    const sessionId = emulator.createSession(website.websiteId, { unread: 2 });
    emulator.fault(fault, { times: 1 });
    await expect(count({ sessionId, ...options })).resolves.toBeNull();
    expect(emulator.requestCount({ sessionId })).toBeLessThanOrEqual(1);
  });

  it('answers null, never rejects, for 401 (wrong key)', async () => {
    const sessionId = emulator.createSession(website.websiteId, { unread: 2 });
    await expect(count({ sessionId, key: 'wrong-key-123' })).resolves.toBeNull();
    expect(emulator.requests).toEqual([expect.objectContaining({ status: 401 })]);
  });

  it('answers null, never rejects, for 403 (wrong tier)', async () => {
    const sessionId = emulator.createSession(website.websiteId, { unread: 2 });
    await expect(count({ sessionId, tier: 'website' })).resolves.toBeNull();
    expect(emulator.requests).toEqual([expect.objectContaining({ status: 403 })]);
  });

  it('answers null, never rejects, for 404 (unknown and deleted sessions)', async () => {
    const sessionId = emulator.createSession(website.websiteId, { unread: 2 });
    expect(await count({ sessionId })).toBe(2);
    emulator.deleteSession(website.websiteId, sessionId);
    await expect(count({ sessionId })).resolves.toBeNull();
    await expect(
      count({ sessionId: 'session_00000000-0000-4000-8000-000000000000' }),
    ).resolves.toBeNull();
    expect(emulator.requestCount({ status: 404 })).toBe(2);
  });

  // The Flutter plugin reads a count from HTTP 200 only ("any other status -> null").
  it.each([201, 202, 203, 206])(
    'answers null for HTTP %i, even with a conversation body',
    async (status) => {
      const sessionId = emulator.createSession(website.websiteId, { unread: 2 });
      emulator.fault({ type: 'body', status, body: conversation({ visitor: 2 }) }, { times: 1 });
      await expect(count({ sessionId })).resolves.toBeNull();
    },
  );

  it('answers null for a connection refused', async () => {
    const sessionId = emulator.createSession(website.websiteId);
    await expect(count({ sessionId, baseUrl: 'http://127.0.0.1:1' })).resolves.toBeNull();
  });

  it.each([
    '',
    ' ',
    'session_../../admin',
    'session_700c65e1-85e2-465a-b9ac-ecb5ec2c9881/../x',
    'session_700c65e1-85e2-465a-b9ac-ecb5ec2c9881?a=1',
    'session_700c65e1-85e2-465a-b9ac-ecb5ec2c9881%2Fread',
    '700c65e1-85e2-465a-b9ac-ecb5ec2c9881',
  ])('answers null without a request for the malformed session id %j', async (sessionId) => {
    await expect(count({ sessionId })).resolves.toBeNull();
    expect(emulator.requests).toHaveLength(0);
  });

  it.each([
    ['a websiteId that is not a UUID', { websiteId: 'nope' }],
    ['an empty key', { key: '' }],
    ['a bad tier', { tier: 'root' as never }],
  ])('rejects misconfigured without a request for %s', async (_name, options) => {
    const sessionId = emulator.createSession(website.websiteId);
    const error = await count({ sessionId, ...options }).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(isUnreadError(error)).toBe(true);
    expect(error).toMatchObject({ code: 'misconfigured' });
    expect(emulator.requests).toHaveLength(0);
  });

  it('answers null for an already aborted signal without a request', async () => {
    const sessionId = emulator.createSession(website.websiteId, { unread: 2 });
    const controller = new AbortController();
    controller.abort();
    await expect(count({ sessionId, signal: controller.signal })).resolves.toBeNull();
    expect(emulator.requests).toHaveLength(0);
  });

  it('answers null when the signal aborts a request in flight', async () => {
    const sessionId = emulator.createSession(website.websiteId, { unread: 2 });
    emulator.fault({ type: 'hang' }, { times: 1 });
    const controller = new AbortController();
    const pending = count({ sessionId, signal: controller.signal, timeoutMs: 60_000 });
    setTimeout(() => controller.abort(), 50);
    await expect(pending).resolves.toBeNull();
  });
});
