import type { RateLimiter } from './rateLimiter';
import type { RelayStore } from './types';
import { isUnseenSession } from './unseenSession';

/**
 * The first-read limit: a request for a session the store holds no count for takes a token from
 * its client's bucket, as it will cost an upstream call. Requests for a session whose first read
 * is already admitted ride on that read (the reader coalesces them) and take nothing, so a burst
 * of visitors on one new session costs one token, not one each.
 */
export class FirstReads {
  readonly #limiter: RateLimiter;
  readonly #store: RelayStore;
  /** Sessions whose admitted first read is in flight, with how many requests wait on it. */
  readonly #reading = new Map<string, number>();
  /**
   * Sessions known to be cached, so that a cache hit costs no second store call (a Redis round
   * trip). The store keeps counts for a day; forgetting this set now and then only costs a look.
   */
  readonly #seen = new Set<string>();

  constructor(limiter: RateLimiter, store: RelayStore) {
    this.#limiter = limiter;
    this.#store = store;
  }

  /**
   * Admits a read of `sessionId` for `client`: the function to call once the read is over, or
   * the milliseconds until the client's bucket has a token again.
   */
  async admit(client: string, sessionId: string): Promise<(() => void) | number> {
    if (this.#seen.has(sessionId)) return () => {};
    if (!this.#reading.has(sessionId)) {
      if (!(await isUnseenSession(this.#store, sessionId))) {
        this.#remember(sessionId);
        return () => {};
      }
      // Checked again: another request may have been admitted while the store answered.
      if (!this.#reading.has(sessionId)) {
        const waitMs = this.#limiter.take(client);
        if (waitMs > 0) return waitMs;
      }
    }
    this.#reading.set(sessionId, (this.#reading.get(sessionId) ?? 0) + 1);
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const left = (this.#reading.get(sessionId) ?? 1) - 1;
      if (left > 0) this.#reading.set(sessionId, left);
      else this.#reading.delete(sessionId);
    };
  }

  #remember(sessionId: string): void {
    if (this.#seen.size >= 50_000) this.#seen.clear();
    this.#seen.add(sessionId);
  }
}
