export { UnreadContext, UnreadProvider, type UnreadProviderProps } from './UnreadProvider';
export { type UseUnreadResult, useUnread } from './useUnread';
