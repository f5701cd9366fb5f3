// @vitest-environment happy-dom
// @vitest-environment-options {"settings":{"disableJavaScriptFileLoading":true,"handleDisabledFileLoadingAsSuccess":true}}
import { CrispClass } from 'crisp-sdk-web';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createFakeCrisp, type FakeCrisp } from '../fakeCrisp.js';

// The official browser SDK, driven against the fake chatbox as an app would drive it against
// Crisp's script. happy-dom loads no script file here: the tag configure() injects stays inert, and
// fake.load() plays the script arriving.

const websiteId = '8c842203-7ed8-4e29-a608-7cf78a7d2fcc';
const sessionId = 'session_700c65e1-85e2-465a-b9ac-ecb5ec2c9881';

let crisp: CrispClass;
let fake: FakeCrisp;

beforeEach(() => {
  delete (window as { $crisp?: unknown }).$crisp;
  crisp = new CrispClass();
  fake = createFakeCrisp(window);
});

afterEach(() => {
  delete (window as { $crisp?: unknown }).$crisp;
  for (const script of document.querySelectorAll('script')) script.remove();
});

describe('crisp-sdk-web on the fake chatbox', () => {
  it('queues before the script loads, then everything it queued takes effect in order', () => {
    // A loopback address that is never fetched: happy-dom loads no script file.
    crisp.configure(websiteId, { clientUrl: 'http://127.0.0.1:9/l.js' });
    expect(document.querySelector('script')?.getAttribute('src')).toBe('http://127.0.0.1:9/l.js');
    // Crisp's own quirk: after configure(), reading before the script loaded throws.
    expect(() => crisp.chat.unreadCount()).toThrow(TypeError);

    const loaded = vi.fn();
    const firstReceived = vi.fn();
    const received = vi.fn();
    crisp.session.onLoaded(loaded);
    crisp.message.onMessageReceived(firstReceived);
    crisp.message.onMessageReceived(received);
    crisp.user.setEmail('visitor@example.com');
    crisp.user.setNickname('Ann');
    crisp.session.setData({ plan: 'pro', seats: 3, ignored: { nested: true } });
    expect(Array.isArray(window.$crisp)).toBe(true);

    fake.load({ sessionId });
    expect(loaded).toHaveBeenCalledWith(sessionId);
    expect(crisp.session.getIdentifier()).toBe(sessionId);
    expect(crisp.user.getEmail()).toBe('visitor@example.com');
    expect(crisp.user.getNickname()).toBe('Ann');
    expect(crisp.session.getData('plan')).toBe('pro');
    expect(crisp.session.getData('seats')).toBe(3);
    expect(crisp.session.getData('ignored')).toBeUndefined();

    fake.operatorSends(2);
    expect(firstReceived).not.toHaveBeenCalled();
    expect(received).toHaveBeenCalledTimes(2);
    expect(crisp.chat.unreadCount()).toBe(2);
  });

  it('reads and drives the chat state: visible, opened, unread count, mark as read', () => {
    fake.install();
    fake.load({ sessionId });
    const opened = vi.fn();
    const closed = vi.fn();
    crisp.chat.onChatOpened(opened);
    crisp.chat.onChatClosed(closed);
    expect(crisp.chat.isVisible()).toBe(true);
    crisp.chat.hide();
    expect(crisp.chat.isVisible()).toBe(false);
    crisp.chat.show();
    expect(crisp.chat.isVisible()).toBe(true);

    fake.operatorSends(3);
    expect(crisp.chat.unreadCount()).toBe(3);
    crisp.message.markAsRead();
    expect(crisp.chat.unreadCount()).toBe(0);
    expect(fake.actions).toContainEqual(['do', 'message:read']);

    fake.operatorSends(1);
    crisp.chat.open();
    expect(opened).toHaveBeenCalledTimes(1);
    expect(crisp.chat.isChatOpened()).toBe(true);
    expect(crisp.chat.unreadCount()).toBe(0);
    crisp.chat.close();
    expect(closed).toHaveBeenCalledTimes(1);
    expect(crisp.chat.isChatOpened()).toBe(false);
  });

  it('fires message:sent for sendText, and the sdk off() removes the one callback', () => {
    fake.install();
    fake.load({ sessionId });
    const sent = vi.fn();
    crisp.message.onMessageSent(sent);
    crisp.message.sendText('Hello');
    expect(sent).toHaveBeenCalledWith(
      expect.objectContaining({ type: 'text', content: 'Hello', from: 'user' }),
    );
    crisp.message.offMessageSent();
    crisp.message.sendText('Again');
    expect(sent).toHaveBeenCalledTimes(1);
  });

  it('session.reset() starts a new session announced by session:loaded', () => {
    fake.install();
    fake.load({ sessionId });
    const loaded = vi.fn();
    crisp.session.onLoaded(loaded);
    crisp.user.setEmail('visitor@example.com');
    fake.operatorSends(2);
    crisp.session.reset();
    expect(loaded).toHaveBeenCalledTimes(1);
    const next = loaded.mock.calls[0]![0];
    expect(next).not.toBe(sessionId);
    expect(crisp.session.getIdentifier()).toBe(next);
    expect(crisp.user.getEmail()).toBeNull();
    expect(crisp.chat.unreadCount()).toBe(0);
  });
});
