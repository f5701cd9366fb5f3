import { runInNewContext } from 'node:vm';
import { describe, expect, it, vi } from 'vitest';
import { createFakeCrisp, fakeCrispScript } from '../fakeCrisp';

type Crisp = {
  push(...commands: unknown[]): unknown;
  get(key: string): unknown;
  is(key: string): unknown;
};

describe('createFakeCrisp', () => {
  it('is a plain queue before load: get and is throw, as with Crisp', () => {
    const host: { $crisp?: unknown } = {};
    const fake = createFakeCrisp(host);
    fake.install();
    expect(Array.isArray(host.$crisp)).toBe(true);
    expect(() => (host.$crisp as Crisp).get('chat:unread:count')).toThrow(TypeError);
    expect(() => (host.$crisp as Crisp).is('chat:opened')).toThrow(TypeError);
  });

  it('does not replace a $crisp the page already has', () => {
    const queue = [['set', 'user:email', 'a@b.c']];
    const host: { $crisp?: unknown } = { $crisp: queue };
    createFakeCrisp(host).install();
    expect(host.$crisp).toBe(queue);
  });

  it('runs queued commands in order on load, then fires session:loaded with the session id', () => {
    const host: { $crisp?: unknown } = {};
    const fake = createFakeCrisp(host);
    fake.install();
    const loaded = vi.fn();
    (host.$crisp as unknown[]).push(['on', 'session:loaded', loaded]);
    (host.$crisp as unknown[]).push(['do', 'chat:open']);
    expect(loaded).not.toHaveBeenCalled();
    fake.load({ sessionId: 'session_700c65e1-85e2-465a-b9ac-ecb5ec2c9881' });
    expect(loaded).toHaveBeenCalledWith('session_700c65e1-85e2-465a-b9ac-ecb5ec2c9881');
    expect(fake.chatOpen).toBe(true);
    expect((host.$crisp as Crisp).get('session:identifier')).toBe(
      'session_700c65e1-85e2-465a-b9ac-ecb5ec2c9881',
    );
    expect((host.$crisp as Crisp).is('chat:opened')).toBe(true);
  });

  it('keeps one callback per event: on replaces, off removes', () => {
    const host: { $crisp?: unknown } = {};
    const fake = createFakeCrisp(host);
    fake.install();
    fake.load();
    const first = vi.fn();
    const second = vi.fn();
    const crisp = host.$crisp as Crisp;
    crisp.push(['on', 'message:received', first]);
    crisp.push(['on', 'message:received', second]);
    fake.operatorSends(1);
    expect(first).not.toHaveBeenCalled();
    expect(second).toHaveBeenCalledTimes(1);
    crisp.push(['off', 'message:received']);
    fake.operatorSends(1);
    expect(second).toHaveBeenCalledTimes(1);
  });

  it('counts unread operator messages until the chat opens or they are marked read', () => {
    const host: { $crisp?: unknown } = {};
    const fake = createFakeCrisp(host);
    fake.install();
    fake.load();
    const crisp = host.$crisp as Crisp;
    fake.operatorSends(2);
    expect(crisp.get('chat:unread:count')).toBe(2);
    fake.openChat();
    expect(crisp.get('chat:unread:count')).toBe(0);
    fake.operatorSends(1);
    expect(crisp.get('chat:unread:count')).toBe(0);
    fake.closeChat();
    fake.operatorSends(3);
    crisp.push(['do', 'message:read']);
    expect(crisp.get('chat:unread:count')).toBe(0);
    expect(fake.actions).toEqual([['do', 'message:read']]);
  });
});

