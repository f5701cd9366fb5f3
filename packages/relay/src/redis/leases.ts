import type { RelayStore } from '../types';
import { DOWN, type RedisConnection } from './connection';
import type { RedisKeys } from './keys';

interface Lease {
  readonly token: string;
  /** Taken in Redis, or (Redis away) in this instance's memory. */
  readonly inRedis: boolean;
  readonly expiresAt: number;
}

/**
 * Leases (`SET NX PX`): the single-flight read of a session, and the memory of web hooks taken.
 * Each lease this instance holds carries its own token, so that it never gives back another's.
 */
export class Leases {
  readonly #connection: RedisConnection;
  readonly #keys: RedisKeys;
  readonly #local: RelayStore;
  readonly #now: () => number;
  readonly #owned = new Map<string, Lease>();

  constructor(connection: RedisConnection, keys: RedisKeys, local: RelayStore, now: () => number) {
    this.#connection = connection;
    this.#keys = keys;
    this.#local = local;
    this.#now = now;
  }

  async acquire(key: string, leaseMs: number): Promise<boolean> {
    this.#sweep();
    const token = globalThis.crypto.randomUUID();
    const ms = Math.max(1, Math.ceil(leaseMs));
    const redisKey = this.#keys.lease(key);
    const taken = await this.#connection.attempt(() =>
      this.#connection.client.set(redisKey, token, 'PX', ms, 'NX'),
    );
    if (taken === DOWN) {
      if (!(await this.#local.acquire(key, leaseMs))) return false;
      this.#owned.set(key, { token, inRedis: false, expiresAt: this.#now() + ms });
      return true;
    }
    if (taken !== 'OK') return false;
    this.#owned.set(key, { token, inRedis: true, expiresAt: this.#now() + ms });
    return true;
  }

  async release(key: string): Promise<void> {
    const lease = this.#owned.get(key);
    if (!lease) return;
    this.#owned.delete(key);
    if (!lease.inRedis) return this.#local.release(key);
    const redisKey = this.#keys.lease(key);
    // Not given back (Redis down): it expires on its own.
    await this.#connection.attempt(() =>
      this.#connection.script('releaseLease', 1, redisKey, lease.token),
    );
  }

  clear(): void {
    this.#owned.clear();
  }

  #sweep(): void {
    if (this.#owned.size < 1000) return;
    const at = this.#now();
    for (const [key, lease] of this.#owned) if (lease.expiresAt <= at) this.#owned.delete(key);
  }
}
