// The app of app-baseline.js on a page running the Crisp chatbox: the store, the chatbox source and
// the hook.

export { createUnreadStore, crispChatbox } from '@crisp-unread/core';
export { useUnread } from '@crisp-unread/react';
export * from './app-baseline.js';
