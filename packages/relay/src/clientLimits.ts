import type { RateLimiterAbstract, RateLimiterRes } from 'rate-limiter-flexible';
import RateLimiterMemory from 'rate-limiter-flexible/lib/RateLimiterMemory.js';
import RateLimiterRedis from 'rate-limiter-flexible/lib/RateLimiterRedis.js';
import type { SharedLimits } from './types';
import { within } from './within';

/** A limit of `points` per `durationS` seconds per key; `blockS` holds a key past its points. */
export interface LimitWindow {
  points: number;
  durationS: number;
  blockS?: number | undefined;
}

/**
 * One per-client limit on `rate-limiter-flexible`: its memory limiter, or its Redis limiter when
 * the relay's store shares one (every instance on that Redis counts against one limit), with the
 * memory limiter as its `insuranceLimiter` while Redis is away.
 */
export class ClientLimit {
  readonly #memory: RateLimiterAbstract;
  readonly #redis: RateLimiterAbstract | null;
  readonly #shared: SharedLimits | undefined;

  constructor(name: string, window: LimitWindow, shared: SharedLimits | undefined) {
    const options = {
      points: window.points,
      duration: window.durationS,
      blockDuration: window.blockS ?? 0,
    };
    this.#memory = new RateLimiterMemory({ ...options, keyPrefix: name });
    this.#shared = shared;
    this.#redis = shared
      ? new RateLimiterRedis({
          ...options,
          storeClient: shared.client,
          keyPrefix: `${shared.keyPrefix}${name}`,
          // A Redis that is connecting or gone: the memory limiter at once, not a queued command.
          rejectIfRedisNotReady: true,
          insuranceLimiter: this.#memory,
        })
      : null;
  }

  /** Takes `points` from `key`: `0` when taken, else the milliseconds until they may be. */
  async take(key: string, points = 1): Promise<number> {
    if (this.#redis && this.#shared?.usable()) {
      // Within the store's deadline: a frozen Redis answers nothing, and ioredis without
      // `commandTimeout` would hold the request until it did.
      const taken = await within(consumed(this.#redis, key, points), this.#shared.timeoutMs);
      if (taken !== 'late') return taken;
    }
    return consumed(this.#memory, key, points);
  }

  /** Gives back what `take` took (an authentic hook, a session Crisp knows). */
  async giveBack(key: string, points = 1): Promise<void> {
    const limiter = this.#redis && this.#shared?.usable() ? this.#redis : this.#memory;
    // Not awaited past the deadline: a point not given back stays taken until its window ends,
    // the stricter way to be wrong.
    const given = limiter.reward(key, points).then(
      () => 0,
      () => 0,
    );
    await within(given, this.#shared?.timeoutMs ?? 1000);
  }
}

/** `limiter.consume`: `0` when taken, else the wait; an Error (Redis and insurance both) lets through. */
async function consumed(
  limiter: RateLimiterAbstract,
  key: string,
  points: number,
): Promise<number> {
  try {
    await limiter.consume(key, points);
    return 0;
  } catch (refusal) {
    // A limit never turns into a 500.
    if (refusal instanceof Error) return 0;
    return Math.max(1, (refusal as RateLimiterRes).msBeforeNext);
  }
}

/**
 * A `{ burst, perSecond }` option as `rate-limiter-flexible` counts: `burst` points per window of
 * `burst / perSecond` seconds (whole seconds, as Redis keys expire), so the long-run rate is
 * `perSecond` and a client gets at most `burst` at once (twice across a window's edge).
 */
export function burstWindow(limit: { burst: number; perSecond: number }): LimitWindow {
  return {
    points: limit.burst,
    durationS: Math.max(1, Math.round(limit.burst / limit.perSecond)),
  };
}

/** `unknownSessionLimit` in `rate-limiter-flexible`'s terms: `strikes` per `forMs`, then blocked. */
export function strikesWindow(limit: { strikes: number; forMs: number }): LimitWindow {
  const seconds = Math.max(1, Math.round(limit.forMs / 1000));
  return { points: limit.strikes, durationS: seconds, blockS: seconds };
}
