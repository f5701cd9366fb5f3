// @vitest-environment happy-dom
import { createFakeCrisp } from '@crisp-unread/testing';
import { firstValueFrom } from 'rxjs';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { crispEvents } from '../crispEvents';

/** A fresh page-like host per test, so the per-page multiplexer does not leak between tests. */
let host: Record<string, unknown>;
beforeEach(() => {
  host = {};
});
afterEach(() => {
  vi.useRealTimers();
});

describe('crispEvents', () => {
  it('is one multiplexer per page', () => {
    expect(crispEvents({ target: host })).toBe(crispEvents({ target: host }));
    expect(crispEvents({ target: {} })).not.toBe(crispEvents({ target: host }));
  });

  it('queues its handlers before Crisp loads and fans each event out to every listener', () => {
    const fake = createFakeCrisp(host);
    fake.install();
    const events = crispEvents({ target: host });
    const ours = vi.fn();
    const app = vi.fn();
    events.on('message:received', ours);
    events.on('message:received', app);
    expect(fake.handlers.size).toBe(0);
    fake.load();
    expect(fake.handlers.has('message:received')).toBe(true);
    fake.operatorSends(1);
    expect(ours).toHaveBeenCalledTimes(1);
    expect(app).toHaveBeenCalledTimes(1);
  });

  it('registers directly once Crisp has loaded', () => {
    const fake = createFakeCrisp(host);
    fake.install();
    fake.load();
    const events = crispEvents({ target: host });
    const listener = vi.fn();
    events.on('chat:opened', listener);
    fake.openChat();
    expect(listener).toHaveBeenCalledTimes(1);
  });

  it('owns each event once, however many listeners come and go', () => {
    const fake = createFakeCrisp(host);
    fake.install();
    fake.load();
    const events = crispEvents({ target: host });
    const push = vi.spyOn(host.$crisp as { push: (...args: unknown[]) => unknown }, 'push');
    const offs = Array.from({ length: 5 }, () => events.on('message:received', () => {}));
    for (const off of offs) off();
    events.on('message:received', () => {});
    expect(push.mock.calls.filter(([command]) => (command as unknown[])[0] === 'on')).toHaveLength(
      1,
    );
  });

  it('stops calling a listener after it unsubscribes', () => {
    const fake = createFakeCrisp(host);
    fake.install();
    fake.load();
    const events = crispEvents({ target: host });
    const stays = vi.fn();
    const leaves = vi.fn();
    events.on('message:received', stays);
    const off = events.on('message:received', leaves);
    off();
    fake.operatorSends(2);
    expect(stays).toHaveBeenCalledTimes(2);
    expect(leaves).not.toHaveBeenCalled();
  });

  it('waits for the snippet when $crisp does not exist yet', () => {
    vi.useFakeTimers();
    const events = crispEvents({ target: host });
    const listener = vi.fn();
    const off = events.on('message:received', listener);
    const fake = createFakeCrisp(host);
    fake.install();
    vi.advanceTimersByTime(250);
    fake.load();
    fake.operatorSends(1);
    expect(listener).toHaveBeenCalledTimes(1);
    off();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('takes in a handler another script registers directly without a warning in a production build', () => {
    vi.stubEnv('NODE_ENV', 'production');
    try {
      const warn = vi.fn();
      const fake = createFakeCrisp(host);
      fake.install();
      fake.load();
      const events = crispEvents({ target: host, warn });
      events.on('message:received', vi.fn());
      const theirs = vi.fn();
      (host.$crisp as { push: (command: unknown[]) => void }).push([
        'on',
        'message:received',
        theirs,
      ]);
      fake.operatorSends(1);
      expect(theirs).toHaveBeenCalledTimes(1);
      expect(warn).not.toHaveBeenCalled();
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it('takes in a handler another script registers directly, and warns', () => {
    const warn = vi.fn();
    const fake = createFakeCrisp(host);
    fake.install();
    fake.load();
    const events = crispEvents({ target: host, warn });
    const ours = vi.fn();
    events.on('message:received', ours);
    const theirs = vi.fn();
    (host.$crisp as { push: (command: unknown[]) => void }).push([
      'on',
      'message:received',
      theirs,
    ]);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn.mock.calls[0]![0]).toMatch(/crispEvents\(\)\.on\("message:received"/);
    fake.operatorSends(1);
    expect(ours).toHaveBeenCalledTimes(1);
    expect(theirs).toHaveBeenCalledTimes(1);
    (host.$crisp as { push: (command: unknown[]) => void }).push(['off', 'message:received']);
    fake.operatorSends(1);
    expect(ours).toHaveBeenCalledTimes(2);
    expect(theirs).toHaveBeenCalledTimes(1);
  });

  it('protects its handler when another script registers before Crisp loads', () => {
    const warn = vi.fn();
    const fake = createFakeCrisp(host);
    fake.install();
    const events = crispEvents({ target: host, warn });
    const ours = vi.fn();
    events.on('message:received', ours);
    const theirs = vi.fn();
    (host.$crisp as unknown[]).push(['on', 'message:received', theirs]);
    fake.load();
    fake.operatorSends(1);
    expect(ours).toHaveBeenCalledTimes(1);
    expect(theirs).toHaveBeenCalledTimes(1);
    expect(warn).toHaveBeenCalledTimes(1);
  });

  it('leaves commands for events it does not own alone', () => {
    const warn = vi.fn();
    const fake = createFakeCrisp(host);
    fake.install();
    fake.load();
    crispEvents({ target: host, warn }).on('message:received', () => {});
    const theirs = vi.fn();
    (host.$crisp as { push: (command: unknown[]) => void }).push(['on', 'chat:opened', theirs]);
    fake.openChat();
    expect(theirs).toHaveBeenCalledTimes(1);
    expect(warn).not.toHaveBeenCalled();
  });

  it('keeps other listeners running when one throws', async () => {
    const fake = createFakeCrisp(host);
    fake.install();
    fake.load();
    const events = crispEvents({ target: host });
    const after = vi.fn();
    const errors: unknown[] = [];
    const onError = (event: ErrorEvent) => {
      errors.push(event.error);
      event.preventDefault();
    };
    window.addEventListener('error', onError);
    events.on('message:received', () => {
      throw new Error('listener bug');
    });
    events.on('message:received', after);
    const unhandled = vi.fn();
    process.on('uncaughtException', unhandled);
    try {
      fake.operatorSends(1);
      expect(after).toHaveBeenCalledTimes(1);
      await new Promise((resolve) => setTimeout(resolve, 0));
    } finally {
      process.off('uncaughtException', unhandled);
      window.removeEventListener('error', onError);
    }
    expect(errors.length + unhandled.mock.calls.length).toBe(1);
  });

  it('never calls get before load, and answers undefined there', () => {
    const fake = createFakeCrisp(host);
    fake.install();
    const events = crispEvents({ target: host });
    expect(events.isLoaded()).toBe(false);
    expect(events.get('chat:unread:count')).toBeUndefined();
    fake.load();
    expect(events.isLoaded()).toBe(true);
    expect(events.get('chat:unread:count')).toBe(0);
  });

  it('tells the session: null before session:loaded, then its id', async () => {
    const fake = createFakeCrisp(host);
    fake.install();
    const events = crispEvents({ target: host });
    const seen: (string | null)[] = [];
    const subscription = events.session$.subscribe((id) => seen.push(id));
    fake.load({ sessionId: 'session_700c65e1-85e2-465a-b9ac-ecb5ec2c9881' });
    expect(seen).toEqual([null, 'session_700c65e1-85e2-465a-b9ac-ecb5ec2c9881']);
    subscription.unsubscribe();
    expect(await firstValueFrom(events.session$)).toBe(
      'session_700c65e1-85e2-465a-b9ac-ecb5ec2c9881',
    );
  });

  it('finds the session of a chatbox that loaded before anyone listened', async () => {
    const fake = createFakeCrisp(host);
    fake.install();
    fake.load({ sessionId: 'session_1b2c3d4e-0000-4000-8000-000000000001' });
    expect(await firstValueFrom(crispEvents({ target: host }).session$)).toBe(
      'session_1b2c3d4e-0000-4000-8000-000000000001',
    );
  });
});
