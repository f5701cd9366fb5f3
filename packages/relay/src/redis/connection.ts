import { within } from '../within';
import type { RedisKeys } from './keys';
import { type RunScript, scriptCommands } from './scriptCommands';
import { quitRedis, withTimeout } from './timeouts';
import type { RedisClientLike, RedisSubscriberLike } from './types';

/** `connecting` until first healthy (or until a connection fails), then `ok` or `degraded`. */
export type StoreState = 'connecting' | 'ok' | 'degraded';

/** What a command returns when Redis cannot be used: the caller answers from memory. */
export const DOWN: unique symbol = Symbol('redis-down');
export type Down = typeof DOWN;

export interface ConnectionSettings {
  readonly client: RedisClientLike;
  /** The pub/sub connection given; without one the client's duplicate, owned and closed here. */
  readonly subscriber: RedisSubscriberLike | undefined;
  readonly keys: RedisKeys;
  /** How long a command may take (and the period of the PING while suspended). */
  readonly timeoutMs: number;
  /** Whether the store times commands itself (the client has no `commandTimeout`). */
  readonly ownDeadline: boolean;
  /** Called when Redis is usable again: brings back what it lost or missed meanwhile. */
  readonly restore: () => Promise<void>;
  /** A message on a channel the subscriber listens to. */
  readonly message: (channel: string, text: string) => void;
}

/**
 * The store's two connections (commands, pub/sub) and its state: whether Redis may be used now,
 * waits for the start, suspension after a hanging or failing command (a background PING
 * decides), and the log line of each change between healthy and degraded.
 */
