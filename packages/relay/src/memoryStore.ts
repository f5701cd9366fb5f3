import type { CachedCount, RelayMessage, RelayStore } from './types';

/** Options of `memoryStore`. */
export interface MemoryStoreOptions {
  /** The clock (epoch ms), for tests. Defaults to the relay's `now`, else `Date.now`. */
  now?: (() => number) | undefined;
  /** Cached sessions kept at most; the oldest are forgotten first. Defaults to `100000`. */
  maxEntries?: number | undefined;
}

/** The default `RelayStore`: one process's memory. Expiry is checked on access, no timers. */
export function memoryStore(options: MemoryStoreOptions = {}): RelayStore {
  let clock = options.now;
  const now = () => (clock ?? Date.now)();
  const maxEntries = options.maxEntries ?? 100_000;
  const counts = countMemory(now, maxEntries);
  const leases = leaseMemory(now, maxEntries);
  const channel = localChannel();
  let pausedUntil: number | undefined;
  return {
    attach(context) {
      if (options.now === undefined && context.now) clock = context.now;
    },
    ...counts,
    ...leases,
    ...dailyBudgets(),
    ...channel,
    async getPausedUntil() {
      return pausedUntil;
    },
    async setPausedUntil(until) {
      pausedUntil = Math.max(pausedUntil ?? 0, until);
    },
    async close() {
      await Promise.all([counts.close(), leases.close(), channel.close()]);
    },
  };
}

type Clock = () => number;

/** Counts and change marks, and the hook's derivation from both. */
function countMemory(
  now: Clock,
  maxEntries: number,
): Pick<
  Required<RelayStore>,
  'getCount' | 'setCount' | 'markChanged' | 'getChanged' | 'deriveCount' | 'close'
> {
  const counts = expiringMap<CachedCount>(now, maxEntries);
  const marks = expiringMap<number>(now, maxEntries);
  return {
    async getCount(sessionId) {
      return counts.get(sessionId);
    },
    async setCount(sessionId, entry, retainMs) {
      counts.set(sessionId, entry, retainMs);
    },
    async markChanged(sessionId, at, retainMs) {
      marks.set(sessionId, Math.max(marks.get(sessionId) ?? 0, at), retainMs);
    },
    async getChanged(sessionId) {
      return marks.get(sessionId);
    },
    async deriveCount(sessionId, delta, at, retainMs) {
      // No await between the look and the write: atomic within this process.
      const cached = counts.get(sessionId);
      const mark = marks.get(sessionId) ?? 0;
      if (!cached || cached.count === null || cached.removed || mark > cached.readAt) {
        return undefined;
      }
      const entry = deriveEntry(cached, delta, at);
      counts.set(sessionId, entry, retainMs);
      marks.set(sessionId, Math.max(mark, entry.readAt), retainMs);
      return entry;
    },
    async close() {
      counts.clear();
      marks.clear();
    },
  };
}

/** Leases until they expire, and `hook:` keys: hooks already taken, kept for their window. */
function leaseMemory(
  now: Clock,
  maxEntries: number,
): Pick<Required<RelayStore>, 'acquire' | 'release' | 'close'> {
  const leases = new Map<string, number>();
  // Hooks taken are remembered for the whole tolerance window (hours): bounded like the counts.
  const hooks = expiringMap<true>(now, maxEntries);
  const sweepLeases = () => {
    if (leases.size < 10_000) return;
    const at = now();
    for (const [key, expiresAt] of leases) if (expiresAt <= at) leases.delete(key);
  };
  return {
    async acquire(key, leaseMs) {
      if (key.startsWith('hook:')) {
        if (hooks.get(key)) return false;
        hooks.set(key, true, leaseMs);
        return true;
      }
      const at = now();
      const held = leases.get(key);
      if (held !== undefined && held > at) return false;
      sweepLeases();
      leases.set(key, at + leaseMs);
      return true;
    },
    async release(key) {
      leases.delete(key);
    },
    async close() {
      hooks.clear();
      leases.clear();
    },
  };
}

/** The budget's daily counters; a new day's first counter drops the earlier days'. */
function dailyBudgets(): Pick<RelayStore, 'takeBudget' | 'budgetUsed'> {
  const budgets = new Map<string, number>();
  return {
    async takeBudget(counter, limit) {
      const used = budgets.get(counter) ?? 0;
      if (used >= limit) return false;
      if (!budgets.has(counter)) {
        // Counters are `YYYY-MM-DD:<share>`: those of earlier days are done with.
        const day = counter.slice(0, 10);
        for (const other of budgets.keys()) if (other.slice(0, 10) < day) budgets.delete(other);
      }
      budgets.set(counter, used + 1);
      return true;
    },
    async budgetUsed(counter) {
      return budgets.get(counter) ?? 0;
    },
  };
}

/** Publish and subscribe within this process, by session. */
function localChannel(): Pick<Required<RelayStore>, 'publish' | 'subscribe' | 'close'> {
  const listeners = new Map<string, Set<(message: RelayMessage) => void>>();
  return {
    async publish(message) {
      for (const listener of [...(listeners.get(message.sessionId) ?? [])]) {
        try {
          listener(message);
        } catch {
          // A listener's failure is its own.
        }
      }
    },
    async subscribe(sessionId, listener) {
      let set = listeners.get(sessionId);
      if (!set) {
        set = new Set();
        listeners.set(sessionId, set);
      }
      set.add(listener);
      return async () => {
        set.delete(listener);
        if (set.size === 0 && listeners.get(sessionId) === set) listeners.delete(sessionId);
      };
    },
    async close() {
      listeners.clear();
    },
  };
}

/**
 * A cached count raised by a web hook's word: `readAt` (and the session's mark) become the hook's
 * time, so a read that started before it is known to be outdated; `changedAt` moves on.
 */
export function deriveEntry(cached: CachedCount, delta: number, at: number): CachedCount {
  const readAt = Math.max(at, cached.readAt);
  return {
    count: Math.max(0, (cached.count ?? 0) + delta),
    readAt,
    changedAt: Math.max(readAt, cached.changedAt + 1),
    derived: true,
    // Raised from an assumed count, it is still a guess until a read.
    ...(cached.assumed ? { assumed: true } : {}),
  };
}

/**
 * A map whose entries expire `retainMs` after they were written, holding at most `maxEntries`:
 * past that the least recently written go first. Expiry is checked on access, no timers.
 */
function expiringMap<T>(now: () => number, maxEntries: number) {
  const entries = new Map<string, { value: T; expiresAt: number }>();
  return {
    get(key: string): T | undefined {
      const held = entries.get(key);
      if (held === undefined) return undefined;
      if (held.expiresAt > now()) return held.value;
      entries.delete(key);
      return undefined;
    },
    set(key: string, value: T, retainMs: number): void {
      entries.delete(key);
      entries.set(key, { value, expiresAt: now() + retainMs });
      // Maps iterate in insertion order: the first key is the least recently written.
      while (entries.size > maxEntries) entries.delete(entries.keys().next().value as string);
    },
    clear(): void {
      entries.clear();
    },
  };
}
