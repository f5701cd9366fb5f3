// @vitest-environment happy-dom
// The app registers its own chatbox handlers the two official ways — Crisp's snippet
// (`$crisp.push(["on", …])`) and `crisp-sdk-web` (`Crisp.message.onMessageReceived(…)`) — before
// and after a store on the chatbox starts, before and after Crisp's script loads. Every handler
// the app has registered last must keep running beside the store.
import { createFakeCrisp, type FakeCrisp } from '@crisp-unread/testing';
import { QueryClient } from '@tanstack/query-core';
import { Crisp } from 'crisp-sdk-web';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createUnreadStore } from '../createUnreadStore';
import { crispChatbox } from '../crispChatbox';
import { crispEvents } from '../crispEvents';
import type { UnreadStore } from '../types';

const sessionId = 'session_700c65e1-85e2-465a-b9ac-ecb5ec2c9881';
type Page = { $crisp?: unknown } & Record<symbol, unknown>;
const page = window as unknown as Page;
let fake: FakeCrisp;
let client: QueryClient;
const warn = vi.fn();
const cleanups: (() => void)[] = [];

beforeEach(() => {
  // One page per test: no `$crisp` yet, no multiplexer.
  delete page.$crisp;
  delete page[Symbol.for('crisp-unread.crispEvents')];
  // The multiplexer is per page: give this page's the test's `warn` before anything creates it.
  crispEvents({ warn });
  warn.mockClear();
  // `autoload: false`: the test plays Crisp's script (`fake.load()`) instead of injecting it.
  Crisp.configure('7a1f5a3e-0000-4000-8000-000000000001', { autoload: false });
  fake = createFakeCrisp(window);
  client = new QueryClient();
});

afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
  client.clear();
});

/** A store on the page's chatbox, subscribed until the test ends. */
function startStore(): UnreadStore {
  const store = createUnreadStore({ source: crispChatbox(), queryClient: client });
  const subscription = store.state$.subscribe(() => {});
  cleanups.push(() => {
    subscription.unsubscribe();
    store.dispose();
  });
  return store;
}

/** Crisp's snippet in the page's <head>: the queue. */
const snippet = () => {
  page.$crisp = [];
};
const pushed = (...command: unknown[]) =>
  (page.$crisp as { push(c: unknown[]): void }).push(command);

describe('the app’s own chatbox handlers beside a store', () => {
  it('keeps a handler the snippet queued before the store started, across the load', () => {
    snippet();
    const app = vi.fn();
    pushed('on', 'message:received', app);
    const store = startStore();
    fake.load({ sessionId });
    fake.operatorSends(2);
    expect(app).toHaveBeenCalledTimes(2);
    expect(store.getSnapshot()).toMatchObject({ count: 2, status: 'ready', sessionId });
  });

  it('keeps a crisp-sdk-web handler registered at start-up, before the store started', () => {
    const app = vi.fn();
    Crisp.message.onMessageReceived(app);
    const store = startStore();
    fake.load({ sessionId });
    fake.operatorSends(1);
    expect(app).toHaveBeenCalledTimes(1);
    expect(store.getSnapshot()).toMatchObject({ count: 1, status: 'ready' });
  });

  it('keeps a crisp-sdk-web handler registered after the store started, before and after load', () => {
    Crisp.message.onMessageReceived(() => {});
    const store = startStore();
    const beforeLoad = vi.fn();
    Crisp.message.onMessageReceived(beforeLoad);
    fake.load({ sessionId });
    fake.operatorSends(1);
    expect(beforeLoad).toHaveBeenCalledTimes(1);

    // crisp-sdk-web replaces its handler (`off`, then `on`): only the latest runs, as in Crisp.
    const afterLoad = vi.fn();
    Crisp.message.onMessageReceived(afterLoad);
    fake.operatorSends(1);
    expect(beforeLoad).toHaveBeenCalledTimes(1);
    expect(afterLoad).toHaveBeenCalledTimes(1);
    Crisp.message.offMessageReceived();
    fake.operatorSends(1);
    expect(afterLoad).toHaveBeenCalledTimes(1);
    expect(store.getSnapshot()).toMatchObject({ count: 3, status: 'ready' });
  });

  it('honours an `off` queued after the `on`, by the snippet and by crisp-sdk-web', () => {
    snippet();
    const viaSnippet = vi.fn();
    pushed('on', 'chat:opened', viaSnippet);
    pushed('off', 'chat:opened');
    const viaSdk = vi.fn();
    Crisp.message.onMessageReceived(viaSdk);
    Crisp.message.offMessageReceived();
    const store = startStore();
    fake.load({ sessionId });
    fake.operatorSends(2);
    fake.openChat();
    expect(viaSnippet).not.toHaveBeenCalled();
    expect(viaSdk).not.toHaveBeenCalled();
    expect(store.getSnapshot()).toMatchObject({ count: 0, status: 'ready' });
  });

  it('keeps a handler Crisp already runs when a store comes to own its event later', () => {
    // The source exists (its multiplexer watches `$crisp`) but no store runs yet.
    const source = crispChatbox();
    const app = vi.fn();
    Crisp.chat.onChatOpened(app);
    fake.load({ sessionId });
    fake.operatorSends(1);
    // Crisp has replayed the queue into its API: the app's handler is Crisp's own now.
    expect(fake.handlers.get('chat:opened')).toBe(app);
    const store = createUnreadStore({ source, queryClient: client });
    const subscription = store.state$.subscribe(() => {});
    cleanups.push(() => subscription.unsubscribe());
    fake.openChat();
    expect(app).toHaveBeenCalledTimes(1);
    expect(store.getSnapshot()).toMatchObject({ count: 0, status: 'ready' });
  });

  it('keeps a handler pushed to the loaded API before the multiplexer owned the event', () => {
    fake.install();
    const events = crispEvents();
    events.on('message:received', () => {});
    fake.load({ sessionId });
    const app = vi.fn();
    Crisp.chat.onChatClosed(app);
    const ours = vi.fn();
    events.on('chat:closed', ours);
    fake.closeChat();
    expect(app).toHaveBeenCalledTimes(1);
    expect(ours).toHaveBeenCalledTimes(1);
  });

  it('warns once per event in development, not at every crisp-sdk-web re-registration', () => {
    startStore();
    fake.load({ sessionId });
    for (let i = 0; i < 3; i++) Crisp.message.onMessageReceived(() => {});
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn.mock.calls[0]![0]).toContain('"message:received"');
  });
});
