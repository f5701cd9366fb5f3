import type { UnreadStore } from '@crisp-unread/core';
import type { InjectionKey, Plugin } from 'vue';

/** Where `createUnreadPlugin` provides the app's store; `provide` it yourself for a subtree. */
export const unreadStoreKey: InjectionKey<UnreadStore> = Symbol('crisp-unread store');

/** Makes `store` the one `useUnread()` uses when called without an argument. */
export function createUnreadPlugin(store: UnreadStore): Plugin {
  return {
    install(app) {
      app.provide(unreadStoreKey, store);
    },
  };
}
