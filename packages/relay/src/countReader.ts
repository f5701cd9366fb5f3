import { isUnreadError, type UnreadSource } from '@crisp-unread/core';
import type { CachedCount, RelayMessage, RelayStore, UpstreamFailure } from './types';

/** What a read of one session's count comes to. */
export type ReadOutcome =
  | {
      readonly kind: 'count';
      readonly entry: CachedCount & { count: number };
      readonly stale: boolean;
    }
  | { readonly kind: 'gone' }
  | { readonly kind: 'budget-exhausted'; readonly retryAfterMs: number }
  | { readonly kind: 'failed'; readonly failure: UpstreamFailure };

export interface CountReaderSettings {
  source: UnreadSource;
  store: RelayStore;
  ttlMs: number;
  dailyBudget: number;
  timeoutMs: number;
  rateLimitedPauseMs: number;
  now: () => number;
  log: (line: string) => void;
}

const dayMs = 86_400_000;
// Long enough to answer stale through a day of exhausted budget or an outage.
const retainMs = dayMs;

/** The UTC date of an epoch time, `YYYY-MM-DD`: the budget's day. */
export function utcDay(at: number): string {
  return new Date(at).toISOString().slice(0, 10);
}

/**
 * Reads counts through the cache: one upstream call per session per TTL at most, concurrent
 * reads coalesced (in this instance by a promise, across instances by a store lease), every
 * upstream call counted against the daily budget first.
 */
export class CountReader {
  readonly #s: CountReaderSettings;
  readonly #inflight = new Map<string, Promise<ReadOutcome>>();
  readonly #queued = new Map<string, Promise<ReadOutcome>>();
  // One controller per wait, not listeners on one shared signal (Node warns past 10 of those).
  readonly #controllers = new Set<AbortController>();
  #closed = false;
  upstreamCalls = 0;

  constructor(settings: CountReaderSettings) {
    this.#s = settings;
  }

  /** Cancels every upstream read and wait (the relay is closing). */
  abortAll(): void {
    this.#closed = true;
    for (const controller of this.#controllers) controller.abort();
    this.#controllers.clear();
  }

  #track(): AbortController {
    const controller = new AbortController();
    if (this.#closed) controller.abort();
    this.#controllers.add(controller);
    return controller;
  }

  /** Resolves once every read in flight has settled (their leases given back). */
  async settle(): Promise<void> {
    // Reads started after `abortAll` hold no lease and end at once: a few rounds are enough.
    for (let round = 0; round < 5; round++) {
      const pending = [...this.#inflight.values(), ...this.#queued.values()];
      if (pending.length === 0) return;
      await Promise.allSettled(pending);
    }
  }

  #fresh(entry: CachedCount | undefined): entry is CachedCount {
    return entry !== undefined && this.#s.now() - entry.readAt < this.#s.ttlMs;
  }

  /** The count, from the cache while it is younger than the TTL. */
  async read(sessionId: string): Promise<ReadOutcome> {
    const inflight = this.#inflight.get(sessionId);
    if (inflight) return inflight;
    const cached = await this.#s.store.getCount(sessionId);
    if (this.#fresh(cached)) return fromCache(cached, false);
    // Another caller may have started the read while this one waited for the store.
    return this.#inflight.get(sessionId) ?? this.#readShared(sessionId, 'read');
  }

  /**
   * Reads Crisp again whatever the TTL (a web hook said the count changed). A read already in
   * flight may have started before the change, so one more follows it, shared by every refresh
   * asked for meanwhile.
   */
  refresh(sessionId: string): Promise<ReadOutcome> {
    const queued = this.#queued.get(sessionId);
    if (queued) return queued;
    const inflight = this.#inflight.get(sessionId);
    if (!inflight) return this.#readShared(sessionId, 'refresh');
    const next = inflight
      .catch(() => undefined)
      .then(() => {
        this.#queued.delete(sessionId);
        return this.#inflight.get(sessionId) ?? this.#readShared(sessionId, 'refresh');
      });
    this.#queued.set(sessionId, next);
    return next;
  }

  #readShared(sessionId: string, mode: ReadMode): Promise<ReadOutcome> {
    const promise = this.#readUpstream(sessionId, mode).finally(() => {
      if (this.#inflight.get(sessionId) === promise) this.#inflight.delete(sessionId);
    });
    this.#inflight.set(sessionId, promise);
    return promise;
  }

  /**
   * One read across every instance sharing the store: the holder of the session's lease calls
   * Crisp, the others wait for what it publishes. A lease expires (`timeoutMs` + 1 s), so an
   * instance that died holding one delays the others by that much at most.
   */
  async #readUpstream(sessionId: string, mode: ReadMode): Promise<ReadOutcome> {
    const { store } = this.#s;
    const lease = `read:${sessionId}`;
    const leaseMs = this.#s.timeoutMs + 1000;
    if (this.#closed) return fallback(await store.getCount(sessionId), { code: 'network' });
    let last: RelayMessage | undefined;
    for (let attempt = 0; ; attempt++) {
      if (await store.acquire(lease, leaseMs)) return this.#readHolding(sessionId, mode, lease);
      const waited = await this.#awaitHolder(sessionId, mode, lease, leaseMs);
      if (waited === 'acquired') return this.#readHolding(sessionId, mode, lease);
      if (waited.kind === 'outcome') return waited.outcome;
      if (waited.message) last = waited.message;
      // A web hook's refresh wants a read that started after it: it tries to read itself twice
      // (the holder's read may predate the change), then takes what the last holder published.
      if (attempt >= 2 || waited.aborted) {
        if (last && 'entry' in last) return fromCache(last.entry, false);
        return fallback(await store.getCount(sessionId), { code: 'timeout' });
      }
    }
  }

