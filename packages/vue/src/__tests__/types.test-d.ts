import type { UnreadError, UnreadStatus, UnreadStore } from '@crisp-unread/core';
import { describe, expectTypeOf, it } from 'vitest';
import { computed, type Plugin, type Ref, ref, shallowRef } from 'vue';
import { createUnreadPlugin, type UseUnreadReturn, unreadStoreKey, useUnread } from '../index';

declare const store: UnreadStore;

describe('useUnread types', () => {
  it('returns read-only refs', () => {
    const unread = useUnread(store);
    expectTypeOf(unread).toEqualTypeOf<UseUnreadReturn>();
    expectTypeOf(unread.count.value).toEqualTypeOf<number | null>();
    expectTypeOf(unread.status.value).toEqualTypeOf<UnreadStatus>();
    expectTypeOf(unread.error.value).toEqualTypeOf<UnreadError | null>();
    expectTypeOf(unread.isLoading.value).toEqualTypeOf<boolean>();
    expectTypeOf(unread.stale.value).toEqualTypeOf<boolean>();
    expectTypeOf(unread.fetching.value).toEqualTypeOf<boolean>();
    expectTypeOf(unread.assumed.value).toEqualTypeOf<boolean>();
    expectTypeOf(unread.refresh).toEqualTypeOf<() => Promise<void>>();
    expectTypeOf(unread.count).toExtend<Readonly<Ref<number | null>>>();
    // @ts-expect-error the refs are read-only
    unread.count.value = 1;
  });

  it('takes a store, a ref, a getter, null or nothing', () => {
    useUnread();
    useUnread(null);
    useUnread(shallowRef(store));
    useUnread(shallowRef<UnreadStore | null>(null));
    useUnread(() => store);
    useUnread(computed(() => (Math.random() > 0.5 ? store : null)));
    // @ts-expect-error not a store
    useUnread({ count: 1 });
    // @ts-expect-error not a store ref
    useUnread(ref(3));
  });
});

describe('createUnreadPlugin types', () => {
  it('takes a store and returns a Vue plugin', () => {
    expectTypeOf(createUnreadPlugin(store)).toExtend<Plugin>();
    // @ts-expect-error a store is required
    createUnreadPlugin();
    expectTypeOf(unreadStoreKey).toExtend<symbol>();
  });
});
