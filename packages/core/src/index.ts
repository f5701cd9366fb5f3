export { parseRetryAfter, retryDelay } from './backoff';
export { createUnreadStore } from './createUnreadStore';
export {
  type CrispChatboxOptions,
  type CrispChatboxSource,
  chatboxSession$,
  crispChatbox,
} from './crispChatbox';
export {
  type CrispEvents,
  type CrispEventsOptions,
  type CrispGlobal,
  type CrispListener,
  crispEvents,
} from './crispEvents';
export {
  type CrispRelayOptions,
  type CrispRelayReconnectOptions,
  type CrispRelaySource,
  crispRelay,
} from './crispRelay';
export {
  type CrispRestOptions,
  type CrispRestSource,
  type CrispTier,
  crispRest,
} from './crispRest';
export { getDefaultQueryClient } from './defaultQueryClient';
export {
  isUnreadError,
  misconfigured,
  UnreadError,
  type UnreadErrorCode,
  type UnreadErrorOptions,
} from './errors';
export { type GetUnreadMessageCountOptions, getUnreadMessageCount } from './getUnreadMessageCount';
export type { FetchLike } from './http';
export { isSessionId, isWebsiteId, normalizeSessionId } from './ids';
export { unreadQueryKey, unreadQueryRoot } from './queryKey';
export { idleState as idleUnreadState } from './reading';
export type {
  RetryOptions,
  SourceReadContext,
  StreamReconnect,
  UnreadReading,
  UnreadSource,
  UnreadState,
  UnreadStatus,
  UnreadStore,
  UnreadStoreOptions,
} from './types';
