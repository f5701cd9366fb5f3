// @vitest-environment node
import { createUnreadStore, crispRest } from '@crisp-unread/core';
import { type CrispEmulator, startCrispEmulator } from '@crisp-unread/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createSSRApp, defineComponent, h } from 'vue';
import { renderToString } from 'vue/server-renderer';
import { createUnreadPlugin } from '../createUnreadPlugin';
import { useUnread } from '../useUnread';

let emulator: CrispEmulator;

beforeAll(async () => {
  emulator = await startCrispEmulator();
});

afterAll(async () => {
  await emulator?.close();
});

const Badge = defineComponent({
  setup() {
    const { count, status, isLoading } = useUnread();
    return () =>
      h('p', `count: ${count.value} status: ${status.value} loading: ${isLoading.value}`);
  },
});

describe('useUnread on the server', () => {
  it('renders count: null and starts no request and no timer', async () => {
    const website = emulator.createWebsite();
    const sessionId = emulator.createSession(website.websiteId, { unread: 4 });
    const store = createUnreadStore({
      source: crispRest({ ...emulator.restOptions(website) }),
      sessionId,
      pollIntervalMs: 100,
    });
    const subscribe = vi.spyOn(store, 'subscribe');
    const app = createSSRApp(Badge).use(createUnreadPlugin(store));

    vi.useFakeTimers();
    let html: string;
    try {
      html = await renderToString(app);
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      vi.useRealTimers();
    }

    expect(html).toBe('<p>count: null status: idle loading: false</p>');
    expect(subscribe).not.toHaveBeenCalled();
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(emulator.requestCount()).toBe(0);
    expect(store.getSnapshot().status).toBe('idle');
    store.dispose();
  });
});
