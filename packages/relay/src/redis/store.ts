import { memoryStore } from '../memoryStore';
import type {
  CachedCount,
  RelayMessage,
  RelayStore,
  RelayStoreContext,
  SharedLimits,
  StoreHealth,
} from '../types';
import { BudgetCounters } from './budgetCounters';
import { Channel } from './channel';
import { decode, encode } from './codec';
import { DOWN, RedisConnection } from './connection';
import { misconfigured, RedisKeys } from './keys';
import { Leases } from './leases';
import type { RedisClientLike, RedisSubscriberLike } from './types';
import { WriteBack } from './writeBack';

/** `redisStore`'s options, checked and defaulted. */
export interface RedisStoreSettings {
  readonly client: RedisClientLike;
  readonly subscriber: RedisSubscriberLike | undefined;
  readonly prefix: string;
  readonly websiteId: string | undefined;
  readonly timeoutMs: number;
  /** Whether the store times commands itself (the client has no `commandTimeout`). */
  readonly ownDeadline: boolean;
  readonly maxLocalEntries: number;
  readonly now: (() => number) | undefined;
}

const keepMs = (ms: number) => Math.max(1, Math.ceil(ms));

/**
 * `redisStore`: Redis when it answers, this instance's memory when it does not. Each job is a part
 * of its own: the connection and its state, the budget counters, the leases, the channel, and the
 * write-back of counts served from memory; what is left here is the cache of counts and marks.
 */
export class RedisStore implements RelayStore {
  readonly #keys: RedisKeys;
  readonly #connection: RedisConnection;
  readonly #local: RelayStore;
  readonly #budgets: BudgetCounters;
  readonly #leases: Leases;
  readonly #channel: Channel;
  readonly #writeBack: WriteBack;
  #clock: (() => number) | undefined;
  readonly #clockGiven: boolean;
  /** The latest pause Crisp asked for that this instance knows of. */
  #pausedUntil: number | undefined;
  // The relay's `retainMs` (told by `attach`): copies from other instances and counts written
  // back after an outage are kept as long as the relay's own.
  #retainMs = 90 * 86_400_000;

