import { misconfigured as coreMisconfigured } from '@crisp-unread/core';

export const misconfigured = (message: string): never =>
  coreMisconfigured(message, 'crisp-unread relay: redisStore');

/**
 * The store's keys and channel, `<prefix>:<websiteId>:…`. The website may come late (from the
 * relay's `attach`): until then a key cannot be named.
 */
export class RedisKeys {
  readonly #prefix: string;
  websiteId: string | undefined;

  constructor(prefix: string, websiteId: string | undefined) {
    this.#prefix = prefix;
    this.websiteId = websiteId?.toLowerCase();
  }

  #namespace(): string {
    if (!this.websiteId) misconfigured('no website id: pass `websiteId` or give it to a relay.');
    return `${this.#prefix}:${this.websiteId}:`;
  }

  count = (sessionId: string) => `${this.#namespace()}count:${sessionId}`;
  changed = (sessionId: string) => `${this.#namespace()}changed:${sessionId}`;
  lease = (key: string) => `${this.#namespace()}lease:${key}`;
  budget = (counter: string) => `${this.#namespace()}budget:${counter}`;
  paused = () => `${this.#namespace()}paused`;
  limits = () => `${this.#namespace()}limit:`;
  /** The pub/sub channel of the website. */
  events = () => `${this.#namespace()}events`;
}
