/**
 * The relay's SSE heartbeat: one interval for all its open streams, running only while one is
 * open. A timer per stream would hold 10,000 timers at 10,000 streams and wake the process
 * 10,000 times a period; here it wakes once. A stream's first beat comes within one period of
 * its opening, and the next ones one period apart, which is all a client's idle timeout asks.
 */
export class Heartbeat {
  readonly #beats = new Set<() => void>();
  readonly #periodMs: number;
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(periodMs: number) {
    this.#periodMs = periodMs;
  }

  get size(): number {
    return this.#beats.size;
  }

  /** Calls `beat` every period until the returned function is called. */
  add(beat: () => void): () => void {
    this.#beats.add(beat);
    this.#timer ??= setInterval(() => {
      for (const each of this.#beats) each();
    }, this.#periodMs);
    return () => {
      this.#beats.delete(beat);
      if (this.#beats.size > 0 || this.#timer === undefined) return;
      clearInterval(this.#timer);
      this.#timer = undefined;
    };
  }
}
