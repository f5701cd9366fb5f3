import { misconfigured } from './redis/keys';
import { RedisStore } from './redis/store';
import type { RedisStoreOptions } from './redis/types';
import type { RelayStore } from './types';

export { quitRedis } from './redis/timeouts';
export type { RedisClientLike, RedisStoreOptions, RedisSubscriberLike } from './redis/types';

/**
 * A `RelayStore` in Redis, shared by every relay instance that uses the same Redis and website:
 * cached counts (kept `retainMs`, so a restart reads nothing again), web hook marks, the
 * single-flight lease of each session (`SET NX PX`), the daily budget as one counter per UTC day and share (a
 * Lua script, so concurrent instances never pass the limit), and one pub/sub channel per website
 * that carries fresh counts to every instance's streams.
 *
 * When Redis cannot be reached, or a command times out, the store never throws nor waits again:
 * it answers from this instance's memory (the cache, leases, pub/sub, and a budget that is then
 * per instance) and reports `degraded` to `GET /healthz` until the client reconnects or a
 * background PING answers; then it uses Redis again (and subscribes again).
 *
 * Keys: `<prefix>:<websiteId>:count:<sessionId>`, `…:changed:<sessionId>`,
 * `…:lease:read:<sessionId>`, `…:lease:hook:<signature or digest>`, `…:budget:<YYYY-MM-DD>:<share>`,
 * `…:paused`; channel `…:events`.
 * Nothing secret is stored (no key, no web hook secret).
 */
export function redisStore(options: RedisStoreOptions): RelayStore {
  if (typeof options !== 'object' || options === null) misconfigured('needs an options object.');
  const { client } = options;
  if (
    typeof client !== 'object' ||
    client === null ||
    typeof client.get !== 'function' ||
    typeof client.eval !== 'function' ||
    typeof client.publish !== 'function'
  ) {
    misconfigured('`client` must be an ioredis client (`new Redis(url)`).');
  }
  const prefix = options.prefix ?? 'crisp-unread';
  if (typeof prefix !== 'string' || !/^[\w.:-]{1,64}$/.test(prefix)) {
    misconfigured('`prefix` must be 1 to 64 letters, digits, `_`, `.`, `:` or `-`.');
  }
  // ioredis's own deadline when the client has one; the store's timer otherwise.
  const commandTimeout = client.options?.commandTimeout;
  const ownDeadline = !(typeof commandTimeout === 'number' && commandTimeout > 0);
  const timeoutMs = options.operationTimeoutMs ?? (ownDeadline ? 1000 : commandTimeout);
  if (typeof timeoutMs !== 'number' || !(timeoutMs > 0)) {
    misconfigured('`operationTimeoutMs` must be a positive number.');
  }
  return new RedisStore({
    client,
    subscriber: options.subscriber,
    prefix,
    websiteId: options.websiteId,
    timeoutMs,
    ownDeadline,
    maxLocalEntries: options.maxLocalEntries ?? 100_000,
    now: options.now,
  });
}
