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

// Svelte's own helpers, which rely on the contract `$store` compiles to: the current value at once,
// then each change.
describe("the unread store under Svelte's store contract", () => {
  it('gives its current state at once: get(store) is the snapshot, never undefined', async () => {
    const store = storeCounting(2);
    // A fresh store: subscribing starts its first read.
    expect(get(store)).toMatchObject({ status: 'loading', count: null });
    // A store that is already ready, kept running by another subscriber: nothing new happens on
    // subscribe, so only the contract's call at once can give the state (a listener of changes
    // only would leave `$store` undefined here).
    const keep = store.subscribe(() => {});
    await expect.poll(() => store.getSnapshot().status).toBe('ready');
    expect(get(store)).toBe(store.getSnapshot());
    expect(get(store)).toMatchObject({ status: 'ready', count: 2 });
    keep();
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
