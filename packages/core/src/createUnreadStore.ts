import { hashKey, type Query } from '@tanstack/query-core';
import {
  BehaviorSubject,
  concatWith,
  defer,
  distinctUntilChanged,
  EMPTY,
  filter,
  ignoreElements,
  map,
  merge,
  NEVER,
  of,
  Subject,
  share,
  takeUntil,
  tap,
  timer,
} from 'rxjs';
import { misconfigured } from './errors';
import { resolveOptions } from './options';
import { idleState } from './reading';
import { type SessionWork, sessionStates } from './sessionPipeline';
import type { UnreadState, UnreadStore, UnreadStoreOptions } from './types';

const fields = Object.keys(idleState) as (keyof UnreadState)[];
const sameState = (a: UnreadState, b: UnreadState) =>
  fields.every((field) => Object.is(a[field], b[field]));

/**
 * Creates a store holding one visitor's live unread count. Nothing happens until something
 * subscribes; then it reads at once, polls, backs off on failures, pauses while the page is
 * hidden, and stops again shortly after the last subscriber leaves.
 */
export function createUnreadStore(options: UnreadStoreOptions): UnreadStore {
  const config = resolveOptions(options);
  const { queryClient } = config;
  /** The state shown, kept between runs: a store that rests shows its last state. */
  const snapshot$ = new BehaviorSubject<UnreadState>(idleState);
  const disposed$ = new Subject<void>();
  let disposed = false;
  let current: SessionWork | null = null;
  /** The query keys this store worked on: `dispose()` frees those nobody else observes. */
  const touched = new Map<string, readonly unknown[]>();

  // The store's one execution: session ids in, states out, shared by every subscriber and kept
  // running through the grace delay after the last one leaves, so that a re-subscribe at once
  // (React StrictMode) costs nothing.
  const work$ = sessionStates(config, (work, live) => {
    if (live) {
      current = work;
      touched.set(hashKey(work.queryKey), work.queryKey);
    } else if (current === work) current = null;
  }).pipe(
    // Distinct states only: the snapshot is a new object only when a field changes.
    filter((state) => !sameState(state, snapshot$.value)),
    // What is learnt during the grace delay lands in the snapshot for the next subscriber.
    tap((state) => snapshot$.next(Object.freeze(state))),
    ignoreElements(),
    // A pipeline with nothing more to say (no source here, a failed session$) keeps its last state
    // until its subscribers leave, rather than starting again for each new one.
    concatWith(NEVER),
    takeUntil(disposed$),
    share({
      resetOnRefCountZero: () => (disposed || !config.graceMs ? of(0) : timer(config.graceMs)),
    }),
  );

  const state$ = defer(() =>
    disposed
      ? EMPTY
      : merge(
          // A listener may change the state while the previous one is still being handed out:
          // every subscriber then ends on the newest, never on the one it interrupted.
          snapshot$.pipe(filter((state) => state === snapshot$.value)),
          work$,
        ),
  );

  /** Keeps the work running while `task` runs, so that a call works without subscribers too. */
  const whileRunning = async <T>(task: () => Promise<T> | undefined): Promise<T | undefined> => {
    const running = work$.subscribe();
    try {
      return await task();
    } finally {
      running.unsubscribe();
    }
  };

  return {
    unreadCount$: state$.pipe(
      map((state) => state.count),
      distinctUntilChanged(),
    ),
    state$,
    getSnapshot: () => snapshot$.value,
    subscribe(listener) {
      // Svelte's store contract: the current state at once, then every change.
      const subscription = state$.subscribe(listener);
      return () => subscription.unsubscribe();
    },
    async refresh() {
      if (!disposed) await whileRunning(() => current?.refresh());
    },
    async markAsRead() {
      if (disposed) misconfigured('the store was disposed.');
      await whileRunning(() => current?.markAsRead());
    },
    get queryKey() {
      return current?.queryKey ?? null;
    },
    dispose() {
      if (disposed) return;
      disposed = true;
      disposed$.next();
      snapshot$.next(idleState);
      snapshot$.complete();
      // query-core would collect them after gcTime; a disposed store frees what nobody observes as
      // soon as the reads it cancelled have ended (query-core re-arms collection when a read ends).
      for (const queryKey of touched.values()) {
        const filters = {
          queryKey,
          exact: true,
          predicate: (query: Query) => !query.getObserversCount(),
        };
        void queryClient.cancelQueries(filters).then(() => queryClient.removeQueries(filters));
      }
      touched.clear();
    },
  };
}
