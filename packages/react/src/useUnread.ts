'use client';
import {
  UnreadError,
  type UnreadState,
  type UnreadStatus,
  type UnreadStore,
} from '@crisp-unread/core';
import { useCallback, useContext, useMemo, useSyncExternalStore } from 'react';
import { UnreadContext } from './UnreadProvider';

/** What `useUnread` returns. A new object only when one of its values changes. */
export interface UseUnreadResult {
  /** Unread messages, or `null` while unknown (no store, no session, first read, server render). */
  readonly count: number | null;
  readonly status: UnreadStatus;
  /** The last error (read its `code`), kept while the store retries; `null` otherwise. */
  readonly error: UnreadError | null;
  /** `true` while the first count of a session is being read. */
  readonly isLoading: boolean;
  /** `true` while the count shown is one the source could not refresh (see `UnreadState.stale`). */
  readonly stale: boolean;
  /**
   * `true` while a read is in flight for a count that is not ready: the first read, or a retry
   * while `status` stays `'error'` (see `UnreadState.fetching`).
   */
  readonly fetching: boolean;
  /**
   * `true` while the count was assumed by the relay, not read from Crisp: a session no chat
   * event has named yet (see `UnreadState.assumed`).
   */
  readonly assumed: boolean;
  /** Reads now. Resolves when the read is over; never rejects. */
  readonly refresh: () => Promise<void>;
}

type View = Pick<
  UseUnreadResult,
  'count' | 'status' | 'error' | 'isLoading' | 'stale' | 'fetching' | 'assumed'
>;

const idleView: View = Object.freeze({
  count: null,
  status: 'idle',
  error: null,
  isLoading: false,
  stale: false,
  fetching: false,
  assumed: false,
});
const unsubscribeNothing = () => {};
const subscribeNothing = () => unsubscribeNothing;
const refreshNothing = () => Promise.resolve();
const serverView = () => idleView;

// The store's state also carries `updatedAt`, new on every poll: keep the previous view while the
// fields the hook returns are the same, so an unchanged poll renders nothing.
const toView = (previous: View, state: UnreadState): View =>
  previous.count === state.count &&
  previous.status === state.status &&
  previous.error === state.error &&
  previous.stale === state.stale &&
  previous.fetching === state.fetching &&
  previous.assumed === state.assumed
    ? previous
    : {
        count: state.count,
        status: state.status,
        error: state.error,
        isLoading: state.status === 'loading',
        stale: state.stale,
        fetching: state.fetching,
        assumed: state.assumed,
      };

/**
 * The live unread count of `store`, or of the nearest `<UnreadProvider>` when no store is given.
 * `null` means no store: idle, nothing subscribed. Server rendering and hydration show the idle
 * state and start nothing; the store starts working once the component has mounted.
 */
export function useUnread(store?: UnreadStore | null): UseUnreadResult {
  const provided = useContext(UnreadContext);
  const target = store === undefined ? provided : store;
  if (target === undefined) {
    throw new UnreadError(
      'misconfigured',
      'crisp-unread: useUnread() found no store: pass one, or render it inside <UnreadProvider store={…}>.',
    );
  }
  const [subscribe, getSnapshot] = useMemo(() => {
    if (target === null) return [subscribeNothing, serverView] as const;
    let view = idleView;
    return [
      (onChange: () => void) => target.subscribe(onChange),
      () => {
        view = toView(view, target.getSnapshot());
        return view;
      },
    ] as const;
  }, [target]);
  const view = useSyncExternalStore(subscribe, getSnapshot, serverView);
  const refresh = useCallback(() => (target ? target.refresh() : refreshNothing()), [target]);
  return useMemo(() => ({ ...view, refresh }), [view, refresh]);
}
