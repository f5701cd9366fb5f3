import { focusManager, hashKey, onlineManager } from '@tanstack/query-core';
import {
  BehaviorSubject,
  catchError,
  combineLatest,
  defer,
  distinctUntilChanged,
  EMPTY,
  filter,
  finalize,
  ignoreElements,
  map,
  merge,
  Observable,
  of,
  ReplaySubject,
  share,
  skip,
  switchMap,
  tap,
} from 'rxjs';
import { bindCount } from './cacheBinding';
import { crossTabLeader$, leaderFetching$ } from './crossTab';
import { UnreadError } from './errors';
import { describeValue, isSessionId, normalizeSessionId } from './ids';
import { markAsRead } from './markAsRead';
import type { StoreConfig } from './options';
import { pushLive$ } from './pushes';
import { deriveState, idleState, toUnreadError } from './reading';
import { pollSchedule } from './schedule';
import type { UnreadState } from './types';

/** The live part of the session a store works on. */
export interface SessionWork {
  readonly queryKey: readonly unknown[];
  refresh(): Promise<void>;
  markAsRead(): Promise<void>;
}

/**
 * The session pipeline: each session id as it comes becomes the states to show. `null` is the
 * no-session state, an invalid id a misconfigured one, a valid id that session's count stream; a
 * new id drops the previous stream (and cancels its read) before the next one starts, so a switch
 * never shows the old count. `onWork` hears when a session's work starts and ends.
 */
export function sessionStates(
  config: StoreConfig,
  onWork: (work: SessionWork, live: boolean) => void,
): Observable<UnreadState> {
  // A source that cannot run here (a server render of a page's store) leaves the store idle.
  if (config.source.available === false) return EMPTY;
  return config.sessions$.pipe(
    // One spelling per session: letter-case variants of an id are the same session.
    map((value) => normalizeSessionId(value) ?? value),
    distinctUntilChanged(),
    switchMap((value) => {
      if (value === null) return of(state({ status: 'no-session' }));
      if (!isSessionId(value)) {
        const error = new UnreadError(
          'misconfigured',
          `crisp-unread: the session id must be session_<uuid>, got ${describeValue(value)}.`,
        );
        return of(state({ status: 'error', error }));
      }
      return sessionCount$(config, value, onWork);
    }),
    // A failing session stream (no chatbox after all) is a setup problem, shown as such.
    catchError((error: unknown) =>
      of(state({ status: 'error', error: toUnreadError(error, 'misconfigured') })),
    ),
  );
}

const state = (patch: Partial<UnreadState>): UnreadState => ({ ...idleState, ...patch });

/** Focus and connectivity as query-core's managers see them: reads pause while either is lost. */
const pageActive$ = new Observable<boolean>((subscriber) => {
  const emit = () => subscriber.next(focusManager.isFocused() && onlineManager.isOnline());
  const stopFocus = focusManager.subscribe(emit);
  const stopOnline = onlineManager.subscribe(emit);
  emit();
  return () => {
    stopFocus();
    stopOnline();
  };
});

/**
 * A page on a live push stream that wakes (visible again, back online) reads once: a push lost
 * while it slept, or while its connection was silently dead, heals at once. Not while hidden:
 * the stream stays open then, and the read waits for the page to come back.
 */
const recheck$ = (pushing$: Observable<boolean>) =>
  pushing$.pipe(
    switchMap((pushing) => (pushing ? pageActive$.pipe(distinctUntilChanged(), skip(1)) : EMPTY)),
    filter((active) => active),
  );

/** Replays the latest value to each of a stream's several readers below. */
const shareLatest = <T>() => share<T>({ connector: () => new ReplaySubject(1) });

/**
 * One session's count stream: its cache entry, read on the polling schedule while this store is
 * active (it leads the tabs, no push stream is live, the page is visible and online, no mark is
 * in progress), with the pushes of the leading tab written into the same entry.
 */
function sessionCount$(
  config: StoreConfig,
  sessionId: string,
  onWork: (work: SessionWork, live: boolean) => void,
): Observable<UnreadState> {
  return defer(() => {
    const { queryClient: client, source, pollIntervalMs } = config;
    const timing = { pollIntervalMs, retry: config.retry };
    const marking$ = new BehaviorSubject(0);
    const binding = bindCount({
      client,
      source,
      sessionId,
      gcTimeMs: config.gcTimeMs,
      pollIntervalMs,
      retry: config.retry,
    });
    const { queryKey } = binding;
    const views$ = binding.state$.pipe(shareLatest());
    const queryHash = hashKey(queryKey);
    // One tab polls per key and tells the others its reads (crossTab.ts); sources whose reads cost
    // nothing (the chatbox) read in every tab.
    const sharing = config.crossTab && !source.local;
    const leader$ = sharing
      ? crossTabLeader$(client, queryKey, queryHash, pollIntervalMs)
      : of(true);
    const leaderReads$ = sharing ? leaderFetching$(client, queryHash) : of(false);
    // Pushes are opened by the tab that polls: the others get its counts through the tabs' channel.
    const pushing$ = leader$.pipe(
      switchMap((leads) =>
        leads && source.watch
          ? pushLive$({ client, source, sessionId, queryKey, queryHash, ...timing })
          : of(false),
      ),
      shareLatest(),
    );
    const active$ = combineLatest([
      leader$,
      pushing$,
      config.pauseWhenHidden ? pageActive$ : of(true),
      marking$,
    ]).pipe(
      map(([leads, pushing, visible, marks]) => leads && !pushing && visible && marks === 0),
      distinctUntilChanged(),
      tap((active) => binding.setEnabled(active)),
      shareLatest(),
    );
    const work: SessionWork = {
      queryKey,
      refresh: binding.fetch,
      markAsRead: () => markAsRead({ client, source, sessionId, queryKey, marking$ }),
    };
    onWork(work, true);
    return merge(
      // First: whether this store reads is known before its entry is observed.
      active$.pipe(ignoreElements()),
      combineLatest([views$, leaderReads$]).pipe(
        map(([view, leaderReads]) => deriveState(sessionId, view, leaderReads)),
      ),
      merge(pollSchedule(views$, active$, pollIntervalMs), recheck$(pushing$)).pipe(
        tap(() => void binding.fetch()),
        ignoreElements(),
      ),
    ).pipe(finalize(() => onWork(work, false)));
  });
}
