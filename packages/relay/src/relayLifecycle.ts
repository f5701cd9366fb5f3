import type { RelayParts } from './relayParts';

/**
 * The relay's open streams, each known by the function that ends it. A flag, not an
 * AbortController, says the relay is closing: Workers refuse `new AbortController()` at global
 * scope, where a module builds its relay.
 */
export class OpenStreams {
  readonly #ends = new Set<() => void>();
  #closing = false;

  get size(): number {
    return this.#ends.size;
  }

  /** A stream opened: ended at once when the relay is closing. */
  opened(end: () => void): void {
    if (this.#closing) end();
    else this.#ends.add(end);
  }

  closed(end: () => void): void {
    this.#ends.delete(end);
  }

  /** Ends every stream, and every stream that opens from now on. */
  endAll(): void {
    this.#closing = true;
    for (const end of [...this.#ends]) end();
  }
}

/** `UnreadRelay.close`: the first call closes, every call gets the same promise. */
export function relayCloser(parts: RelayParts): () => Promise<void> {
  let closed: Promise<void> | null = null;
  return () => {
    closed ??= closeRelay(parts);
    return closed;
  };
}

async function closeRelay({ reader, streams, watchers, store }: RelayParts): Promise<void> {
  reader.abortAll();
  streams.endAll();
  watchers.closeAll();
  // Reads in flight end first, so that they give their leases back to a shared store.
  await reader.settle();
  await store.close?.();
}
