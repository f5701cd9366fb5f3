export { countEvents, createUnreadRelay } from './createUnreadRelay';
export { type MemoryStoreOptions, memoryStore } from './memoryStore';
export {
  type RedisClientLike,
  type RedisStoreOptions,
  type RedisSubscriberLike,
  redisCache,
  redisStore,
} from './redisStore';
export { signCrispWebhook, verifyCrispSignature } from './signature';
export type {
  CachedCount,
  ConnectionInfo,
  RateLimitOptions,
  RelayMessage,
  RelayStats,
  RelayStore,
  RelayStoreContext,
  StoreHealth,
  UnreadCountBody,
  UnreadRelay,
  UnreadRelayOptions,
  UpstreamFailure,
} from './types';
