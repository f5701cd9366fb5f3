import { createUnreadStore, type UnreadStore } from '@crisp-unread/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createSSRApp, defineComponent, h } from 'vue';
import { renderToString } from 'vue/server-renderer';
import { createUnreadPlugin } from '../createUnreadPlugin';
import { useUnread } from '../useUnread';
import { scriptedSource, sessionA } from './sources';

const Badge = defineComponent({
  setup() {
    const { count, status } = useUnread();
    return () => h('p', { id: 'badge' }, `count: ${count.value} status: ${status.value}`);
  },
});

const stores: UnreadStore[] = [];
const storeFor = (source: ReturnType<typeof scriptedSource>) => {
  const store = createUnreadStore({
    source,
    sessionId: sessionA,
    pauseWhenHidden: false,
    crossTab: false,
  });
  stores.push(store);
  return store;
};

afterEach(() => {
  for (const store of stores.splice(0)) store.dispose();
  vi.restoreAllMocks();
  document.body.innerHTML = '';
});

describe('useUnread hydration', () => {
  it('hydrates the server HTML without a mismatch, then goes live', async () => {
    const serverSource = scriptedSource(5);
    const html = await renderToString(
      createSSRApp(Badge).use(createUnreadPlugin(storeFor(serverSource))),
    );
    expect(serverSource.calls).toEqual([]);

    const warn = vi.spyOn(console, 'warn');
    const error = vi.spyOn(console, 'error');
    const container = document.createElement('div');
    container.innerHTML = html;
    document.body.append(container);
    const clientSource = scriptedSource(5);
    const app = createSSRApp(Badge).use(createUnreadPlugin(storeFor(clientSource)));
    app.mount(container);

    expect(warn).not.toHaveBeenCalled();
    expect(error).not.toHaveBeenCalled();
    await vi.waitFor(
      () => expect(container.querySelector('#badge')?.textContent).toBe('count: 5 status: ready'),
      { timeout: 15_000 },
    );
    expect(clientSource.calls).toEqual([sessionA]);
    app.unmount();
  });
});
