import type { RedisConnection } from './connection';
import type { RedisKeys } from './keys';

const budgetKeepMs = 2 * 86_400_000;

/** This instance's view of one shared counter. */
interface Counter {
  /** The highest value seen in Redis. */
  seen: number;
  /** Calls counted here while Redis was away, not yet added to it. */
  pending: number;
  reading?: Promise<void> | undefined;
}

/**
 * The daily budget's counters (`YYYY-MM-DD:<share>`), one Redis key each, taken by a Lua script
 * so that concurrent instances never pass the limit. While Redis is away this instance spends from
 * what it last saw, and adds what it spent when Redis returns.
 */
export class BudgetCounters {
  readonly #connection: RedisConnection;
  readonly #keys: RedisKeys;
  readonly #counters = new Map<string, Counter>();

  constructor(connection: RedisConnection, keys: RedisKeys) {
    this.#connection = connection;
    this.#keys = keys;
  }

  async take(counter: string, limit: number): Promise<boolean> {
    const budget = this.#counter(counter);
    const took = await this.#sync(counter, budget, limit);
    if (took !== undefined) return took;
    // Redis unreachable: spend from what this instance last saw of the shared counter.
    if (budget.seen + budget.pending >= limit) return false;
    budget.pending++;
    return true;
  }

  async used(counter: string, { wait = true }: { wait?: boolean } = {}): Promise<number> {
    const budget = this.#counter(counter);
    const key = this.#keys.budget(counter);
    budget.reading ??= this.#connection
      .attempt(() => this.#connection.client.get(key), false)
      .then((text) => {
        if (typeof text === 'string') budget.seen = Math.max(budget.seen, Number(text) || 0);
        budget.reading = undefined;
      });
    const reading = budget.reading;
    // `/healthz` never waits on Redis: the figure last read, this read landing for the next.
    if (wait) await reading;
    return budget.seen + budget.pending;
  }

  /**
   * Brings back what Redis lost or missed while it was away: this instance's view of each counter
   * (a Redis restarted without persistence lost it, spent meanwhile or not) plus what it counted
   * meanwhile (limit 0: nothing is taken).
   */
  async flush(): Promise<void> {
    for (const [counter, budget] of this.#counters) {
      // `floor` = what this instance saw: a counter Redis lost comes back even with nothing pending.
      if (budget.pending === 0 && budget.seen === 0) continue;
      if ((await this.#sync(counter, budget, 0)) === undefined) return;
    }
  }

  /**
   * The script on one counter: the pending calls added, the floor kept, one call taken if under
   * `limit`. Whether it took one, or `undefined` when Redis could not be used.
   */
  async #sync(counter: string, budget: Counter, limit: number): Promise<boolean | undefined> {
    const pending = budget.pending;
    const key = this.#keys.budget(counter);
    const result = await this.#connection.attempt(() =>
      this.#connection.script('takeBudget', 1, key, limit, budget.seen, pending, budgetKeepMs),
    );
    if (!Array.isArray(result) || result.length !== 2) return undefined;
    budget.pending -= pending;
    budget.seen = Math.max(budget.seen, Number(result[1]) || 0);
    return Number(result[0]) === 1;
  }

  #counter(name: string): Counter {
    let budget = this.#counters.get(name);
    if (!budget) {
      budget = { seen: 0, pending: 0 };
      // Counters are `YYYY-MM-DD:<share>`: those of earlier days are done with.
      const day = name.slice(0, 10);
      for (const other of this.#counters.keys()) {
        if (other.slice(0, 10) < day) this.#counters.delete(other);
      }
      this.#counters.set(name, budget);
    }
    return budget;
  }
}
