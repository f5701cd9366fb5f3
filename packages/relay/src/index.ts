export { countEvents, createUnreadRelay } from './createUnreadRelay';
export { type MemoryStoreOptions, memoryStore } from './memoryStore';
export type {
  CacheResult,
  HookResult,
  RelayMetrics,
  RelayMetricsSource,
  UpstreamOutcome,
} from './metrics';
export {
  type RedisClientLike,
  type RedisStoreOptions,
  type RedisSubscriberLike,
  redisStore,
} from './redisStore';
export { signCrispWebhook, verifyCrispSignature } from './signature';
export type {
  BudgetReport,
  BudgetShareName,
  BudgetShares,
  CachedCount,
  ConnectionInfo,
  RateLimitOptions,
  RelayMessage,
  RelayRequestContext,
  RelayStats,
  RelayStore,
  RelayStoreContext,
  SharedLimits,
  ShareReport,
  StoreHealth,
  UnknownSessionLimitOptions,
  UnreadCountBody,
  UnreadRelay,
  UnreadRelayOptions,
  UpstreamFailure,
} from './types';
