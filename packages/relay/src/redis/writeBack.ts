import type { CachedCount, RelayStore } from '../types';
import { encode } from './codec';
import { DOWN, type RedisConnection } from './connection';
import type { RedisKeys } from './keys';

/**
 * The counts this instance served from memory while Redis lacked them (it was away, or restarted
 * without persistence): written back when it can, never over a newer one (`NX`).
 */
export class WriteBack {
  readonly #connection: RedisConnection;
  readonly #keys: RedisKeys;
  readonly #local: RelayStore;
  readonly #max: number;
  readonly #retainMs: () => number;
  readonly #unsaved = new Set<string>();

  constructor(
    connection: RedisConnection,
    keys: RedisKeys,
    local: RelayStore,
    settings: { maxEntries: number; retainMs: () => number },
  ) {
    this.#connection = connection;
    this.#keys = keys;
    this.#local = local;
    this.#max = settings.maxEntries;
    this.#retainMs = settings.retainMs;
  }

  /** Remembers a count Redis does not hold, bounded like the memory it comes from. */
  keep(sessionId: string): void {
    if (this.#unsaved.size >= this.#max) return;
    this.#unsaved.add(sessionId);
  }

  /** Redis holds the session's count now. */
  saved(sessionId: string): void {
    this.#unsaved.delete(sessionId);
  }

  /** Writes one count now, or keeps it for later when Redis is away. */
  async write(sessionId: string, entry: CachedCount): Promise<void> {
    if ((await this.#setIfMissing(sessionId, entry)) === DOWN) this.keep(sessionId);
  }

  /** Writes back every count kept, until Redis fails again. */
  async flush(): Promise<void> {
    for (const sessionId of [...this.#unsaved]) {
      const entry = await this.#local.getCount(sessionId);
      if (entry === undefined) {
        this.#unsaved.delete(sessionId);
        continue;
      }
      if ((await this.#setIfMissing(sessionId, entry)) === DOWN) return;
      this.#unsaved.delete(sessionId);
    }
  }

  #setIfMissing(sessionId: string, entry: CachedCount) {
    const key = this.#keys.count(sessionId);
    return this.#connection.attempt(() =>
      this.#connection.client.set(key, encode(entry), 'PX', this.#retainMs(), 'NX'),
    );
  }
}
