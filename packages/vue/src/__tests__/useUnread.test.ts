import { createUnreadStore, type UnreadStore, type UnreadStoreOptions } from '@crisp-unread/core';
import { mount } from '@vue/test-utils';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { defineComponent, effectScope, h, nextTick, onUpdated, provide, shallowRef } from 'vue';
import { createUnreadPlugin, unreadStoreKey } from '../createUnreadPlugin';
import { type UseUnreadReturn, useUnread } from '../useUnread';
import { scriptedSource, serverError, sessionA, sessionB } from './sources';

const stores: UnreadStore[] = [];

beforeEach(() => {
  vi.useFakeTimers();
});

afterEach(() => {
  for (const store of stores.splice(0)) store.dispose();
  vi.useRealTimers();
  vi.restoreAllMocks();
});

type Options = Partial<UnreadStoreOptions> & Pick<UnreadStoreOptions, 'source'>;

/** A store that counts its live subscriptions. */
function makeStore(options: Options) {
  const store = createUnreadStore({
    sessionId: sessionA,
    pollIntervalMs: 1000,
    pauseWhenHidden: false,
    // One page, no other tabs: the adapter's tests do not wait for a cross-tab lead.
    crossTab: false,
    graceMs: 0,
    ...options,
  });
  stores.push(store);
  let active = 0;
  const subscribe = store.subscribe;
  store.subscribe = (listener) => {
    active += 1;
    const unsubscribe = subscribe(listener);
    return () => {
      active -= 1;
      unsubscribe();
    };
  };
  return Object.assign(store, { active: () => active });
}

/** A component rendering the composable's refs, counting its renders and updates. */
function badge(use: () => UseUnreadReturn) {
  const stats = { renders: 0, updates: 0, unread: undefined as UseUnreadReturn | undefined };
  const component = defineComponent({
    setup() {
      const unread = use();
      stats.unread = unread;
      onUpdated(() => {
        stats.updates += 1;
      });
      return () => {
        stats.renders += 1;
        const { count, status, error, isLoading } = unread;
        return h(
          'p',
          `count: ${count.value} status: ${status.value} error: ${error.value?.code ?? '-'} loading: ${isLoading.value}`,
        );
      };
    },
  });
  return { component, stats };
}

const settle = () => vi.advanceTimersByTimeAsync(0);

