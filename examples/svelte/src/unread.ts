import type { UnreadStore } from '@crisp-unread/core';
import { getContext } from 'svelte';

/** The context key under which `main.ts` mounts the app with its store. */
export const unreadStoreKey = Symbol('crisp-unread store');

/** The store the app was mounted with: a Svelte store (`$store` is the `UnreadState`). */
export function getUnreadStore(): UnreadStore {
  const store = getContext<UnreadStore | undefined>(unreadStoreKey);
  if (!store) throw new Error('getUnreadStore(): mount the app with its store in the context.');
  return store;
}
