/**
 * The part of an ioredis client the store uses (`new Redis(…)` from `ioredis` 5 fits). Declared
 * here so that the relay has no dependency on ioredis: install it yourself.
 */
export interface RedisClientLike {
  /** ioredis' connection state: commands are only sent while it is `'ready'`. */
  readonly status: string;
  /** ioredis' options: the store relies on `commandTimeout` when it is set. */
  readonly options?: { readonly commandTimeout?: number | undefined } | undefined;
  get(key: string): Promise<string | null>;
  set(key: string, value: string, px: 'PX', milliseconds: number): Promise<unknown>;
  set(key: string, value: string, px: 'PX', milliseconds: number, nx: 'NX'): Promise<unknown>;
  eval(script: string, numkeys: number, ...args: (string | number)[]): Promise<unknown>;
  /**
   * ioredis' `defineCommand`: when present the store's Lua scripts are sent once per connection,
   * then by SHA1 (EVALSHA); without it, in full with every EVAL.
   */
  defineCommand?(name: string, definition: { lua: string }): unknown;
  publish(channel: string, message: string): Promise<unknown>;
  ping(): Promise<unknown>;
  /** A new connection with the same options (the subscriber). */
  duplicate(): RedisSubscriberLike;
  on(event: 'error', listener: (error: Error) => void): unknown;
  on(event: 'ready' | 'close' | 'end', listener: () => void): unknown;
  removeListener(event: 'error', listener: (error: Error) => void): unknown;
  removeListener(event: 'ready' | 'close' | 'end', listener: () => void): unknown;
}

/** The connection that receives pub/sub messages (a subscriber connection sends no commands). */
export interface RedisSubscriberLike {
  readonly status: string;
  connect(): Promise<unknown>;
  subscribe(...channels: string[]): Promise<unknown>;
  quit(): Promise<unknown>;
  disconnect(): void;
  on(event: 'message', listener: (channel: string, message: string) => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
  on(event: 'ready' | 'close' | 'end', listener: () => void): unknown;
  removeListener(event: 'message', listener: (channel: string, message: string) => void): unknown;
  removeListener(event: 'error', listener: (error: Error) => void): unknown;
  removeListener(event: 'ready' | 'close' | 'end', listener: () => void): unknown;
}

/** Options of `redisStore`. */
export interface RedisStoreOptions {
  /**
   * An ioredis client. The store never closes it (it is yours). Recommended options: see the
   * README (`maxRetriesPerRequest: 1`, a short `connectTimeout`).
   */
  client: RedisClientLike;
  /**
   * The connection for pub/sub. Defaults to `client.duplicate()`, which the store owns and closes.
   */
  subscriber?: RedisSubscriberLike | undefined;
  /** The first part of every key and channel: `<prefix>:<websiteId>:…`. Defaults to `'crisp-unread'`. */
  prefix?: string | undefined;
  /** The website id of the namespace. Defaults to the relay's (given when the relay starts). */
  websiteId?: string | undefined;
  /**
   * How long one Redis command may take before the store stops sending commands and answers from
   * memory until a background PING answers (also the period of that PING). Defaults to the
   * client's `commandTimeout` (ioredis then enforces it), else `1000`.
   */
  operationTimeoutMs?: number | undefined;
  /** Sessions kept in the in-memory fallback cache. Defaults to `100000`. */
  maxLocalEntries?: number | undefined;
  /** The clock (epoch ms), for tests. Defaults to the relay's `now`, else `Date.now`. */
  now?: (() => number) | undefined;
}
