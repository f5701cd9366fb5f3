export { createUnreadPlugin, unreadStoreKey } from './createUnreadPlugin';
export { type UseUnreadReturn, useUnread } from './useUnread';
