import type { QueryState } from '@tanstack/query-core';
import type { UnreadError } from './errors';

/** What the store does next for one session. */
export type Plan =
  | { readonly type: 'fetch' }
  | { readonly type: 'wait'; readonly ms: number }
  /** Nothing until something changes: a read is in flight, the page is hidden, or offline. */
  | { readonly type: 'idle' }
  /** No more reads until `refresh()`: the credentials were refused or the session is gone. */
  | { readonly type: 'halt' };

export interface PlanInput {
  now: number;
  state: QueryState<unknown, UnreadError>;
  /** The backoff delay chosen for the current error (random, so chosen once per error). */
  errorDelayMs: number | undefined;
  active: boolean;
  pollIntervalMs: number;
}

const haltCodes: ReadonlySet<string> = new Set([
  'unauthorized',
  'forbidden',
  'session-not-found',
  'misconfigured',
]);

/** Decides the next step from the shared cache entry alone, so every store sharing it agrees. */
export function plan(input: PlanInput): Plan {
  const { state, now } = input;
  if (state.fetchStatus !== 'idle') return { type: 'idle' };
  if (state.status === 'error' && state.error && haltCodes.has(state.error.code))
    return { type: 'halt' };
  if (!input.active) return { type: 'idle' };
  if (state.status === 'pending') return { type: 'fetch' };
  let due: number;
  if (state.status === 'error' && state.error) {
    due = state.errorUpdatedAt + (input.errorDelayMs ?? input.pollIntervalMs);
  } else {
    if (state.isInvalidated) return { type: 'fetch' };
    due = state.dataUpdatedAt + input.pollIntervalMs;
  }
  return due <= now ? { type: 'fetch' } : { type: 'wait', ms: due - now };
}
