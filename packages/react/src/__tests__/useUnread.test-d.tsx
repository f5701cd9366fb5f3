import type { UnreadError, UnreadStatus, UnreadStore } from '@crisp-unread/core';
import type { ComponentProps, ReactNode } from 'react';
import { describe, expectTypeOf, it } from 'vitest';
import {
  type UnreadProvider,
  type UnreadProviderProps,
  type UseUnreadResult,
  useUnread,
} from '../index';

declare const store: UnreadStore;

describe('useUnread types', () => {
  it('takes a store, null or nothing', () => {
    expectTypeOf(useUnread).parameter(0).toEqualTypeOf<UnreadStore | null | undefined>();
    expectTypeOf(useUnread(store)).toEqualTypeOf<UseUnreadResult>();
    expectTypeOf(useUnread(null)).toEqualTypeOf<UseUnreadResult>();
    expectTypeOf(useUnread()).toEqualTypeOf<UseUnreadResult>();
    // @ts-expect-error a count is not a store
    useUnread(3);
  });

  it('returns the count, status, error, isLoading, stale and refresh, all read-only', () => {
    const result = useUnread(store);
    expectTypeOf(result.count).toEqualTypeOf<number | null>();
    expectTypeOf(result.status).toEqualTypeOf<UnreadStatus>();
    expectTypeOf(result.error).toEqualTypeOf<UnreadError | null>();
    expectTypeOf(result.isLoading).toEqualTypeOf<boolean>();
    expectTypeOf(result.stale).toEqualTypeOf<boolean>();
    expectTypeOf(result.fetching).toEqualTypeOf<boolean>();
    expectTypeOf(result.assumed).toEqualTypeOf<boolean>();
    expectTypeOf(result.refresh).toEqualTypeOf<() => Promise<void>>();
    expectTypeOf<keyof UseUnreadResult>().toEqualTypeOf<
      'count' | 'status' | 'error' | 'isLoading' | 'stale' | 'fetching' | 'assumed' | 'refresh'
    >();
    // @ts-expect-error the result is read-only
    result.count = 1;
  });

  it('narrows the error code', () => {
    const { error } = useUnread(store);
    if (error) expectTypeOf(error.code).toEqualTypeOf<UnreadError['code']>();
  });

  it('has a provider that needs a store or null', () => {
    expectTypeOf<ComponentProps<typeof UnreadProvider>>().toEqualTypeOf<UnreadProviderProps>();
    expectTypeOf<UnreadProviderProps['store']>().toEqualTypeOf<UnreadStore | null>();
    expectTypeOf<UnreadProviderProps['children']>().toEqualTypeOf<ReactNode | undefined>();
    // @ts-expect-error the store is required
    const props: UnreadProviderProps = { children: null };
    void props;
  });
});
