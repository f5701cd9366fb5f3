// @vitest-environment happy-dom
import type { CrispEmulator, EmulatedWebsite } from '@crisp-unread/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { isUnreadError } from '../errors';
import { type GetUnreadMessageCountOptions, getUnreadMessageCount } from '../getUnreadMessageCount';
import { useEmulator } from './emulator';

let emulator: CrispEmulator;
let website: EmulatedWebsite;
useEmulator((started) => {
  ({ emulator, website } = started);
});

type CrispWindow = { $crisp?: unknown };

afterEach(() => {
  delete (window as CrispWindow).$crisp;
});

const count = (options: Partial<GetUnreadMessageCountOptions> = {}) =>
  getUnreadMessageCount({
    ...emulator.restOptions(website),
    dangerouslyAllowBrowser: true,
    timeoutMs: 2000,
    ...options,
  });

/** A minimal loaded chatbox: `$crisp.get` answers the session id and records its keys. */
function loadChatbox(sessionId: string | null) {
  const asked: string[] = [];
  (window as CrispWindow).$crisp = {
    push() {},
    get(key: string) {
      asked.push(key);
      return key === 'session:identifier' ? sessionId : null;
    },
  };
  return asked;
}

describe('getUnreadMessageCount in a browser', () => {
  it("reads the chatbox's session id when sessionId is omitted", async () => {
    const sessionId = emulator.createSession(website.websiteId, { unread: 3 });
    const asked = loadChatbox(sessionId);
    expect(await count()).toBe(3);
    expect(asked).toEqual(['session:identifier']);
    expect(emulator.requests).toEqual([expect.objectContaining({ sessionId, status: 200 })]);
  });

  it('prefers an explicit sessionId over the chatbox, and null over both', async () => {
    const chatboxSession = emulator.createSession(website.websiteId, { unread: 1 });
    const explicit = emulator.createSession(website.websiteId, { unread: 7 });
    loadChatbox(chatboxSession);
    expect(await count({ sessionId: explicit })).toBe(7);
    expect(await count({ sessionId: null })).toBeNull();
    expect(emulator.requests).toHaveLength(1);
  });

  it('answers null without a request when $crisp is absent', async () => {
    expect(await count()).toBeNull();
    expect(emulator.requests).toHaveLength(0);
  });

  it('answers null without a request while $crisp.get throws (Crisp not loaded yet)', async () => {
    (window as CrispWindow).$crisp = [
      /* the queue array Crisp's snippet installs before the script loads */
    ];
    expect(await count()).toBeNull();
    (window as CrispWindow).$crisp = {
      get() {
        throw new TypeError('$crisp.get is not a function');
      },
    };
    expect(await count()).toBeNull();
    expect(emulator.requests).toHaveLength(0);
  });

  it('answers null without a request before session:loaded (null or empty id)', async () => {
    loadChatbox(null);
    expect(await count()).toBeNull();
    loadChatbox('');
    expect(await count()).toBeNull();
    expect(emulator.requests).toHaveLength(0);
  });

  it('answers null without a request for a malformed chatbox session id', async () => {
    loadChatbox('session_../../admin');
    expect(await count()).toBeNull();
    expect(emulator.requests).toHaveLength(0);
  });

  it('rejects misconfigured without dangerouslyAllowBrowser, with no request', async () => {
    const sessionId = emulator.createSession(website.websiteId, { unread: 3 });
    loadChatbox(sessionId);
    const error = await getUnreadMessageCount(emulator.restOptions(website)).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(isUnreadError(error)).toBe(true);
    expect(error).toMatchObject({ code: 'misconfigured' });
    expect((error as Error).message).not.toContain(website.key);
    expect(emulator.requests).toHaveLength(0);
  });

  it('answers null for a failure in a page (500)', async () => {
    const sessionId = emulator.createSession(website.websiteId, { unread: 3 });
    loadChatbox(sessionId);
    emulator.fault({ type: 'server-error' }, { times: 1 });
    expect(await count()).toBeNull();
    expect(await count()).toBe(3);
  });
});
