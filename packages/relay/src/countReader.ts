import type { CrispRestSource } from '@crisp-unread/core';
import type { Budget } from './budget';
import type { FailureMemory } from './failureMemory';
import { isFresh, isStale, shareOf } from './freshness';
import { waitForPublished } from './leaseWait';
import type { RelayMetrics } from './metrics';
import {
  assumedCount,
  fallback,
  fromCache,
  gone,
  type HookEffect,
  type ReadMode,
  type ReadOutcome,
  toFailure,
} from './readOutcome';
import type {
  BudgetShareName,
  CachedCount,
  RelayMessage,
  RelayStore,
  UpstreamFailure,
} from './types';
import type { CallResult, UpstreamGate } from './upstreamGate';
import type { UpstreamHealth } from './upstreamHealth';

export type { HookEffect, ReadOutcome } from './readOutcome';

export interface CountReaderSettings {
  source: CrispRestSource;
  store: RelayStore;
  budget: Budget;
  gate: UpstreamGate;
  failures: FailureMemory;
  /** How old a count may be and still be fresh: `safetyRefreshMs` with web hooks, else `ttlMs`. */
  maxAgeMs: number;
  /** How long a count and a web hook's mark are kept (`retainMs`). */
  retainMs: number;
  timeoutMs: number;
  now: () => number;
  log: (line: string) => void;
  /** Told of each client read and each upstream call, when the relay exports metrics. */
  metrics?: RelayMetrics | undefined;
  /** Whether web hooks are configured: then only a hook's mark (or a failure) makes a count stale. */
  webhooks: boolean;
  /**
   * Answer a session no hook has named and never read `count: 0, assumed: true` when the budget
   * cannot pay for its first read (`assumeUnseenSessions`, with web hooks only).
   */
  assumeUnseen: boolean;
  /**
   * After a hook-asked read that Crisp's cache answered (`Bloom-Status: HIT`) with the count
   * unchanged, when to read once more (ms), or `false` never.
   */
  cacheHitRereadMs: number | false;
  /** The `Bloom-Status` of the session's last answer, taken (read once), or `null`. */
  takeBloomStatus(sessionId: string): string | null;
  /** Told of every upstream answer and failure (`/healthz`). */
  upstream: UpstreamHealth;
}

/**
 * Reads counts through the cache: a fresh count is answered from it, an outdated one at once
 * (stale) while it is read again in the background, only a cold session waits for Crisp.
 * Concurrent reads are coalesced (in this instance by a promise, across instances by a store
 * lease), every upstream call passes the gate (pauses, probes, concurrency) and is counted against
 * its budget share first, and a session whose read failed is not read again for a while.
 */
export class CountReader {
  readonly #s: CountReaderSettings;
  readonly #inflight = new Map<string, Promise<ReadOutcome>>();
  readonly #queued = new Map<string, Promise<ReadOutcome>>();
  // One controller per wait, not listeners on one shared signal (Node warns past 10 of those).
  readonly #controllers = new Set<AbortController>();
  /** The one re-read after a cache HIT, per session. */
  readonly #rechecks = new Map<string, ReturnType<typeof setTimeout>>();
  #closed = false;
  upstreamCalls = 0;
  /** Counts raised by a hook's word, and what the reads that landed on them found (`/healthz`). */
  readonly derived = { applied: 0, verified: 0, wrong: 0 };
  /** Answers assumed without a read (`/healthz`). */
  assumedAnswers = 0;

  constructor(settings: CountReaderSettings) {
    this.#s = settings;
  }

