import {
  type CrispEmulator,
  type EmulatedWebsite,
  startCrispEmulator,
} from '@crisp-unread/testing';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { isUnreadError, type UnreadError } from '../errors';
import type { UnreadState, UnreadStore } from '../types';

/** Resolves once `predicate` holds, polling every few milliseconds; rejects after `timeoutMs`. */
export async function waitFor(
  predicate: () => boolean,
  timeoutMs = 10_000,
  what = 'condition',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline)
      throw new Error(`waitFor: ${what} did not hold within ${timeoutMs} ms`);
    await sleep(5);
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** One cycle: subscribe through every entry point, then leave again. */
export function cycle(store: UnreadStore): void {
  const state = store.state$.subscribe(() => {});
  const count = store.unreadCount$.subscribe(() => {});
  const unsubscribe = store.subscribe(() => {});
  state.unsubscribe();
  count.unsubscribe();
  unsubscribe();
}

/** Subscribes to `state$` and keeps every state; call `stop()` to unsubscribe. */
export function recordStates(store: UnreadStore): { states: UnreadState[]; stop(): void } {
  const states: UnreadState[] = [];
  const subscription = store.state$.subscribe((state) => states.push(state));
  return { states, stop: () => subscription.unsubscribe() };
}

/** A conversation body as Crisp sends it, with the given `unread` object (omitted when undefined). */
export function conversation(unread?: unknown): unknown {
  const data: Record<string, unknown> = {
    session_id: 'session_700c65e1-85e2-465a-b9ac-ecb5ec2c9881',
    website_id: '8c842203-7ed8-4e29-a608-7cf78a7d2fcc',
    state: 'unresolved',
  };
  if (unread !== undefined) data.unread = unread;
  return { error: false, reason: 'resolved', data };
}

/**
 * One emulator and website for a test file: started before its tests (handed to `ready`), closed
 * after them, with faults and the request log cleared before each test.
 */
export function useEmulator(
  ready: (started: { emulator: CrispEmulator; website: EmulatedWebsite }) => void,
): void {
  let emulator: CrispEmulator | undefined;
  beforeAll(async () => {
    emulator = await startCrispEmulator();
    ready({ emulator, website: emulator.createWebsite() });
  });
  afterAll(async () => {
    await emulator?.close();
  });
  beforeEach(() => {
    emulator?.clearFaults();
    emulator?.clearRequests();
  });
}

/** The rejection of `promise`, which must be an UnreadError. */
export async function rejection(promise: Promise<unknown>): Promise<UnreadError> {
  try {
    await promise;
  } catch (error) {
    if (!isUnreadError(error)) throw new Error(`not an UnreadError: ${String(error)}`);
    return error;
  }
  throw new Error('expected a rejection');
}
