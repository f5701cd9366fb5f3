import type { QueryClient } from '@tanstack/query-core';
import { defer, Observable, of } from 'rxjs';
import { defaultRetry, type RetrySettings } from './backoff';
import { chatboxSession$ } from './crispChatbox';
import { getDefaultQueryClient } from './defaultQueryClient';
import { isBrowser } from './environment';
import { misconfigured } from './errors';
import { describeValue } from './ids';
import type { RetryOptions, UnreadSource, UnreadStoreOptions } from './types';

/** A store's options, checked and with their defaults. */
export interface StoreConfig {
  source: UnreadSource;
  /** The session ids as they come, checked one by one downstream. */
  sessions$: Observable<unknown>;
  pollIntervalMs: number;
  pauseWhenHidden: boolean;
  crossTab: boolean;
  retry: RetrySettings | false;
  queryClient: QueryClient;
  graceMs: number;
  gcTimeMs: number;
}

/** Merges the defaults and throws one clear `misconfigured` error for a bad option. */
export function resolveOptions(options: UnreadStoreOptions): StoreConfig {
  if (typeof options !== 'object' || options === null)
    misconfigured('createUnreadStore() needs an options object.');
  const {
    source,
    sessionId,
    pollIntervalMs = 30_000,
    pauseWhenHidden = true,
    crossTab = true,
    retry = {},
    queryClient = getDefaultQueryClient(),
    graceMs = 1000,
    gcTimeMs = 300_000,
  } = options;
  if (
    typeof source?.read !== 'function' ||
    typeof source.scope !== 'string' ||
    typeof source.kind !== 'string'
  ) {
    misconfigured('`source` must be a source such as crispRest({ websiteId, identifier, key }).');
  }
  const milliseconds = (name: string, value: unknown, min = 0, infinite = false) => {
    if (!((isDuration(value) && value >= min) || (infinite && value === Number.POSITIVE_INFINITY)))
      misconfigured(
        `\`${name}\` must be a number of milliseconds${min ? ` of at least ${min}` : ''}${infinite ? ' or Infinity' : ''}, got ${describeValue(value)}.`,
      );
  };
  milliseconds('pollIntervalMs', pollIntervalMs, 100);
  milliseconds('graceMs', graceMs);
  milliseconds('gcTimeMs', gcTimeMs, 0, true);
  if (typeof pauseWhenHidden !== 'boolean') misconfigured('`pauseWhenHidden` must be a boolean.');
  if (typeof crossTab !== 'boolean') misconfigured('`crossTab` must be a boolean.');
  if (typeof queryClient?.getQueryCache !== 'function') {
    misconfigured('`queryClient` must be a QueryClient from @tanstack/query-core.');
  }
  return {
    source,
    sessions$: sessionId === undefined ? defaultSessions(source) : toSessions(sessionId),
    pollIntervalMs,
    pauseWhenHidden,
    crossTab,
    retry: resolveRetry(retry),
    queryClient,
    graceMs,
    gcTimeMs,
  };
}

function resolveRetry(retry: RetryOptions | false): RetrySettings | false {
  if (retry === false) return false;
  if (typeof retry !== 'object' || retry === null)
    misconfigured('`retry` must be backoff settings or false.');
  // An option given as `undefined` (an unset environment value) takes its default.
  const merged = {
    baseDelayMs: retry.baseDelayMs ?? defaultRetry.baseDelayMs,
    maxDelayMs: retry.maxDelayMs ?? defaultRetry.maxDelayMs,
    random: retry.random ?? defaultRetry.random,
  };
  if (
    !isDuration(merged.baseDelayMs) ||
    !isDuration(merged.maxDelayMs) ||
    merged.maxDelayMs < merged.baseDelayMs
  ) {
    misconfigured(
      '`retry.baseDelayMs` and `retry.maxDelayMs` must be milliseconds with baseDelayMs <= maxDelayMs.',
    );
  }
  if (typeof merged.random !== 'function') misconfigured('`retry.random` must be a function.');
  return merged;
}

/** The source's own session, else the chatbox's where a page runs it, else none. */
function defaultSessions(source: UnreadSource): Observable<unknown> {
  if (source.session$) return toSessions(source.session$);
  return defer(() =>
    isBrowser() && (globalThis as { $crisp?: unknown }).$crisp !== undefined
      ? chatboxSession$()
      : of(null),
  );
}

interface Subscribable {
  subscribe(observer: { next(value: unknown): void; error(error: unknown): void }): unknown;
}

/** A fixed id or `null`, an rxjs observable, or any interop observable (`Symbol.observable`). */
function toSessions(sessionId: UnreadStoreOptions['sessionId']): Observable<unknown> {
  if (sessionId === null || typeof sessionId === 'string') return of(sessionId);
  const interop = (sessionId as { [key: symbol | string]: unknown } | undefined)?.[
    (Symbol as { observable?: symbol }).observable ?? '@@observable'
  ];
  const target = (typeof interop === 'function' ? interop.call(sessionId) : sessionId) as
    | Subscribable
    | undefined;
  if (typeof target?.subscribe !== 'function') {
    misconfigured(
      `\`sessionId\` must be a session id, null, or an observable of either, got ${describeValue(sessionId)}.`,
    );
  }
  // rxjs turns a throw inside `subscribe` into an error, which the store shows as misconfigured.
  return new Observable((subscriber) => {
    const subscription = target.subscribe(subscriber) as { unsubscribe?(): void } | undefined;
    return () => subscription?.unsubscribe?.();
  });
}

function isDuration(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0;
}
