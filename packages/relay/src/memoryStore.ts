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
  const counts = new Map<string, { entry: CachedCount; expiresAt: number }>();
  const leases = new Map<string, number>();
  const marks = new Map<string, { at: number; expiresAt: number }>();
  const budgets = new Map<string, number>();
  const listeners = new Map<string, Set<(message: RelayMessage) => void>>();
  let pausedUntil: number | undefined;

  const sweepLeases = () => {
    if (leases.size < 10_000) return;
    const at = now();
    for (const [key, expiresAt] of leases) if (expiresAt <= at) leases.delete(key);
  };

  return {
    attach(context) {
      if (options.now === undefined && context.now) clock = context.now;
    },
    async getCount(sessionId) {
      const cached = counts.get(sessionId);
      if (!cached) return undefined;
      if (cached.expiresAt <= now()) {
        counts.delete(sessionId);
        return undefined;
      }
      return cached.entry;
    },
    async setCount(sessionId, entry, retainMs) {
      counts.delete(sessionId);
      counts.set(sessionId, { entry, expiresAt: now() + retainMs });
      // Maps iterate in insertion order: the first key is the least recently written.
      while (counts.size > maxEntries) counts.delete(counts.keys().next().value as string);
    },
    async acquire(key, leaseMs) {
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
    async markChanged(sessionId, at, retainMs) {
      const previous = marks.get(sessionId)?.at ?? 0;
      marks.delete(sessionId);
      marks.set(sessionId, { at: Math.max(previous, at), expiresAt: now() + retainMs });
      while (marks.size > maxEntries) marks.delete(marks.keys().next().value as string);
    },
    async getChanged(sessionId) {
      const mark = marks.get(sessionId);
      if (!mark) return undefined;
      if (mark.expiresAt <= now()) {
        marks.delete(sessionId);
        return undefined;
      }
      return mark.at;
    },
    async getPausedUntil() {
      return pausedUntil;
    },
    async setPausedUntil(until) {
      pausedUntil = Math.max(pausedUntil ?? 0, until);
    },
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
      counts.clear();
      marks.clear();
      leases.clear();
      listeners.clear();
    },
  };
}
