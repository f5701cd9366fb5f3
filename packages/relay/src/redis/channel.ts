import type { RelayMessage, RelayStore } from '../types';
import { readMessage } from './codec';
import type { RedisConnection } from './connection';
import type { RedisKeys } from './keys';

/**
 * The website's pub/sub channel: what one instance publishes reaches every instance's listeners.
 * This instance's listeners live in the memory store: it delivers synchronously and isolates a
 * failing listener, for messages from this instance and from the channel alike.
 */
export class Channel {
  readonly #connection: RedisConnection;
  readonly #keys: RedisKeys;
  readonly #local: RelayStore;
  readonly #retainMs: () => number;
  /** This instance's name on the channel, so that it skips its own messages. */
  readonly #instance = globalThis.crypto.randomUUID();

  constructor(
    connection: RedisConnection,
    keys: RedisKeys,
    local: RelayStore,
    retainMs: () => number,
  ) {
    this.#connection = connection;
    this.#keys = keys;
    this.#local = local;
    this.#retainMs = retainMs;
  }

  async publish(message: RelayMessage): Promise<void> {
    // This instance's listeners at once, whatever Redis does; the others through the channel.
    this.#deliver(message);
    const text = JSON.stringify({ instance: this.#instance, message });
    const target = this.#keys.events();
    await this.#connection.attempt(() => this.#connection.client.publish(target, text));
  }

  async subscribe(
    sessionId: string,
    listener: (message: RelayMessage) => void,
  ): Promise<() => Promise<void>> {
    const unsubscribe = await this.#local.subscribe(sessionId, listener);
    await this.#connection.subscriptionReady();
    return unsubscribe;
  }

  /** A message the subscriber heard (on any channel: only the website's is read). */
  readonly receive = (from: string, text: string): void => {
    if (this.#connection.closed || from !== this.#keys.events()) return;
    const message = this.#read(text);
    if (!message) return;
    // Keeps this instance's memory warm, for when Redis goes away.
    if ('entry' in message) {
      this.#local
        .setCount(message.sessionId, message.entry, this.#retainMs())
        .catch(() => undefined);
    }
    this.#deliver(message);
  };

  /** Another instance's message, or `null` (this instance's own, or not a message). */
  #read(text: string): RelayMessage | null {
    let envelope: unknown;
    try {
      envelope = JSON.parse(text);
    } catch {
      return null;
    }
    if (typeof envelope !== 'object' || envelope === null) return null;
    const { instance: sender, message } = envelope as Record<string, unknown>;
    return sender === this.#instance ? null : readMessage(message);
  }

  #deliver(message: RelayMessage): void {
    void this.#local.publish(message);
  }
}
