import type { CountReader } from './countReader';
import type { CachedCount, RelayStore } from './types';

interface Watched {
  readonly listeners: Set<(entry: CachedCount) => void>;
  readonly unsubscribe: Promise<() => Promise<void>>;
  timer: ReturnType<typeof setTimeout> | undefined;
  closed: boolean;
}

/**
 * The sessions this instance streams: one store subscription and one refresh timer per session,
 * whatever the number of streams. The refresh reads through the cache, so with several instances
 * (or web hooks) Crisp is still read once per session per TTL.
 */
export class Watchers {
  readonly #sessions = new Map<string, Watched>();
  readonly #reader: CountReader;
  readonly #store: RelayStore;
  readonly #ttlMs: number;
  readonly #now: () => number;

  constructor(reader: CountReader, store: RelayStore, ttlMs: number, now: () => number) {
    this.#reader = reader;
    this.#store = store;
    this.#ttlMs = ttlMs;
    this.#now = now;
  }

  get size(): number {
    return this.#sessions.size;
  }

  async add(sessionId: string, listener: (entry: CachedCount) => void): Promise<() => void> {
    let watched = this.#sessions.get(sessionId);
    if (!watched) {
      const listeners = new Set<(entry: CachedCount) => void>();
      const created: Watched = {
        listeners,
        unsubscribe: this.#store.subscribe(sessionId, (message) => {
          if (!('entry' in message)) return;
          for (const each of [...listeners]) each(message.entry);
        }),
        timer: undefined,
        closed: false,
      };
      watched = created;
      this.#sessions.set(sessionId, created);
      this.#schedule(sessionId, created, this.#ttlMs);
    }
    watched.listeners.add(listener);
    await watched.unsubscribe;
    const current = watched;
    return () => {
      current.listeners.delete(listener);
      if (current.listeners.size === 0) this.#end(sessionId, current);
    };
  }

  closeAll(): void {
    for (const [sessionId, watched] of [...this.#sessions]) this.#end(sessionId, watched);
  }

  #end(sessionId: string, watched: Watched): void {
    if (watched.closed) return;
    watched.closed = true;
    clearTimeout(watched.timer);
    if (this.#sessions.get(sessionId) === watched) this.#sessions.delete(sessionId);
    watched.unsubscribe.then((stop) => stop()).catch(() => undefined);
  }

  #schedule(sessionId: string, watched: Watched, delayMs: number): void {
    watched.timer = setTimeout(() => {
      watched.timer = undefined;
      this.#reader.read(sessionId).then(
        (outcome) => {
          if (watched.closed) return;
          const readAt =
            outcome.kind === 'count' && !outcome.stale ? outcome.entry.readAt : undefined;
          const due = readAt === undefined ? this.#ttlMs : readAt + this.#ttlMs - this.#now();
          this.#schedule(
            sessionId,
            watched,
            Math.min(this.#ttlMs, Math.max(due, Math.min(250, this.#ttlMs))),
          );
        },
        () => {
          if (!watched.closed) this.#schedule(sessionId, watched, this.#ttlMs);
        },
      );
    }, delayMs);
  }
}
