import type { UpstreamFailure } from './types';

/**
 * The sessions whose last read failed, each remembered for `memoryMs`: meanwhile their cached
 * count or the error is answered without calling Crisp again. Bounded: the oldest go first.
 */
export class FailureMemory {
  readonly #memoryMs: number;
  readonly #now: () => number;
  readonly #max: number;
  readonly #failures = new Map<string, { failure: UpstreamFailure; until: number }>();

  constructor(memoryMs: number, now: () => number, max = 10_000) {
    this.#memoryMs = memoryMs;
    this.#now = now;
    this.#max = max;
  }

  remember(sessionId: string, failure: UpstreamFailure): void {
    this.#failures.delete(sessionId);
    this.#failures.set(sessionId, { failure, until: this.#now() + this.#memoryMs });
    // Maps iterate in insertion order: the first key is the oldest failure.
    while (this.#failures.size > this.#max) {
      this.#failures.delete(this.#failures.keys().next().value as string);
    }
  }

  /** The failure still remembered for the session, or `undefined`. */
  recall(sessionId: string): UpstreamFailure | undefined {
    const remembered = this.#failures.get(sessionId);
    if (!remembered) return undefined;
    if (remembered.until <= this.#now()) {
      this.#failures.delete(sessionId);
      return undefined;
    }
    return remembered.failure;
  }

  forget(sessionId: string): void {
    this.#failures.delete(sessionId);
  }
}