describe('createFakeCrisp: the commands crisp-sdk-web sends', () => {
  function loadedFake(sessionId?: string) {
    const host: { $crisp?: unknown } = {};
    const fake = createFakeCrisp(host);
    fake.install();
    fake.load(sessionId === undefined ? {} : { sessionId });
    return { fake, crisp: host.$crisp as Crisp & { get(key: string, arg?: string): unknown } };
  }

  it('replays the queue in order, on and off included: the last on wins, a later off removes', () => {
    const host: { $crisp?: unknown } = {};
    const fake = createFakeCrisp(host);
    fake.install();
    const appReceived = vi.fn();
    const libraryReceived = vi.fn();
    const opened = vi.fn();
    const loaded = vi.fn();
    const seenAtLoad: unknown[] = [];
    (host.$crisp as unknown[]).push(
      ['on', 'message:received', appReceived],
      ['on', 'chat:opened', opened],
      ['set', 'user:email', ['visitor@example.com']],
    );
    (host.$crisp as unknown[]).push(['off', 'message:received']);
    (host.$crisp as unknown[]).push(['on', 'message:received', libraryReceived]);
    (host.$crisp as unknown[]).push(['off', 'chat:opened']);
    (host.$crisp as unknown[]).push([
      'on',
      'session:loaded',
      (id: string) => {
        seenAtLoad.push(id, (host.$crisp as Crisp).get('user:email'));
        loaded(id);
      },
    ]);
    fake.load({ sessionId: 'session_700c65e1-85e2-465a-b9ac-ecb5ec2c9881' });
    expect(seenAtLoad).toEqual([
      'session_700c65e1-85e2-465a-b9ac-ecb5ec2c9881',
      'visitor@example.com',
    ]);
    fake.operatorSends(1);
    fake.openChat();
    expect(appReceived).not.toHaveBeenCalled();
    expect(libraryReceived).toHaveBeenCalledTimes(1);
    expect(opened).not.toHaveBeenCalled();
    expect([...fake.handlers.keys()].sort()).toEqual(['message:received', 'session:loaded']);
  });

  it('answers the user:* keys it was set', () => {
    const { fake, crisp } = loadedFake();
    expect(crisp.get('user:email')).toBeNull();
    crisp.push(['set', 'user:email', ['visitor@example.com', 'hmac']]);
    crisp.push(['set', 'user:nickname', ['Ann']]);
    crisp.push(['set', 'user:phone', ['+33 1 23 45 67 89']]);
    crisp.push(['set', 'user:avatar', ['https://example.com/a.png']]);
    crisp.push(['set', 'user:company', ['Acme', { url: 'https://acme.test' }]]);
    expect(crisp.get('user:email')).toBe('visitor@example.com');
    expect(crisp.get('user:nickname')).toBe('Ann');
    expect(crisp.get('user:phone')).toBe('+33 1 23 45 67 89');
    expect(crisp.get('user:avatar')).toBe('https://example.com/a.png');
    expect(crisp.get('user:company')).toEqual({ name: 'Acme', url: 'https://acme.test' });
    expect(fake.user.nickname).toBe('Ann');
  });

  it('keeps session:data in both of its forms, session:segments and the composer text', () => {
    const { fake, crisp } = loadedFake();
    crisp.push([
      'set',
      'session:data',
      [
        [
          ['plan', 'pro'],
          ['seats', 3],
        ],
      ],
    ]);
    crisp.push(['set', 'session:data', ['trial', true]]);
    crisp.push(['set', 'session:segments', [['vip']]]);
    crisp.push(['set', 'session:segments', [['beta'], false]]);
    crisp.push(['set', 'message:text', ['draft']]);
    expect(crisp.get('session:data', 'plan')).toBe('pro');
    expect(crisp.get('session:data', 'seats')).toBe(3);
    expect(crisp.get('session:data', 'missing')).toBeUndefined();
    expect(crisp.get('session:data')).toEqual({ plan: 'pro', seats: 3, trial: true });
    expect(crisp.get('session:segments')).toEqual(['vip', 'beta']);
    crisp.push(['set', 'session:segments', [['only'], true]]);
    expect(crisp.get('session:segments')).toEqual(['only']);
    expect(crisp.get('message:text')).toBe('draft');
    expect(fake.sessionData).toEqual({ plan: 'pro', seats: 3, trial: true });
    expect(fake.settings).toHaveLength(6);
  });

  it('answers chat:visible, chat:hidden and chat:opened', () => {
    const { fake, crisp } = loadedFake();
    expect(crisp.is('chat:visible')).toBe(true);
    crisp.push(['do', 'chat:hide']);
    expect([crisp.is('chat:visible'), crisp.is('chat:hidden'), fake.chatVisible]).toEqual([
      false,
      true,
      false,
    ]);
    crisp.push(['do', 'chat:show']);
    expect(crisp.is('chat:visible')).toBe(true);
    crisp.push(['do', 'chat:open']);
    expect(crisp.is('chat:opened')).toBe(true);
    crisp.push(['do', 'chat:close']);
    expect(crisp.is('chat:opened')).toBe(false);
  });

  it('fires message:sent for the visitor messages, sent from the chatbox or by message:send', () => {
    const { fake, crisp } = loadedFake();
    const sent = vi.fn();
    crisp.push(['on', 'message:sent', sent]);
    fake.visitorSends('typed in the chatbox');
    crisp.push(['do', 'message:send', ['text', 'sent by the app']]);
    expect(sent.mock.calls.map(([message]) => message)).toEqual([
      expect.objectContaining({ type: 'text', content: 'typed in the chatbox', from: 'user' }),
      expect.objectContaining({ type: 'text', content: 'sent by the app', from: 'user' }),
    ]);
  });

  it('session:reset starts a new session announced by session:loaded, keeping the callbacks', () => {
    const { fake, crisp } = loadedFake('session_700c65e1-85e2-465a-b9ac-ecb5ec2c9881');
    const loaded = vi.fn();
    const received = vi.fn();
    crisp.push(['on', 'session:loaded', loaded], ['on', 'message:received', received]);
    crisp.push(['set', 'user:email', ['visitor@example.com']]);
    crisp.push(['set', 'session:data', ['plan', 'pro']]);
    fake.operatorSends(2);
    crisp.push(['do', 'session:reset', [false]]);
    expect(loaded).toHaveBeenCalledTimes(1);
    const next = loaded.mock.calls[0]![0];
    expect(next).toMatch(/^session_[0-9a-f-]{36}$/);
    expect(next).not.toBe('session_700c65e1-85e2-465a-b9ac-ecb5ec2c9881');
    expect(crisp.get('session:identifier')).toBe(next);
    expect(crisp.get('chat:unread:count')).toBe(0);
    expect(crisp.get('user:email')).toBeNull();
    expect(crisp.get('session:data')).toEqual({});
    fake.operatorSends(1);
    expect(received).toHaveBeenCalledTimes(3);
    fake.resetSession({ sessionId: 'session_1b2c3d4e-0000-4000-8000-000000000001' });
    expect(loaded).toHaveBeenLastCalledWith('session_1b2c3d4e-0000-4000-8000-000000000001');
  });

  it('ignores a session:reset queued before the script loaded (there is no session yet)', () => {
    const host: { $crisp?: unknown } = {};
    const fake = createFakeCrisp(host);
    fake.install();
    const loaded = vi.fn();
    (host.$crisp as unknown[]).push(['on', 'session:loaded', loaded], ['do', 'session:reset']);
    fake.load({ sessionId: 'session_700c65e1-85e2-465a-b9ac-ecb5ec2c9881' });
    expect(loaded.mock.calls).toEqual([['session_700c65e1-85e2-465a-b9ac-ecb5ec2c9881']]);
  });
});

