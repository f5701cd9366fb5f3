// The app of app-baseline.js with a badge on the relay: the store, the relay source and the hook.

export { createUnreadStore, crispRelay } from '@crisp-unread/core';
export { useUnread } from '@crisp-unread/react';
export * from './app-baseline.js';