  /** Cancels every upstream read and wait (the relay is closing). */
  abortAll(): void {
    this.#closed = true;
    this.#s.gate.close();
    for (const timer of this.#rechecks.values()) clearTimeout(timer);
    this.#rechecks.clear();
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

  async #look(sessionId: string) {
    const [cached, changedAt] = await Promise.all([
      this.#s.store.getCount(sessionId),
      this.#s.store.getChanged(sessionId),
    ]);
    return {
      cached,
      changedAt,
      fresh: isFresh(cached, changedAt, this.#s.now(), this.#s.maxAgeMs),
    };
  }

  /**
   * A client's read: the cached count, outdated or not (then `stale` while it is read again in
   * the background); a cold session waits for Crisp.
   */
  async read(sessionId: string): Promise<ReadOutcome> {
    const started = await this.start(sessionId);
    return 'now' in started ? started.now : started.later;
  }

  /**
   * A client's read, told apart: what the cache (or a remembered failure) answers `now`, or the
   * read of Crisp a cold session waits for, `later`.
   */
  async start(sessionId: string): Promise<{ now: ReadOutcome } | { later: Promise<ReadOutcome> }> {
    const { cached, changedAt, fresh } = await this.#look(sessionId);
    this.#s.metrics?.cacheRead(fresh ? 'hit' : cached ? 'stale' : 'miss');
    if (fresh) return { now: fromCache(cached!, false) };
    const remembered = this.#s.failures.recall(sessionId);
    if (remembered) return { now: fallback(cached, remembered) };
    const reading = this.#revalidate(sessionId);
    if (cached === undefined) return { later: reading };
    reading.catch(() => undefined);
    return { now: fromCache(cached, isStale(cached, changedAt, this.#s.webhooks)) };
  }

  /**
   * A `session:removed` hook: the conversation is gone. Its count is dropped for a `removed`
   * entry (streams get `gone`, reads answer 404 from it with no call) until a later hook names
   * the session again.
   */
  async remove(sessionId: string): Promise<void> {
    const { store, now } = this.#s;
    const cached = await store.getCount(sessionId);
    const at = now();
    const entry: CachedCount = {
      count: null,
      readAt: at,
      changedAt: Math.max(at, (cached?.changedAt ?? 0) + 1),
      removed: true,
    };
    this.#s.failures.forget(sessionId);
    clearTimeout(this.#rechecks.get(sessionId));
    this.#rechecks.delete(sessionId);
    await store.setCount(sessionId, entry, this.#s.retainMs);
    await store.publish({ sessionId, entry });
  }

  /** The count once it is fresh: read again (coalesced) when outdated. For the watchers. */
  async current(sessionId: string): Promise<ReadOutcome> {
    const { cached, fresh } = await this.#look(sessionId);
    if (fresh) return fromCache(cached!, false);
    return this.#revalidate(sessionId);
  }

  /** Reads Crisp unless the count became fresh meanwhile, sharing a read already in flight. */
  #revalidate(sessionId: string): Promise<ReadOutcome> {
    return this.#inflight.get(sessionId) ?? this.#readShared(sessionId, 'read');
  }

  /**
   * A web hook said the session changed. What its event says is taken at its word where the
   * relay holds the count it applies to (see `derive`); otherwise the session is marked, then
   * re-read when this instance watches it or a count is cached (`null` otherwise: the next demand
   * reads it, from the hooks share).
   */
  async hook(sessionId: string, watched: boolean, effect: HookEffect): Promise<ReadOutcome | null> {
    const derived = effect === 'unknown' ? undefined : await this.#derive(sessionId, effect);
    if (derived === 'unaffected') return null;
    if (derived) return derived;
    await this.#s.store.markChanged(sessionId, this.#s.now(), this.#s.retainMs);
    if (!watched && (await this.#s.store.getCount(sessionId)) === undefined) return null;
    return this.refresh(sessionId);
  }

  /**
   * A hook whose effect is known, applied without a read: an operator's message raises the
   * cached count by one (published to every stream), the visitor's own leaves it as it is. Not
   * when no count is cached, a hook's re-read is pending or in flight (the base is not known), or
   * the store cannot derive: `undefined` then, and the hook is a read as before. The visitor's
   * own message on a session the relay knows nothing of (never read, never marked) changes no
   * count it could hold: `'unaffected'`, nothing marked, nothing read.
   */
  async #derive(
    sessionId: string,
    effect: 'raise' | 'none',
  ): Promise<ReadOutcome | 'unaffected' | undefined> {
    const { store, now } = this.#s;
    if (!store.deriveCount || this.#inflight.has(sessionId) || this.#queued.has(sessionId)) {
      return undefined;
    }
    if (effect === 'none') {
      const { cached, changedAt } = await this.#look(sessionId);
      if (cached === undefined && changedAt === undefined) return 'unaffected';
      if (cached?.count == null || cached.removed || isStale(cached, changedAt, true)) return;
      return fromCache(cached, false);
    }
    const entry =
      (await store.deriveCount(sessionId, 1, now(), this.#s.retainMs)) ??
      (await this.#raiseAssumed(sessionId));
    if (!entry) return undefined;
    this.derived.applied++;
    this.#s.failures.forget(sessionId);
    await store.publish({ sessionId, entry });
    this.#verifyLater(sessionId);
    return fromCache(entry, false);
  }

  /**
   * An operator's message on a session no hook named before and the relay never read, while first
   * reads are paced out (a client's read would be answered `assumed` too): from the assumption
   * that it had no unread message, its count is 1, still marked `assumed` until a read (the check
   * below) replaces it. While first reads have room, the hook reads the session as before. One
   * instance writes it (a lease); a hook that meets the lease taken, a count or a mark reads.
   */
  async #raiseAssumed(sessionId: string): Promise<CachedCount | undefined> {
    const { store, now, retainMs } = this.#s;
    if (!this.#s.assumeUnseen || !this.#s.budget.pacedOut('firstReads')) return;
    if ((await store.getChanged(sessionId)) !== undefined) return;
    const lease = `assume:${sessionId}`;
    if (!(await store.acquire(lease, 5000))) return;
    try {
      if ((await store.getCount(sessionId)) !== undefined) return;
      const at = now();
      const entry: CachedCount = {
        count: 1,
        readAt: at,
        changedAt: at,
        derived: true,
        assumed: true,
      };
      await store.setCount(sessionId, entry, retainMs);
      await store.markChanged(sessionId, at, retainMs);
      return entry;
    } finally {
      await store.release(lease);
    }
  }

  /**
   * A derived count is checked by one read `derivedCheckMs` later (past Crisp's cache of the
   * count before the message), from the `safety` share: only when its paced allowance has room,
   * so the check never takes a call another read needs. Any read that lands on a derived count
   * (this one, a safety refresh, another hook's) counts as its verification.
   */
  #verifyLater(sessionId: string): void {
    if (this.#closed || this.#rechecks.has(sessionId)) return;
    const timer = setTimeout(() => {
      this.#rechecks.delete(sessionId);
      if (this.#closed || this.#inflight.has(sessionId)) return;
      this.#readShared(sessionId, 'verify').catch(() => undefined);
    }, derivedCheckMs);
    this.#rechecks.set(sessionId, timer);
  }

  /**
   * Reads Crisp again whatever the cache says (a web hook said the count changed). A read already
   * in flight may have started before the change, so one more follows it, shared by every refresh
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
    const holding: Holding = { sessionId, published: false, result: 'skipped' };
    try {
      const { cached, changedAt, fresh } = await this.#look(sessionId);
      // Another instance may have read it between our cache check and the lease.
      if (mode === 'read' && fresh) return fromCache(cached!, false);
      // A check of a derived count that a read (or another hook's word) already replaced.
      if (mode === 'verify' && !cached?.derived) return fromCache(cached ?? gone, false);
      const remembered = this.#s.failures.recall(sessionId);
      if (remembered) return await this.#refuse(holding, cached, remembered);
      const admission = await this.#s.gate.admit();
      if (admission.kind === 'paused')
        return await this.#refuse(holding, cached, admission.failure);
      try {
        const share =
          mode === 'read' ? shareOf(cached, changedAt) : mode === 'verify' ? 'safety' : 'hooks';
        const retryAfterMs = await this.#s.budget.take(share);
        if (retryAfterMs > 0) return this.#unpaid(mode, cached, changedAt, retryAfterMs);
        return await this.#callCrisp(holding, mode, share, cached);
      } finally {
        await admission.done(holding.result);
      }
    } finally {
      await this.#s.store.release(lease);
      // Nothing read (cache, budget, closing): instances waiting on the lease read themselves.
      if (!holding.published) await this.#s.store.publish({ sessionId, released: true });
    }
  }

  /** A failure answered, and published so that waiting instances answer the same. */
  async #refuse(
    holding: Holding,
    cached: CachedCount | undefined,
    failure: UpstreamFailure,
  ): Promise<ReadOutcome> {
    holding.published = true;
    await this.#s.store.publish({ sessionId: holding.sessionId, failure });
    return fallback(cached, failure);
  }

  /** No budget for the read: the cached count as it is, an assumed one, or the budget's wait. */
  #unpaid(
    mode: ReadMode,
    cached: CachedCount | undefined,
    changedAt: number | undefined,
    retryAfterMs: number,
  ): ReadOutcome {
    if (cached) return fromCache(cached, isStale(cached, changedAt, this.#s.webhooks));
    // Never read and never named by a hook: no event changed its count while hooks came in.
    if (mode === 'read' && changedAt === undefined && this.#s.assumeUnseen) {
      this.assumedAnswers++;
      return assumedCount(this.#s.now());
    }
    return { kind: 'budget-exhausted', retryAfterMs };
  }

  /** The upstream call itself, paid for: its count saved and published, or its failure. */
  async #callCrisp(
    holding: Holding,
    mode: ReadMode,
    share: BudgetShareName,
    cached: CachedCount | undefined,
  ): Promise<ReadOutcome> {
    const { sessionId } = holding;
    this.upstreamCalls++;
    const startedAt = this.#s.now();
    let count: number;
    const controller = this.#track();
    try {
      count = await this.#s.source.read(sessionId, { signal: controller.signal });
      holding.result = 'answered';
      this.#s.metrics?.upstreamCall(share, 'ok');
    } catch (error) {
      // The relay is closing: not Crisp's failure; waiters read themselves (see `#readHolding`).
      if (controller.signal.aborted) return fallback(cached, { code: 'network' });
      return await this.#callFailed(holding, share, cached, toFailure(error), startedAt);
    } finally {
      this.#controllers.delete(controller);
    }
    this.#s.failures.forget(sessionId);
    this.#s.upstream.answered(this.#s.now());
    holding.published = true;
    const hit = this.#s.takeBloomStatus(sessionId)?.toUpperCase() === 'HIT';
    const hookAsked = mode === 'refresh' || (mode === 'read' && share === 'hooks');
    if (hit && hookAsked && cached?.count === count) this.#recheck(sessionId);
    const entry = await this.#save(sessionId, count, cached, startedAt);
    return fromCache(entry, false);
  }

  /** Crisp said no: a gone session is saved as such, any other failure remembered and refused. */
  async #callFailed(
    holding: Holding,
    share: BudgetShareName,
    cached: CachedCount | undefined,
    failure: UpstreamFailure,
    startedAt: number,
  ): Promise<ReadOutcome> {
    const { sessionId } = holding;
    const { now } = this.#s;
    this.#s.metrics?.upstreamCall(share, failure.code);
    if (failure.code === 'session-not-found') {
      holding.result = 'answered';
      this.#s.upstream.answered(now());
      holding.published = true;
      await this.#save(sessionId, null, cached, startedAt);
      return { kind: 'gone' };
    }
    holding.result = { failure };
    // A setup error (key, tier, subscription) fails every read alike: logged once, there.
    if (!this.#s.upstream.failed(failure, now())) {
      this.#s.log(
        `crisp-unread relay: reading ${sessionId} failed: ${failure.code}${failure.status ? ` (${failure.status})` : ''}`,
      );
    }
    this.#s.failures.remember(sessionId, failure);
    return await this.#refuse(holding, cached, failure);
  }

  /**
   * Crisp's cache answered a read a web hook asked for, with the count unchanged: that is no proof
   * of "no change". One more read, `cacheHitRereadMs` later, from the hooks share; a HIT on that
   * one asks for nothing more (mode `recheck`), so a hook costs at most one extra call.
   */
  #recheck(sessionId: string): void {
    const delayMs = this.#s.cacheHitRereadMs;
    if (delayMs === false || this.#closed || this.#rechecks.has(sessionId)) return;
    const timer = setTimeout(() => {
      this.#rechecks.delete(sessionId);
      if (this.#closed || this.#inflight.has(sessionId)) return;
      this.#readShared(sessionId, 'recheck').catch(() => undefined);
    }, delayMs);
    this.#rechecks.set(sessionId, timer);
  }

  async #save(
    sessionId: string,
    count: number | null,
    cached: CachedCount | undefined,
    readAt: number,
  ): Promise<CachedCount> {
    const at = this.#s.now();
    // A read that started after the hook's word, with no later hook's mark, checks it.
    if (
      cached?.derived &&
      cached.count !== null &&
      readAt >= cached.readAt &&
      ((await this.#s.store.getChanged(sessionId)) ?? 0) <= cached.readAt
    ) {
      this.derived.verified++;
      if (count !== cached.count) {
        this.derived.wrong++;
        this.#s.log(
          `crisp-unread relay: a count derived from a web hook was ${cached.count}, Crisp says ${count ?? 'no session'}`,
        );
      }
    }
    const entry: CachedCount = {
      count,
      // When the call started: a web hook that came in during the call may name a later change.
      readAt,
      // An assumed count a read confirmed is new to the streams all the same: it loses its mark.
      changedAt:
        cached && cached.count === count && !cached.assumed
          ? cached.changedAt
          : Math.max(at, (cached?.changedAt ?? 0) + 1),
    };
    await this.#s.store.setCount(sessionId, entry, this.#s.retainMs);
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
    const controller = this.#track();
    try {
      const waited = await waitForPublished(store, sessionId, {
        timeoutMs: leaseMs,
        signal: controller.signal,
        meanwhile: async () => {
          const { cached, fresh } = await this.#look(sessionId);
          if (mode === 'read' && fresh) {
            return { kind: 'outcome' as const, outcome: fromCache(cached!, false) };
          }
          // The holder may have finished before we subscribed: its lease is free again then.
          return (await store.acquire(lease, leaseMs)) ? ('acquired' as const) : undefined;
        },
      });
      if ('early' in waited) return waited.early;
      const { message } = waited;
      if (message && 'failure' in message) {
        this.#s.failures.remember(sessionId, message.failure);
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
      this.#controllers.delete(controller);
    }
  }
}

/** How long after a derived count its check may read Crisp. */
const derivedCheckMs = 10_000;

/** One read under a session's lease: whether waiters were told, and what the gate hears. */
interface Holding {
  readonly sessionId: string;
  published: boolean;
  result: CallResult;
}
