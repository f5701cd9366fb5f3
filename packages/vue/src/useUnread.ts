import {
  idleUnreadState,
  type UnreadError,
  type UnreadState,
  type UnreadStatus,
  type UnreadStore,
} from '@crisp-unread/core';
import {
  computed,
  getCurrentInstance,
  getCurrentScope,
  inject,
  type MaybeRefOrGetter,
  onMounted,
  onScopeDispose,
  type Ref,
  shallowReadonly,
  shallowRef,
  toValue,
  type WatchStopHandle,
  warn,
  watch,
} from 'vue';
import { unreadStoreKey } from './createUnreadPlugin';

/** What `useUnread` returns: read-only refs that change only when their own value does. */
export interface UseUnreadReturn {
  /** The unread count, or `null` while unknown (no store, no session, first read, server). */
  readonly count: Readonly<Ref<number | null>>;
  readonly status: Readonly<Ref<UnreadStatus>>;
  /** The last error, kept while it is retried; `null` after a successful read. */
  readonly error: Readonly<Ref<UnreadError | null>>;
  /** `true` while the first read of the session is pending. */
  readonly isLoading: Readonly<Ref<boolean>>;
  /** `true` while the count shown is one the source could not refresh (see `UnreadState.stale`). */
  readonly stale: Readonly<Ref<boolean>>;
  /**
   * `true` while a read is in flight for a count that is not ready: the first read, or a retry
   * while `status` stays `'error'` (see `UnreadState.fetching`).
   */
  readonly fetching: Readonly<Ref<boolean>>;
  /**
   * `true` while the count was assumed by the relay, not read from Crisp: a session no chat
   * event has named yet (see `UnreadState.assumed`).
   */
  readonly assumed: Readonly<Ref<boolean>>;
  /** Reads now (see `UnreadStore.refresh`); resolves at once without a store. */
  refresh(): Promise<void>;
}

/**
 * The live unread count of `store`, or of the store installed with `createUnreadPlugin` when
 * called without an argument. Pass a ref or getter to switch stores.
 */
export function useUnread(store?: MaybeRefOrGetter<UnreadStore | null>): UseUnreadReturn {
  if (!getCurrentScope()) {
    warn('useUnread() was called outside a component or effect scope: it will never unsubscribe.');
  }
  const injected = store === undefined ? inject(unreadStoreKey, null) : null;
  if (store === undefined && !injected) {
    warn('useUnread() found no store: pass one, or app.use(createUnreadPlugin(store)).');
  }
  const target = () => (store === undefined ? injected : toValue(store));

  // One ref per field: a poll that changes only `updatedAt` assigns equal values, which Vue skips.
  const count = shallowRef<number | null>(null);
  const status = shallowRef<UnreadStatus>('idle');
  const error = shallowRef<UnreadError | null>(null);
  const stale = shallowRef(false);
  const fetching = shallowRef(false);
  const assumed = shallowRef(false);
  const sync = (state: UnreadState) => {
    count.value = state.count;
    status.value = state.status;
    error.value = state.error;
    stale.value = state.stale;
    fetching.value = state.fetching;
    assumed.value = state.assumed;
  };
  sync(target()?.getSnapshot() ?? idleUnreadState);

  // In a component, subscribe once mounted: never on the server, and hydration sees the
  // same snapshot the server rendered.
  let stop: WatchStopHandle | undefined;
  const start = () => {
    stop = watch(
      target,
      (current, _previous, onCleanup) => {
        sync(current?.getSnapshot() ?? idleUnreadState);
        if (current) onCleanup(current.subscribe(sync));
      },
      { immediate: true },
    );
  };
  const instance = getCurrentInstance();
  if (instance && !instance.isMounted) onMounted(start);
  else start();
  if (getCurrentScope()) onScopeDispose(() => stop?.());

  return {
    count: shallowReadonly(count),
    status: shallowReadonly(status),
    error: shallowReadonly(error),
    isLoading: computed(() => status.value === 'loading'),
    stale: shallowReadonly(stale),
    fetching: shallowReadonly(fetching),
    assumed: shallowReadonly(assumed),
    refresh: () => target()?.refresh() ?? Promise.resolve(),
  };
}
