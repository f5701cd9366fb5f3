// @vitest-environment happy-dom
import type { CrispEmulator, EmulatedWebsite } from '@crisp-unread/testing';
import { describe, expect, it } from 'vitest';
import { crispRest } from '../crispRest';
import { isUnreadError } from '../errors';
import { useEmulator } from './emulator';

let emulator: CrispEmulator;
let website: EmulatedWebsite;
useEmulator((started) => {
  ({ emulator, website } = started);
});

const context = () => ({ signal: new AbortController().signal });

describe('crispRest in a browser', () => {
  it('runs in a page (window and document exist)', () => {
    expect(typeof window).toBe('object');
    expect(typeof document).toBe('object');
  });

  it('throws misconfigured, pointing to the relay and never naming the key', () => {
    let caught: unknown;
    try {
      crispRest(emulator.restOptions(website));
    } catch (error) {
      caught = error;
    }
    expect(isUnreadError(caught)).toBe(true);
    const error = caught as Error & { code: string };
    expect(error.code).toBe('misconfigured');
    expect(error.message).toMatch(/relay/i);
    expect(error.message).toContain('dangerouslyAllowBrowser');
    expect(error.message).not.toContain(website.key);
    expect(JSON.stringify(error)).not.toContain(website.key);
    expect(emulator.requests).toHaveLength(0);
  });

  it('throws misconfigured for dangerouslyAllowBrowser values other than true', () => {
    for (const value of [false, 'true', 1, undefined]) {
      const options = {
        ...emulator.restOptions(website),
        dangerouslyAllowBrowser: value as boolean,
      };
      expect(() => crispRest(options)).toThrow(/relay/);
    }
  });

  it("reads from the emulator with dangerouslyAllowBrowser: true through the page's fetch", async () => {
    const sessionId = emulator.createSession(website.websiteId, { unread: 2 });
    const source = crispRest({ ...emulator.restOptions(website), dangerouslyAllowBrowser: true });
    expect(await source.read(sessionId, context())).toBe(2);
    expect(emulator.requests).toEqual([
      expect.objectContaining({
        method: 'GET',
        sessionId,
        status: 200,
        tier: 'plugin',
        authorized: true,
      }),
    ]);
  });

  it('maps failures the same way in a page (401, 404)', async () => {
    const sessionId = emulator.createSession(website.websiteId);
    const wrongKey = crispRest({
      ...emulator.restOptions(website),
      key: 'wrong-key-123',
      dangerouslyAllowBrowser: true,
    });
    await expect(wrongKey.read(sessionId, context())).rejects.toMatchObject({
      code: 'unauthorized',
      status: 401,
    });
    emulator.deleteSession(website.websiteId, sessionId);
    const source = crispRest({ ...emulator.restOptions(website), dangerouslyAllowBrowser: true });
    await expect(source.read(sessionId, context())).rejects.toMatchObject({
      code: 'session-not-found',
    });
  });

  it('marks as read with dangerouslyAllowBrowser: true', async () => {
    const sessionId = emulator.createSession(website.websiteId, { unread: 4 });
    const source = crispRest({ ...emulator.restOptions(website), dangerouslyAllowBrowser: true });
    await source.markAsRead(sessionId, context());
    expect(emulator.unreadOf(website.websiteId, sessionId)).toBe(0);
  });
});