describe('useUnread', () => {
  it('follows the store: loading, then the count', async () => {
    const store = makeStore({ source: scriptedSource(3) });
    const { component, stats } = badge(() => useUnread(store));
    const wrapper = mount(component);
    expect(store.active()).toBe(1);
    await nextTick();
    expect(wrapper.text()).toBe('count: null status: loading error: - loading: true');
    await settle();
    expect(wrapper.text()).toBe('count: 3 status: ready error: - loading: false');
    expect(stats.unread!.count.value).toBe(3);
    wrapper.unmount();
  });

  it('triggers 0 component updates for polls that return the same count', async () => {
    const source = scriptedSource(3);
    const store = makeStore({ source });
    const { component, stats } = badge(() => useUnread(store));
    const snapshots = new Set();
    store.subscribe((state) => snapshots.add(state));
    const wrapper = mount(component);
    await settle();
    expect(wrapper.text()).toContain('count: 3 status: ready');
    const updates = stats.updates;
    const renders = stats.renders;
    const reads = source.calls.length;
    const before = snapshots.size;
    await vi.advanceTimersByTimeAsync(10_000);
    expect(source.calls.length - reads).toBe(10);
    // The store did emit a new snapshot per poll (updatedAt changed)…
    expect(snapshots.size - before).toBeGreaterThanOrEqual(10);
    // …and the component did not update once.
    expect(stats.updates - updates).toBe(0);
    expect(stats.renders - renders).toBe(0);
    wrapper.unmount();
  });

  it('renders once and updates 0 times when it mounts on a store that is already ready', async () => {
    const store = makeStore({ source: scriptedSource(3) });
    const keep = store.subscribe(() => {});
    await settle();
    expect(store.getSnapshot()).toMatchObject({ count: 3, status: 'ready' });
    const { component, stats } = badge(() => useUnread(store));
    const wrapper = mount(component);
    await settle();
    await nextTick();
    expect(wrapper.text()).toBe('count: 3 status: ready error: - loading: false');
    expect(stats).toMatchObject({ renders: 1, updates: 0 });
    wrapper.unmount();
    keep();
  });

  it('exposes stale: true while the source serves a count it could not refresh', async () => {
    const source = scriptedSource(3, { count: 3, stale: true }, 3);
    const store = makeStore({ source });
    const { component, stats } = badge(() => useUnread(store));
    const wrapper = mount(component);
    await settle();
    const { stale } = stats.unread!;
    expect(stale.value).toBe(false);
    const updates = stats.updates;
    await vi.advanceTimersByTimeAsync(1000);
    expect(stale.value).toBe(true);
    expect(wrapper.text()).toContain('count: 3 status: ready');
    await vi.advanceTimersByTimeAsync(1000);
    expect(source.calls).toHaveLength(3);
    expect(stale.value).toBe(false);
    // The badge does not read `stale`: its changes cost it no update.
    expect(stats.updates - updates).toBe(0);
    wrapper.unmount();
  });

  it("exposes assumed: true while the count is the relay's assumption", async () => {
    const source = scriptedSource({ count: 0, stale: false, assumed: true }, 1);
    const store = makeStore({ source });
    const { component, stats } = badge(() => useUnread(store));
    const wrapper = mount(component);
    await settle();
    const { assumed, count } = stats.unread!;
    expect(assumed.value).toBe(true);
    expect(count.value).toBe(0);
    await vi.advanceTimersByTimeAsync(1000);
    expect(assumed.value).toBe(false);
    expect(count.value).toBe(1);
    wrapper.unmount();
  });

  it('triggers one update when the count changes', async () => {
    const source = scriptedSource(3, 3, 5);
    const store = makeStore({ source });
    const { component, stats } = badge(() => useUnread(store));
    const wrapper = mount(component);
    await settle();
    const updates = stats.updates;
    await vi.advanceTimersByTimeAsync(2000);
    expect(source.calls).toHaveLength(3);
    expect(wrapper.text()).toContain('count: 5');
    expect(stats.updates - updates).toBe(1);
    wrapper.unmount();
  });

  it('keeps the last count and shows the error, without updates while the same error stays', async () => {
    const failure = serverError();
    const store = makeStore({ source: scriptedSource(2, failure), retry: false });
    const { component, stats } = badge(() => useUnread(store));
    const wrapper = mount(component);
    await settle();
    expect(wrapper.text()).toContain('count: 2 status: ready');
    await vi.advanceTimersByTimeAsync(1000);
    expect(wrapper.text()).toBe('count: 2 status: error error: server loading: false');
    expect(stats.unread!.error.value).toBe(failure);
    wrapper.unmount();
  });

  it('unsubscribes when the component unmounts', async () => {
    const source = scriptedSource(1);
    const store = makeStore({ source });
    const wrapper = mount(badge(() => useUnread(store)).component);
    await settle();
    expect(store.active()).toBe(1);
    wrapper.unmount();
    expect(store.active()).toBe(0);
    const reads = source.calls.length;
    await vi.advanceTimersByTimeAsync(5000);
    expect(source.calls.length).toBe(reads);
  });

  it('swaps its subscription when the store argument changes', async () => {
    const first = makeStore({ source: scriptedSource(1) });
    const second = makeStore({ source: scriptedSource(7), sessionId: sessionB });
    const current = shallowRef<UnreadStore | null>(first);
    const wrapper = mount(badge(() => useUnread(current)).component);
    await settle();
    expect(wrapper.text()).toContain('count: 1 status: ready');

    current.value = second;
    await settle();
    expect(first.active()).toBe(0);
    expect(second.active()).toBe(1);
    expect(wrapper.text()).toContain('count: 7 status: ready');

    current.value = null;
    await settle();
    expect(second.active()).toBe(0);
    expect(wrapper.text()).toBe('count: null status: idle error: - loading: false');
    wrapper.unmount();
  });

  it('accepts a getter', async () => {
    const store = makeStore({ source: scriptedSource(4) });
    const wrapper = mount(badge(() => useUnread(() => store)).component);
    await settle();
    expect(wrapper.text()).toContain('count: 4');
    wrapper.unmount();
  });

  it('refresh() reads now', async () => {
    const source = scriptedSource(1, 2);
    const store = makeStore({ source, pollIntervalMs: 60_000 });
    const { component, stats } = badge(() => useUnread(store));
    const wrapper = mount(component);
    await settle();
    expect(wrapper.text()).toContain('count: 1');
    await stats.unread!.refresh();
    await nextTick();
    expect(source.calls).toHaveLength(2);
    expect(wrapper.text()).toContain('count: 2');
    wrapper.unmount();
  });

  it('returns read-only refs', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const store = makeStore({ source: scriptedSource(1) });
    const scope = effectScope();
    const unread = scope.run(() => useUnread(store))!;
    await settle();
    (unread.count as { value: number | null }).value = 99;
    expect(unread.count.value).toBe(1);
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('target is readonly'), unread.count);
    scope.stop();
  });
});

