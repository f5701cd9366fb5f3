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
  });
});
