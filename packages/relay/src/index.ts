export { countEvents, createUnreadRelay } from './createUnreadRelay';
export { type MemoryStoreOptions, memoryStore } from './memoryStore';
export { signCrispWebhook, verifyCrispSignature } from './signature';
export type {
  CachedCount,
  ConnectionInfo,
  RateLimitOptions,
  RelayMessage,
  RelayStats,
  RelayStore,
  UnreadCountBody,
  UnreadRelay,
  UnreadRelayOptions,
  UpstreamFailure,
} from './types';