  constructor(s: RedisStoreSettings) {
    this.#clock = s.now;
    this.#clockGiven = s.now !== undefined;
    const now = () => this.#now();
    const retainMs = () => this.#retainMs;
    this.#keys = new RedisKeys(s.prefix, s.websiteId);
    this.#local = memoryStore({ now, maxEntries: s.maxLocalEntries });
    this.#connection = new RedisConnection({
      client: s.client,
      subscriber: s.subscriber,
      keys: this.#keys,
      timeoutMs: s.timeoutMs,
      ownDeadline: s.ownDeadline,
      restore: () => this.#restore(),
      message: (from, text) => this.#channel.receive(from, text),
    });
    this.#budgets = new BudgetCounters(this.#connection, this.#keys);
    this.#leases = new Leases(this.#connection, this.#keys, this.#local, now);
    this.#channel = new Channel(this.#connection, this.#keys, this.#local, retainMs);
    this.#writeBack = new WriteBack(this.#connection, this.#keys, this.#local, {
      maxEntries: s.maxLocalEntries,
      retainMs,
    });
    if (this.#keys.websiteId) this.#connection.start();
  }

  attach(context: RelayStoreContext): void {
    const id = context.websiteId.toLowerCase();
    const mine = this.#keys.websiteId;
    if (mine && mine !== id) {
      misconfigured(`this store belongs to website ${mine}; use one store per website.`);
    }
    this.#keys.websiteId = id;
    this.#connection.log = context.log;
    if (typeof context.retainMs === 'number' && context.retainMs > 0) {
      this.#retainMs = context.retainMs;
    }
    if (!this.#clockGiven && context.now) this.#clock = context.now;
    this.#connection.start();
  }

  sharedLimits(): SharedLimits | undefined {
    const { client } = this.#connection;
    // ioredis defines commands (the limiter's Lua script); a client without them keeps the
    // limits in memory.
    if (typeof client.defineCommand !== 'function') return;
    return {
      client,
      keyPrefix: this.#keys.limits(),
      timeoutMs: this.#connection.timeoutMs,
      usable: () => this.#connection.usable(),
    };
  }

  async getCount(sessionId: string): Promise<CachedCount | undefined> {
    const key = this.#keys.count(sessionId);
    const text = await this.#command(() => this.#connection.client.get(key));
    const shared = decode(text);
    if (shared) return shared;
    // Redis is down, or lost the key (restarted without persistence): this instance's copy,
    // written back at once when Redis answered, else when it returns.
    const mine = await this.#local.getCount(sessionId);
    if (mine === undefined) return undefined;
    if (text === null) await this.#writeBack.write(sessionId, mine);
    else this.#writeBack.keep(sessionId);
    return mine;
  }

  async setCount(sessionId: string, entry: CachedCount, retainMs: number): Promise<void> {
    await this.#local.setCount(sessionId, entry, retainMs);
    const key = this.#keys.count(sessionId);
    const ms = keepMs(retainMs);
    const done = await this.#command(() =>
      this.#connection.client.set(key, encode(entry), 'PX', ms),
    );
    if (done === DOWN) this.#writeBack.keep(sessionId);
    else this.#writeBack.saved(sessionId);
  }

  async deriveCount(
    sessionId: string,
    delta: number,
    at: number,
    retainMs: number,
  ): Promise<CachedCount | undefined> {
    const keys = [this.#keys.count(sessionId), this.#keys.changed(sessionId)];
    const ms = keepMs(retainMs);
    const text = await this.#command(() =>
      this.#connection.script('deriveCount', 2, ...keys, delta, at, ms),
    );
    if (text === DOWN) {
      const entry = await this.#local.deriveCount?.(sessionId, delta, at, retainMs);
      if (entry) this.#writeBack.keep(sessionId);
      return entry;
    }
    const entry = decode(text);
    if (!entry) return undefined;
    await this.#local.setCount(sessionId, entry, retainMs);
    await this.#local.markChanged(sessionId, entry.readAt, retainMs);
    return entry;
  }

  acquire(key: string, leaseMs: number): Promise<boolean> {
    return this.#leases.acquire(key, leaseMs);
  }

  release(key: string): Promise<void> {
    return this.#leases.release(key);
  }

  takeBudget(counter: string, limit: number): Promise<boolean> {
    return this.#budgets.take(counter, limit);
  }

  budgetUsed(counter: string, options?: { wait?: boolean }): Promise<number> {
    return this.#budgets.used(counter, options);
  }

  async markChanged(sessionId: string, at: number, retainMs: number): Promise<void> {
    await this.#local.markChanged(sessionId, at, retainMs);
    const key = this.#keys.changed(sessionId);
    await this.#keepLater(key, at, keepMs(retainMs));
  }

  async getChanged(sessionId: string): Promise<number | undefined> {
    const shared = await this.#time(this.#keys.changed(sessionId));
    const at = Math.max(shared, (await this.#local.getChanged(sessionId)) ?? 0);
    return at > 0 ? at : undefined;
  }

  async getPausedUntil(): Promise<number | undefined> {
    const until = Math.max(await this.#time(this.#keys.paused()), this.#pausedUntil ?? 0);
    return until > 0 ? until : undefined;
  }

  async setPausedUntil(until: number): Promise<void> {
    this.#pausedUntil = Math.max(this.#pausedUntil ?? 0, until);
    const ms = Math.ceil(until - this.#now());
    if (ms <= 0) return;
    await this.#keepLater(this.#keys.paused(), until, ms);
  }

  publish(message: RelayMessage): Promise<void> {
    return this.#channel.publish(message);
  }

  subscribe(
    sessionId: string,
    listener: (message: RelayMessage) => void,
  ): Promise<() => Promise<void>> {
    return this.#channel.subscribe(sessionId, listener);
  }

  async health(): Promise<StoreHealth> {
    // Answers at once: a PING in the background shows a hang in the next answer.
    if (this.#connection.usable()) {
      this.#command(() => this.#connection.client.ping()).catch(() => undefined);
    }
    const current = this.#connection.state();
    if (current === 'ok') return { status: 'ok' };
    return { status: 'degraded', redis: current === 'connecting' ? 'connecting' : 'unreachable' };
  }

  async close(): Promise<void> {
    if (this.#connection.closed) return;
    const closing = this.#connection.close();
    this.#leases.clear();
    await this.#local.close?.();
    await closing;
  }

  #now(): number {
    return (this.#clock ?? Date.now)();
  }

  #command<T>(run: () => Promise<T>) {
    return this.#connection.attempt(run);
  }

  /** A time (epoch ms) kept in Redis, `0` when there is none or Redis is away. */
  async #time(key: string): Promise<number> {
    const text = await this.#command(() => this.#connection.client.get(key));
    return typeof text === 'string' ? Number(text) || 0 : 0;
  }

  #keepLater(key: string, at: number, ms: number) {
    return this.#command(() => this.#connection.script('keepLater', 1, key, at, ms));
  }

  /**
   * Brings back what Redis lost or missed while it was away: the budget counters, and the counts
   * served from memory.
   */
  async #restore(): Promise<void> {
    await this.#budgets.flush();
    await this.#writeBack.flush();
  }
}
