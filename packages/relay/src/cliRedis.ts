import { isModuleNotFound } from './moduleNotFound';
import type { RedisClientLike } from './redisStore';

// The CLI's ioredis: the options, the URL check and the loading shared by `main` and `doctor`.

/** The ioredis client the CLI creates and owns: what the store uses, plus `quit`/`disconnect`. */
export interface OwnedRedisClient extends RedisClientLike {
  quit(): Promise<unknown>;
  disconnect(): void;
  /** With `lazyConnect`: connects now (doctor's one PING). */
  connect(): Promise<void>;
}

export type RedisConstructor = new (
  url: string,
  options: Record<string, unknown>,
) => OwnedRedisClient;

/**
 * The options the CLI gives ioredis: the README's advice (a command fails fast while Redis is
 * away or hangs, so the store answers from memory; reconnect at most every 2 s).
 */
export const cliRedisOptions = {
  maxRetriesPerRequest: 1,
  commandTimeout: 1000,
  connectTimeout: 2000,
  retryStrategy: (times: number) => Math.min(times * 200, 2000),
} as const;

export function parseRedisUrl(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    // Never repeat the URL: it may carry a password.
    throw new TypeError('REDIS_URL must be a redis:// or rediss:// URL.');
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    throw new TypeError('REDIS_URL must be a redis:// or rediss:// URL.');
  }
  return url;
}

export async function loadRedisConstructor(
  load: () => Promise<unknown>,
): Promise<RedisConstructor> {
  let loaded: unknown;
  try {
    loaded = await load();
  } catch (error) {
    if (isModuleNotFound(error)) {
      throw new Error(
        'REDIS_URL is set but the ioredis package is not installed: install it next to ' +
          '@crisp-unread/relay (npm install ioredis, or pnpm add ioredis), or unset REDIS_URL.',
      );
    }
    throw new Error(
      `REDIS_URL is set but ioredis could not be loaded (${error instanceof Error ? error.message : String(error)}): ` +
        'install ioredis 5 (npm install ioredis), or unset REDIS_URL.',
    );
  }
  const module = loaded as Record<string, unknown> | null;
  const fallback = module?.default as Record<string, unknown> | undefined;
  const candidate = module?.Redis ?? fallback?.Redis ?? fallback?.default ?? fallback;
  if (typeof candidate !== 'function') {
    throw new Error(
      'REDIS_URL is set but the installed ioredis has no Redis client class: install ioredis 5.',
    );
  }
  return candidate as RedisConstructor;
}