describe('createUnreadPlugin', () => {
  it('lets useUnread() without an argument use the app store', async () => {
    const store = makeStore({ source: scriptedSource(6) });
    const wrapper = mount(badge(() => useUnread()).component, {
      global: { plugins: [createUnreadPlugin(store)] },
    });
    await settle();
    expect(wrapper.text()).toContain('count: 6 status: ready');
    wrapper.unmount();
    expect(store.active()).toBe(0);
  });

  it('provides the store under unreadStoreKey, which a subtree can override', async () => {
    const appStore = makeStore({ source: scriptedSource(1) });
    const subtreeStore = makeStore({ source: scriptedSource(2) });
    const child = badge(() => useUnread()).component;
    const parent = defineComponent({
      setup() {
        provide(unreadStoreKey, subtreeStore);
        return () => h(child);
      },
    });
    const wrapper = mount(parent, { global: { plugins: [createUnreadPlugin(appStore)] } });
    await settle();
    expect(wrapper.text()).toContain('count: 2');
    expect(appStore.active()).toBe(0);
    wrapper.unmount();
  });

  it('warns when there is no store to inject', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const wrapper = mount(badge(() => useUnread()).component);
    expect(wrapper.text()).toBe('count: null status: idle error: - loading: false');
    expect(String(warn.mock.calls[0]?.[0])).toContain('useUnread() found no store');
    wrapper.unmount();
  });
});

describe('useUnread outside components', () => {
  it('subscribes at once in an effect scope and stops with it', async () => {
    const store = makeStore({ source: scriptedSource(8) });
    const scope = effectScope();
    const unread = scope.run(() => useUnread(store))!;
    expect(store.active()).toBe(1);
    await settle();
    expect(unread.count.value).toBe(8);
    scope.stop();
    expect(store.active()).toBe(0);
  });

  it('warns in development when called outside an effect scope', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const store = makeStore({ source: scriptedSource(1) });
    useUnread(store);
    expect(String(warn.mock.calls[0]?.[0])).toContain(
      'useUnread() was called outside a component or effect scope',
    );
  });

  it('does not warn inside an effect scope', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const store = makeStore({ source: scriptedSource(1) });
    const scope = effectScope();
    scope.run(() => useUnread(store));
    expect(warn).not.toHaveBeenCalled();
    scope.stop();
  });
});
