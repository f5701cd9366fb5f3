/** Which cap refused a stream. */
export type StreamRefusal = 'client' | 'total';

/**
 * Counts open SSE streams per client and in total, so that a few addresses cannot hold every
 * file descriptor of the process.
 */
export class StreamSlots {
  readonly #maxStreams: number;
  readonly #maxPerClient: number;
  readonly #perClient = new Map<string, number>();
  #total = 0;

  constructor(maxStreams: number, maxPerClient: number) {
    this.#maxStreams = maxStreams;
    this.#maxPerClient = maxPerClient;
  }

  /** Takes a slot for `client`: the function that gives it back (once), or the cap that refused. */
  claim(client: string): (() => void) | StreamRefusal {
    const held = this.#perClient.get(client) ?? 0;
    if (held >= this.#maxPerClient) return 'client';
    if (this.#total >= this.#maxStreams) return 'total';
    this.#perClient.set(client, held + 1);
    this.#total++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#total--;
      const left = (this.#perClient.get(client) ?? 1) - 1;
      if (left > 0) this.#perClient.set(client, left);
      else this.#perClient.delete(client);
    };
  }
}