describe('fakeCrispScript', () => {
  it('plays the snippet and the loader in a page, exposing the control API', async () => {
    const page: Record<string, unknown> = { setTimeout, crypto: globalThis.crypto };
    page.window = page;
    runInNewContext(
      fakeCrispScript({
        sessionId: 'session_1b2c3d4e-0000-4000-8000-000000000001',
        loadDelayMs: 5,
      }),
      page,
    );
    expect(Array.isArray(page.$crisp)).toBe(true);
    const loaded = vi.fn();
    (page.$crisp as unknown[]).push(['on', 'session:loaded', loaded]);
    await vi.waitFor(
      () => expect(loaded).toHaveBeenCalledWith('session_1b2c3d4e-0000-4000-8000-000000000001'),
      { timeout: 15_000 },
    );
    (page.__fakeCrisp as { operatorSends(n: number): void }).operatorSends(2);
    expect((page.$crisp as Crisp).get('chat:unread:count')).toBe(2);
    // The helpers inside createFakeCrisp travel with it as source text.
    (page.$crisp as Crisp).push(['set', 'session:data', ['plan', 'pro']], ['do', 'session:reset']);
    expect((page.$crisp as Crisp).get('session:data')).toEqual({});
    expect(loaded).toHaveBeenCalledTimes(2);
  });
});