  /** Reads Crisp while holding the session's lease; publishes the result, then gives it back. */
  async #readHolding(sessionId: string, mode: ReadMode, lease: string): Promise<ReadOutcome> {
    const { store, now } = this.#s;
    let published = false;
    try {
      const cached = await store.getCount(sessionId);
      // Another instance may have read it between our cache check and the lease.
      if (mode === 'read' && this.#fresh(cached)) return fromCache(cached, false);
      const pausedUntil = await store.getPausedUntil();
      if (pausedUntil !== undefined && pausedUntil > now()) {
        return fallback(cached, {
          code: 'rate-limited',
          status: 429,
          retryAfterMs: pausedUntil - now(),
        });
      }
      if (!(await store.takeBudget(utcDay(now()), this.#s.dailyBudget))) {
        const at = now();
        const retryAfterMs = dayMs - (at % dayMs);
        if (cached?.count != null) return fromCache(cached, true);
        return { kind: 'budget-exhausted', retryAfterMs };
      }
      this.upstreamCalls++;
      let count: number;
      const controller = this.#track();
      try {
        count = await this.#s.source.read(sessionId, { signal: controller.signal });
      } catch (error) {
        // The relay is closing: not Crisp's failure; waiters read themselves (see `finally`).
        if (controller.signal.aborted) return fallback(cached, { code: 'network' });
        const failure = toFailure(error);
        if (failure.code === 'session-not-found') {
          published = true;
          await this.#save(sessionId, null, cached);
          return { kind: 'gone' };
        }
        if (failure.code === 'rate-limited') {
          await store.setPausedUntil(now() + (failure.retryAfterMs ?? this.#s.rateLimitedPauseMs));
        }
        this.#s.log(
          `crisp-unread relay: reading ${sessionId} failed: ${failure.code}${failure.status ? ` (${failure.status})` : ''}`,
        );
        published = true;
        await store.publish({ sessionId, failure });
        return fallback(cached, failure);
      } finally {
        this.#controllers.delete(controller);
      }
      published = true;
      const entry = await this.#save(sessionId, count, cached);
      return fromCache(entry, false);
    } finally {
      await store.release(lease);
      // Nothing read (cache, pause, budget, closing): instances waiting on the lease read themselves.
      if (!published) await store.publish({ sessionId, released: true });
    }
  }

  async #save(
    sessionId: string,
    count: number | null,
    cached: CachedCount | undefined,
  ): Promise<CachedCount> {
    const at = this.#s.now();
    const entry: CachedCount = {
      count,
      readAt: at,
      changedAt:
        cached && cached.count === count
          ? cached.changedAt
          : Math.max(at, (cached?.changedAt ?? 0) + 1),
    };
    await this.#s.store.setCount(sessionId, entry, retainMs);
    await this.#s.store.publish({ sessionId, entry });
    return entry;
  }

  /**
   * Another instance holds the lease: waits for what it publishes (or for the lease to expire).
   * `'acquired'` when the lease came free meanwhile and is now ours.
   */
  async #awaitHolder(
    sessionId: string,
    mode: ReadMode,
    lease: string,
    leaseMs: number,
  ): Promise<
    | 'acquired'
    | { kind: 'outcome'; outcome: ReadOutcome }
    | { kind: 'retry'; message: RelayMessage | undefined; aborted: boolean }
  > {
    const { store } = this.#s;
    let settle: (message: RelayMessage | undefined) => void = () => {};
    const published = new Promise<RelayMessage | undefined>((resolve) => {
      settle = resolve;
    });
    const unsubscribe = await store.subscribe(sessionId, (message) => settle(message));
    const timer = setTimeout(() => settle(undefined), leaseMs);
    const controller = this.#track();
    controller.signal.addEventListener('abort', () => settle(undefined), { once: true });
    if (controller.signal.aborted) settle(undefined);
    try {
      const cached = await store.getCount(sessionId);
      if (mode === 'read' && this.#fresh(cached)) {
        return { kind: 'outcome', outcome: fromCache(cached, false) };
      }
      // The holder may have finished before we subscribed: its lease is free again then.
      if (await store.acquire(lease, leaseMs)) return 'acquired';
      const message = await published;
      if (message && 'failure' in message) {
        return {
          kind: 'outcome',
          outcome: fallback(await store.getCount(sessionId), message.failure),
        };
      }
      if (mode === 'read' && message && 'entry' in message) {
        return { kind: 'outcome', outcome: fromCache(message.entry, false) };
      }
      return { kind: 'retry', message, aborted: controller.signal.aborted };
    } finally {
      clearTimeout(timer);
      this.#controllers.delete(controller);
      await unsubscribe();
    }
  }
}

type ReadMode = 'read' | 'refresh';

function fromCache(entry: CachedCount, stale: boolean): ReadOutcome {
  if (entry.count === null) return { kind: 'gone' };
  return { kind: 'count', entry: entry as CachedCount & { count: number }, stale };
}

/** A failed read answers the last known count as stale, except for credential failures. */
function fallback(cached: CachedCount | undefined, failure: UpstreamFailure): ReadOutcome {
  const credentials = failure.code === 'unauthorized' || failure.code === 'forbidden';
  if (!credentials && cached?.count != null) return fromCache(cached, true);
  return { kind: 'failed', failure };
}

function toFailure(error: unknown): UpstreamFailure {
  if (isUnreadError(error)) {
    return { code: error.code, status: error.status, retryAfterMs: error.retryAfterMs };
  }
  return { code: 'network' };
}