export class RedisConnection {
  readonly #s: ConnectionSettings;
  log: (line: string) => void = () => {};
  #closed = false;
  // A command timed out or failed: no command is sent until a background PING answers.
  #suspended = false;
  #probe: ReturnType<typeof setTimeout> | undefined;
  #subscriber: RedisSubscriberLike | undefined;
  #subscribed = false;
  #subscription: Promise<void> | null = null;
  // Until the store is first healthy it is connecting, unless a connection closes or a command
  // fails first (ioredis emits `close` when a connection attempt fails): then it is degraded.
  #starting = true;
  #reported: StoreState | undefined;
  // Commands wait (once, `timeoutMs` at most) for the start to be decided, so that the first
  // requests of a new instance (a serverless cold start) already share state through Redis.
  #decideStart: () => void = () => {};
  readonly #startDecided = new Promise<void>((resolve) => {
    this.#decideStart = resolve;
  });
  #startWait: Promise<unknown> | undefined;

  /** Runs one of the store's Lua scripts on the command connection. */
  readonly script: RunScript;

  constructor(settings: ConnectionSettings) {
    this.#s = settings;
    this.script = scriptCommands(settings.client);
  }

  /** The command connection. */
  get client(): RedisClientLike {
    return this.#s.client;
  }

  /** How long a command may take before the store answers from memory. */
  get timeoutMs(): number {
    return this.#s.timeoutMs;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Whether a command may go to Redis now. */
  usable(): boolean {
    return !this.#closed && !this.#suspended && this.#s.client.status === 'ready';
  }

  state(): StoreState {
    if (this.usable() && this.#subscribed && this.#subscriber?.status === 'ready') {
      this.#starting = false;
      return 'ok';
    }
    return this.#starting && !this.#closed && !this.#suspended ? 'connecting' : 'degraded';
  }

  /**
   * Runs one command when Redis is usable, within the deadline; `DOWN` otherwise. While the store
   * is connecting it first waits for the start (unless `waits` is false: for `/healthz`).
   */
  async attempt<T>(run: () => Promise<T>, waits = true): Promise<T | Down> {
    if (waits && this.#starting && !this.#closed) await this.#waitForStart();
    if (!this.usable()) {
      this.#report();
      return DOWN;
    }
    try {
      return await this.#withDeadline(run);
    } catch {
      this.#suspend();
      return DOWN;
    } finally {
      this.#report();
    }
  }

  /** Opens the subscriber and listens to both connections (once the website is known). */
  start(): void {
    if (this.#subscriber || this.#closed) return;
    const { client } = this.#s;
    const subscriber = this.#s.subscriber ?? client.duplicate();
    this.#subscriber = subscriber;
    subscriber.on('message', this.#s.message);
    subscriber.on('error', this.#onError);
    subscriber.on('ready', this.#onSubscriberReady);
    subscriber.on('close', this.#onSubscriberClose);
    subscriber.on('end', this.#onSubscriberClose);
    client.on('error', this.#onError);
    client.on('ready', this.#onClientReady);
    client.on('close', this.#onClientClose);
    if (subscriber.status === 'ready') this.#onSubscriberReady();
    else if (subscriber.status === 'wait') subscriber.connect().catch(() => undefined);
  }

  /** Waits (bounded) for the channel subscription when Redis is there, so no message is missed. */
  async subscriptionReady(): Promise<void> {
    const subscription = this.#subscription;
    if (this.#subscribed || !subscription || this.#subscriber?.status !== 'ready') return;
    await within(subscription, this.#s.timeoutMs);
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#decideStart();
    clearTimeout(this.#probe);
    this.#probe = undefined;
    const { client } = this.#s;
    client.removeListener('error', this.#onError);
    client.removeListener('ready', this.#onClientReady);
    client.removeListener('close', this.#onClientClose);
    const own = this.#subscriber;
    if (!own) return;
    own.removeListener('message', this.#s.message);
    own.removeListener('ready', this.#onSubscriberReady);
    own.removeListener('close', this.#onSubscriberClose);
    own.removeListener('end', this.#onSubscriberClose);
    // A subscriber we own keeps the listener until it has quit: it may still report an error.
    if (this.#s.subscriber === undefined) await quitRedis(own, this.#s.timeoutMs);
    own.removeListener('error', this.#onError);
  }

  #waitForStart(): Promise<unknown> {
    this.#startWait ??= within(this.#startDecided, this.#s.timeoutMs);
    return this.#startWait;
  }

  /** `run()` within the deadline: ioredis's `commandTimeout`, or the store's own timer. */
  #withDeadline<T>(run: () => Promise<T>): Promise<T> {
    return this.#s.ownDeadline ? withTimeout(run, this.#s.timeoutMs) : run();
  }

  /** Stops sending commands and PINGs in the background until Redis answers again. */
  #suspend(): void {
    this.#suspended = true;
    this.#starting = false;
    if (this.#probe !== undefined || this.#closed) return;
    this.#probe = setTimeout(async () => {
      try {
        if (this.#s.client.status === 'ready') {
          await this.#withDeadline(() => this.#s.client.ping());
          this.#suspended = false;
          this.#s.restore().catch(() => undefined);
        }
      } catch {
        // Still hanging or failing: the next PING decides.
      }
      this.#probe = undefined;
      if (this.#suspended) this.#suspend();
      this.#report();
    }, this.#s.timeoutMs);
  }

  /** Logs each change between healthy and degraded once; connecting is not worth a line. */
  #report(): void {
    if (this.#closed || !this.#s.keys.websiteId) return;
    const current = this.state();
    if (current !== 'connecting') this.#decideStart();
    if (current === 'connecting' || current === this.#reported) return;
    const previous = this.#reported;
    this.#reported = current;
    // The first state is only worth a line when it is bad.
    if (previous !== undefined || current === 'degraded') {
      this.log(
        current === 'ok'
          ? 'crisp-unread relay: Redis is reachable again; sharing state through it.'
          : 'crisp-unread relay: Redis is unreachable; serving from this instance (budget per instance).',
      );
    }
  }

  readonly #onSubscriberReady = () => {
    const subscriber = this.#subscriber;
    if (this.#closed || !subscriber) return;
    this.#subscription = subscriber
      .subscribe(this.#s.keys.events())
      .then(
        () => {
          this.#subscribed = true;
        },
        () => {
          this.#subscribed = false;
          this.#starting = false;
        },
      )
      .finally(() => this.#report());
  };

  readonly #onSubscriberClose = () => {
    this.#subscribed = false;
    this.#starting = false;
    this.#report();
  };

  readonly #onClientReady = () => {
    // A new connection: whatever hung was on the old one.
    this.#suspended = false;
    clearTimeout(this.#probe);
    this.#probe = undefined;
    this.#report();
    this.#s.restore().catch(() => undefined);
  };

  readonly #onClientClose = () => {
    this.#starting = false;
    this.#report();
  };

  readonly #onError = () => {
    // ioredis reports every failed reconnection here; the state changes are logged by `report`.
  };
}
