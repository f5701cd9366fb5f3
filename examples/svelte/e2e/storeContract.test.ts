import { createUnreadStore, type UnreadSource } from '@crisp-unread/core';
import { derived, fromStore, get } from 'svelte/store';
import { afterEach, describe, expect, it } from 'vitest';

const sessionId = 'session_700c65e1-85e2-465a-b9ac-ecb5ec2c9881';
let scopes = 0;
const stores: { dispose(): void }[] = [];

afterEach(() => {
  for (const store of stores.splice(0)) store.dispose();
});

/** A store on a source answering `count` at once, polling a few times a second. */
function storeCounting(count: number) {
  const source: UnreadSource = {
    kind: 'fixed',
    scope: `fixed-${++scopes}`,
    read: async () => count,
  };
  const store = createUnreadStore({ source, sessionId, pollIntervalMs: 200, graceMs: 0 });
  stores.push(store);
  return store;
}

// What `$store` compiles to: Svelte's own helpers, which hold a store to its contract (the current
// value at once, then each change). A store breaking it would give `undefined` here.
describe("the unread store under Svelte's store contract", () => {
  it('gives its current state at once: get(store) is the snapshot, never undefined', () => {
    const store = storeCounting(2);
    const state = get(store);
    expect(state).toBe(store.getSnapshot());
    // Subscribing started the first read.
    expect(state.status).toBe('loading');
  });

  it('follows the count through derived() and fromStore(), as $store does in a component', async () => {
    const store = storeCounting(4);
    const label = derived(store, (state) => `${state.status}:${state.count}`);
    const seen: string[] = [];
    const stop = label.subscribe((value) => seen.push(value));
    expect(seen[0]).toBeDefined();
    await expect.poll(() => seen.at(-1)).toBe('ready:4');
    expect(fromStore(store).current).toMatchObject({ status: 'ready', count: 4 });
    stop();
  });

  it('gives unreadCount$ at once too: $count on the observable is never undefined', async () => {
    const store = storeCounting(3);
    const seen: (number | null)[] = [];
    // Svelte subscribes to an observable the same way and unsubscribes through `.unsubscribe()`.
    const subscription = store.unreadCount$.subscribe((count) => seen.push(count));
    expect(seen).toEqual([null]);
    await expect.poll(() => seen.at(-1)).toBe(3);
    subscription.unsubscribe();
  });
});
