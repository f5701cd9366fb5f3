import type { CountReader } from './countReader';
import type { CachedCount, RelayStore } from './types';

/** What a stream hears of its session: a fresh read, or `'failed'` when a read failed. */
export type WatchListener = (update: CachedCount | 'failed') => void;

interface Watched {
  readonly listeners: Set<WatchListener>;
  readonly unsubscribe: Promise<() => Promise<void>>;
  timer: ReturnType<typeof setTimeout> | undefined;
  closed: boolean;
}

export interface WatchersSettings {
  /** The refresh period: `safetyRefreshMs` with web hooks, else `ttlMs`. */
  periodMs: number;
  /** The next try after a refresh that brought no fresh count (budget, pause, failure). */
  retryMs: number;
  /** Ms until the `safety` share may pay a call: a refresh the budget refused waits that long. */
  safetyWaitMs: () => number;
  now: () => number;
}

/**
 * The sessions this instance streams: one store subscription and one refresh timer per session,
 * whatever the number of streams. The refresh reads through the cache (a count fresh from a web
 * hook's re-read or another instance is not read again), and its calls are spent from the safety
 * share, so they stop when that share is paced out.
 */
export class Watchers {
  readonly #sessions = new Map<string, Watched>();
  readonly #reader: CountReader;
  readonly #store: RelayStore;
  readonly #s: WatchersSettings;

  constructor(reader: CountReader, store: RelayStore, settings: WatchersSettings) {
    this.#reader = reader;
    this.#store = store;
    this.#s = settings;
  }

  get size(): number {
    return this.#sessions.size;
  }

  /** Whether this instance streams the session. */
  has(sessionId: string): boolean {
    return this.#sessions.has(sessionId);
  }

  async add(sessionId: string, listener: WatchListener): Promise<() => void> {
    let watched = this.#sessions.get(sessionId);
    if (!watched) {
      const listeners = new Set<WatchListener>();
      const created: Watched = {
        listeners,
        unsubscribe: this.#store.subscribe(sessionId, (message) => {
          // A failed re-read (after a web hook, or the refresh) leaves the count on show stale.
          const update =
            'entry' in message ? message.entry : 'failure' in message ? 'failed' : null;
          if (update === null) return;
          for (const each of [...listeners]) each(update);
        }),
        timer: undefined,
        closed: false,
      };
      watched = created;
      this.#sessions.set(sessionId, created);
      this.#schedule(sessionId, created, this.#s.periodMs);
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
      const { periodMs, retryMs, now } = this.#s;
      const retry = Math.min(periodMs, retryMs);
      this.#reader.current(sessionId).then(
        (outcome) => {
          if (watched.closed) return;
          // Due again once the count it got is `periodMs` old; a count that was not read afresh
          // (budget paced out, a pause, a failure: old already, and not necessarily marked stale)
          // is tried again after `retry`, not at once in a loop, or once the budget can pay: a
          // site's streamed sessions would otherwise ask a paced-out budget every `retry`.
          const readAt = outcome.kind === 'count' ? outcome.entry.readAt : undefined;
          const due =
            readAt === undefined || now() - readAt >= periodMs
              ? Math.max(retry, this.#s.safetyWaitMs())
              : readAt + periodMs - now();
          this.#schedule(
            sessionId,
            watched,
            Math.min(periodMs, Math.max(due, Math.min(250, periodMs))),
          );
        },
        () => {
          if (!watched.closed) this.#schedule(sessionId, watched, retry);
        },
      );
    }, delayMs);
  }
}
