import { misconfigured as coreMisconfigured } from '@crisp-unread/core';
import { memoryStore } from './memoryStore';
import type {
  CachedCount,
  RelayMessage,
  RelayStore,
  RelayStoreContext,
  StoreHealth,
  UpstreamFailure,
} from './types';

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

/** `connecting` until first healthy (or until a connection fails), then `ok` or `degraded`. */
type StoreState = 'connecting' | 'ok' | 'degraded';

const DOWN: unique symbol = Symbol('redis-down');
type Down = typeof DOWN;

// One upstream call more if fewer than the limit were counted; the counter never passes the limit
// because of this script. `floor` and `pending` bring back what an instance counted (and saw)
// while Redis was unreachable: the counter becomes max(stored, floor) + pending.
const takeBudgetScript = `
local used = tonumber(redis.call('GET', KEYS[1]) or '0')
local floor = tonumber(ARGV[2])
if floor > used then used = floor end
used = used + tonumber(ARGV[3])
local took = 0
if used < tonumber(ARGV[1]) then
  used = used + 1
  took = 1
end
redis.call('SET', KEYS[1], used, 'PX', ARGV[4])
return { took, used }
`;

// Gives a lease back only if it is still ours (it may have expired and been taken since).
const releaseScript = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

// Keeps the later of two times (Crisp's pause, a session's web hook mark).
const keepLaterScript = `
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if tonumber(ARGV[1]) > current then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) end
return 1
`;

// A web hook's word on a cached count, in one step across instances (see `deriveEntry`).
// KEYS: the count, the session's mark; ARGV: delta, at, retain ms. Returns the new entry's JSON.
const deriveScript = `
local text = redis.call('GET', KEYS[1])
if not text then return false end
local ok, entry = pcall(cjson.decode, text)
if not ok or type(entry) ~= 'table' or type(entry.count) ~= 'number' or entry.removed then
  return false
end
local mark = tonumber(redis.call('GET', KEYS[2]) or '0')
if mark > entry.readAt then return false end
local readAt = math.max(tonumber(ARGV[2]), entry.readAt)
local count = math.max(0, entry.count + tonumber(ARGV[1]))
local changedAt = math.max(readAt, entry.changedAt + 1)
local assumed = ''
if entry.assumed == true then assumed = ',"assumed":true' end
local out = string.format('{"count":%d,"readAt":%d,"changedAt":%d,"derived":true%s}', count, readAt, changedAt, assumed)
redis.call('SET', KEYS[1], out, 'PX', ARGV[3])
if readAt > mark then redis.call('SET', KEYS[2], readAt, 'PX', ARGV[3]) end
return out
`;

const budgetKeepMs = 2 * 86_400_000;

const misconfigured = (message: string): never =>
  coreMisconfigured(message, 'crisp-unread relay: redisStore');

function randomId(): string {
  return globalThis.crypto.randomUUID();
}

function isEntry(value: unknown): value is CachedCount {
  if (typeof value !== 'object' || value === null) return false;
  const { count, readAt, changedAt } = value as Record<string, unknown>;
  return (
    (count === null || (typeof count === 'number' && Number.isFinite(count))) &&
    typeof readAt === 'number' &&
    typeof changedAt === 'number'
  );
}

/** A count as Redis holds it. */
function encode(entry: CachedCount): string {
  return JSON.stringify({
    count: entry.count,
    readAt: entry.readAt,
    changedAt: entry.changedAt,
    ...(entry.removed ? { removed: true } : {}),
    ...(entry.derived ? { derived: true } : {}),
    ...(entry.assumed ? { assumed: true } : {}),
  });
}

function isFailure(value: unknown): value is UpstreamFailure {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { code?: unknown }).code === 'string'
  );
}

/** A message read from the channel, checked field by field, or `null`. */
function readMessage(value: unknown): RelayMessage | null {
  if (typeof value !== 'object' || value === null) return null;
  const { sessionId, entry, failure, released } = value as Record<string, unknown>;
  if (typeof sessionId !== 'string') return null;
  if (isEntry(entry)) return { sessionId, entry };
  if (isFailure(failure)) return { sessionId, failure };
  if (released === true) return { sessionId, released: true };
  return null;
}

/**
 * A `RelayStore` in Redis, shared by every relay instance that uses the same Redis and website:
 * cached counts (kept `retainMs`, so a restart reads nothing again), web hook marks, the
 * single-flight lease of each session (`SET NX PX`), the daily budget as one counter per UTC day and share (a
 * Lua script, so concurrent instances never pass the limit), and one pub/sub channel per website
 * that carries fresh counts to every instance's streams.
 *
 * When Redis cannot be reached, or a command times out, the store never throws nor waits again:
 * it answers from this instance's memory (the cache, leases, pub/sub, and a budget that is then
 * per instance) and reports `degraded` to `GET /healthz` until the client reconnects or a
 * background PING answers; then it uses Redis again (and subscribes again).
 *
 * Keys: `<prefix>:<websiteId>:count:<sessionId>`, `…:changed:<sessionId>`,
 * `…:lease:read:<sessionId>`, `…:lease:hook:<signature or digest>`, `…:budget:<YYYY-MM-DD>:<share>`,
 * `…:paused`; channel `…:events`.
 * Nothing secret is stored (no key, no web hook secret).
 */
export function redisStore(options: RedisStoreOptions): RelayStore {
  if (typeof options !== 'object' || options === null) misconfigured('needs an options object.');
  const { client } = options;
  if (
    typeof client !== 'object' ||
    client === null ||
    typeof client.get !== 'function' ||
    typeof client.eval !== 'function' ||
    typeof client.publish !== 'function'
  ) {
    misconfigured('`client` must be an ioredis client (`new Redis(url)`).');
  }
  const prefix = options.prefix ?? 'crisp-unread';
  if (typeof prefix !== 'string' || !/^[\w.:-]{1,64}$/.test(prefix)) {
    misconfigured('`prefix` must be 1 to 64 letters, digits, `_`, `.`, `:` or `-`.');
  }
  // ioredis's own deadline when the client has one; the store's timer otherwise.
  const commandTimeout = client.options?.commandTimeout;
  const ownDeadline = !(typeof commandTimeout === 'number' && commandTimeout > 0);
  const timeoutMs = options.operationTimeoutMs ?? (ownDeadline ? 1000 : commandTimeout);
  if (typeof timeoutMs !== 'number' || !(timeoutMs > 0)) {
    misconfigured('`operationTimeoutMs` must be a positive number.');
  }
  let clock = options.now;
  const now = () => (clock ?? Date.now)();
  const local = memoryStore({ now, maxEntries: options.maxLocalEntries ?? 100_000 });
  const instance = randomId();
  const owned = new Map<string, { token: string; inRedis: boolean; expiresAt: number }>();
  const budgets = new Map<
    string,
    { seen: number; pending: number; reading?: Promise<void> | undefined }
  >();
  let pausedUntil: number | undefined;
  let websiteId = options.websiteId?.toLowerCase();
  let log: (line: string) => void = () => {};
  // The relay's `retainMs` (told by `attach`): copies from other instances and counts written
  // back after an outage are kept as long as the relay's own.
  let retainMs = 90 * 86_400_000;
  /** Counts this instance served from memory while Redis lacked them: written back when it can. */
  const unsaved = new Set<string>();
  let closed = false;
  // A command timed out or failed: no command is sent until a background PING answers.
  let suspended = false;
  let probe: ReturnType<typeof setTimeout> | undefined;
  let subscribed = false;
  let subscription: Promise<void> | null = null;
  let subscriber: RedisSubscriberLike | undefined;
  const ownsSubscriber = options.subscriber === undefined;
  // Until the store is first healthy it is connecting, unless a connection closes or a command
  // fails first (ioredis emits `close` when a connection attempt fails): then it is degraded.
  let starting = true;
  let reported: StoreState | undefined;
  // Commands wait (once, `timeoutMs` at most) for the start to be decided, so that the first
  // requests of a new instance (a serverless cold start) already share state through Redis.
  let decideStart: () => void = () => {};
  const startDecided = new Promise<void>((resolve) => {
    decideStart = resolve;
  });
  let startWait: Promise<void> | undefined;
  let startTimer: ReturnType<typeof setTimeout> | undefined;
  const waitForStart = () => {
    startWait ??= Promise.race([
      startDecided,
      new Promise<void>((resolve) => {
        startTimer = setTimeout(resolve, timeoutMs);
      }),
    ]).finally(() => clearTimeout(startTimer));
    return startWait;
  };

  const namespace = () => {
    if (!websiteId) misconfigured('no website id: pass `websiteId` or give it to a relay.');
    return `${prefix}:${websiteId}:`;
  };
  const channel = () => `${namespace()}events`;

  const healthy = () =>
    !closed &&
    client.status === 'ready' &&
    !suspended &&
    subscribed &&
    subscriber?.status === 'ready';

  const state = (): StoreState => {
    if (healthy()) {
      starting = false;
      return 'ok';
    }
    return starting && !closed && !suspended ? 'connecting' : 'degraded';
  };

  /** Logs each change between healthy and degraded once; connecting is not worth a line. */
  const report = () => {
    if (closed || !websiteId) return;
    const current = state();
    if (current !== 'connecting') decideStart();
    if (current === 'connecting' || current === reported) return;
    const previous = reported;
    reported = current;
    // The first state is only worth a line when it is bad.
    if (previous !== undefined || current === 'degraded') {
      log(
        current === 'ok'
          ? 'crisp-unread relay: Redis is reachable again; sharing state through it.'
          : 'crisp-unread relay: Redis is unreachable; serving from this instance (budget per instance).',
      );
    }
  };

  /** `run()` within the deadline: ioredis's `commandTimeout`, or the store's own timer. */
  async function withDeadline<T>(run: () => Promise<T>): Promise<T> {
    if (!ownDeadline) return run();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const command = Promise.resolve().then(run);
    command.catch(() => undefined);
    try {
      return await Promise.race([
        command,
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error('Redis command timed out')), timeoutMs);
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Stops sending commands and PINGs in the background until Redis answers again. */
  const suspend = () => {
    suspended = true;
    starting = false;
    if (probe !== undefined || closed) return;
    probe = setTimeout(async () => {
      try {
        if (client.status === 'ready') {
          await withDeadline(() => client.ping());
          suspended = false;
          restore().catch(() => undefined);
        }
      } catch {
        // Still hanging or failing: the next PING decides.
      }
      probe = undefined;
      if (suspended) suspend();
      report();
    }, timeoutMs);
  };

  /**
   * Runs one command when Redis is usable, within the deadline; `DOWN` otherwise. While the store
   * is connecting it first waits for the start (unless `waits` is false: for `/healthz`).
   */
  async function attempt<T>(run: () => Promise<T>, waits = true): Promise<T | Down> {
    if (waits && starting && !closed) await waitForStart();
    if (closed || suspended || client.status !== 'ready') {
      report();
      return DOWN;
    }
    try {
      return await withDeadline(run);
    } catch {
      suspend();
      return DOWN;
    } finally {
      report();
    }
  }

  // This instance's listeners live in the memory store: it delivers synchronously and isolates
  // a failing listener, for messages from this instance and from the channel alike.
  const deliver = (message: RelayMessage) => void local.publish(message);

  const onMessage = (from: string, text: string) => {
    if (closed || from !== channel()) return;
    let envelope: unknown;
    try {
      envelope = JSON.parse(text);
    } catch {
      return;
    }
    if (typeof envelope !== 'object' || envelope === null) return;
    const { instance: sender, message: raw } = envelope as Record<string, unknown>;
    if (sender === instance) return;
    const message = readMessage(raw);
    if (!message) return;
    // Keeps this instance's memory warm, for when Redis goes away.
    if ('entry' in message) {
      local.setCount(message.sessionId, message.entry, retainMs).catch(() => undefined);
    }
    deliver(message);
  };
  const onSubscriberReady = () => {
    if (closed || !subscriber) return;
    const current = subscriber
      .subscribe(channel())
      .then(
        () => {
          subscribed = true;
        },
        () => {
          subscribed = false;
          starting = false;
        },
      )
      .finally(report);
    subscription = current;
  };
  const onSubscriberClose = () => {
    subscribed = false;
    starting = false;
    report();
  };
  const onClientReady = () => {
    // A new connection: whatever hung was on the old one.
    suspended = false;
    clearTimeout(probe);
    probe = undefined;
    report();
    restore().catch(() => undefined);
  };
  const onClientClose = () => {
    starting = false;
    report();
  };
  const onError = () => {
    // ioredis reports every failed reconnection here; the state changes are logged by `report`.
  };

  const start = () => {
    if (subscriber || closed) return;
    subscriber = options.subscriber ?? client.duplicate();
    subscriber.on('message', onMessage);
    subscriber.on('error', onError);
    subscriber.on('ready', onSubscriberReady);
    subscriber.on('close', onSubscriberClose);
    subscriber.on('end', onSubscriberClose);
    client.on('error', onError);
    client.on('ready', onClientReady);
    client.on('close', onClientClose);
    if (subscriber.status === 'ready') onSubscriberReady();
    else if (subscriber.status === 'wait') subscriber.connect().catch(() => undefined);
  };
  if (websiteId) start();

  /** Waits (bounded) for the channel subscription when Redis is there, so no message is missed. */
  const subscriptionReady = async () => {
    if (subscribed || !subscription || subscriber?.status !== 'ready') return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      subscription,
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, timeoutMs);
      }),
    ]);
    clearTimeout(timer);
  };

  const budgetOf = (counter: string) => {
    let budget = budgets.get(counter);
    if (!budget) {
      budget = { seen: 0, pending: 0 };
      // Counters are `YYYY-MM-DD:<share>`: those of earlier days are done with.
      const day = counter.slice(0, 10);
      for (const other of budgets.keys()) if (other.slice(0, 10) < day) budgets.delete(other);
      budgets.set(counter, budget);
    }
    return budget;
  };

  /**
   * Brings back what Redis lost or missed while it was away: this instance's view of each budget
   * counter (a Redis restarted without persistence lost it, spent meanwhile or not) plus what it
   * counted meanwhile, and the counts it served from memory.
   */
  async function restore(): Promise<void> {
    await flushBudgets();
    await writeBack();
  }

  /** Adds what this instance counted while Redis was away to the shared counters (limit 0). */
  async function flushBudgets(): Promise<void> {
    for (const [counter, budget] of budgets) {
      const pending = budget.pending;
      // `floor` = what this instance saw: a counter Redis lost comes back even with nothing pending.
      if (pending === 0 && budget.seen === 0) continue;
      const key = `${namespace()}budget:${counter}`;
      const result = await attempt(() =>
        client.eval(takeBudgetScript, 1, key, 0, budget.seen, pending, budgetKeepMs),
      );
      if (!Array.isArray(result)) return;
      budget.pending -= pending;
      budget.seen = Math.max(budget.seen, Number(result[1]) || 0);
    }
  }

  /** Writes the counts served from memory back to Redis (`NX`: never over a newer one). */
  async function writeBack(): Promise<void> {
    for (const sessionId of [...unsaved]) {
      const entry = await local.getCount(sessionId);
      if (entry === undefined) {
        unsaved.delete(sessionId);
        continue;
      }
      const key = `${namespace()}count:${sessionId}`;
      const done = await attempt(() => client.set(key, encode(entry), 'PX', retainMs, 'NX'));
      if (done === DOWN) return;
      unsaved.delete(sessionId);
    }
  }

  /** Remembers a count Redis does not hold, bounded like the memory it comes from. */
  const keepUnsaved = (sessionId: string) => {
    if (unsaved.size >= (options.maxLocalEntries ?? 100_000)) return;
    unsaved.add(sessionId);
  };

  const sweepOwned = () => {
    if (owned.size < 1000) return;
    const at = now();
    for (const [key, lease] of owned) if (lease.expiresAt <= at) owned.delete(key);
  };

  return {
    attach(context: RelayStoreContext) {
      const id = context.websiteId.toLowerCase();
      if (websiteId && websiteId !== id) {
        misconfigured(`this store belongs to website ${websiteId}; use one store per website.`);
      }
      websiteId = id;
      log = context.log;
      if (typeof context.retainMs === 'number' && context.retainMs > 0) retainMs = context.retainMs;
      if (options.now === undefined && context.now) clock = context.now;
      start();
    },

    sharedLimits() {
      // ioredis defines commands (the limiter's Lua script); a client without them keeps the
      // limits in memory.
      if (typeof (client as { defineCommand?: unknown }).defineCommand !== 'function') return;
      return {
        client,
        keyPrefix: `${namespace()}limit:`,
        timeoutMs,
        usable: () => !closed && !suspended && client.status === 'ready',
      };
    },

    async getCount(sessionId) {
      const key = `${namespace()}count:${sessionId}`;
      const text = await attempt(() => client.get(key));
      if (typeof text === 'string') {
        try {
          const entry: unknown = JSON.parse(text);
          if (isEntry(entry)) return entry;
        } catch {
          // A value we did not write: ignored.
        }
      }
      // Redis is down, or lost the key (restarted without persistence): this instance's copy,
      // written back at once when Redis answered, else when it returns.
      const mine = await local.getCount(sessionId);
      if (mine === undefined) return undefined;
      if (text === null) {
        const write = () => client.set(key, encode(mine), 'PX', retainMs, 'NX');
        if ((await attempt(write)) === DOWN) keepUnsaved(sessionId);
      } else keepUnsaved(sessionId);
      return mine;
    },

    async setCount(sessionId, entry, keepMs) {
      await local.setCount(sessionId, entry, keepMs);
      const key = `${namespace()}count:${sessionId}`;
      const ms = Math.max(1, Math.ceil(keepMs));
      const done = await attempt(() => client.set(key, encode(entry), 'PX', ms));
      if (done === DOWN) keepUnsaved(sessionId);
      else unsaved.delete(sessionId);
    },

    async deriveCount(sessionId, delta, at, keepMs) {
      const keys = [`${namespace()}count:${sessionId}`, `${namespace()}changed:${sessionId}`];
      const ms = Math.max(1, Math.ceil(keepMs));
      const text = await attempt(() => client.eval(deriveScript, 2, ...keys, delta, at, ms));
      if (text === DOWN) {
        const entry = await local.deriveCount?.(sessionId, delta, at, keepMs);
        if (entry) keepUnsaved(sessionId);
        return entry;
      }
      if (typeof text !== 'string') return undefined;
      let entry: unknown;
      try {
        entry = JSON.parse(text);
      } catch {
        return undefined;
      }
      if (!isEntry(entry)) return undefined;
      await local.setCount(sessionId, entry, keepMs);
      await local.markChanged(sessionId, entry.readAt, keepMs);
      return entry;
    },

    async acquire(key, leaseMs) {
      sweepOwned();
      const token = randomId();
      const ms = Math.max(1, Math.ceil(leaseMs));
      const redisKey = `${namespace()}lease:${key}`;
      const taken = await attempt(() => client.set(redisKey, token, 'PX', ms, 'NX'));
      if (taken === DOWN) {
        if (!(await local.acquire(key, leaseMs))) return false;
        owned.set(key, { token, inRedis: false, expiresAt: now() + ms });
        return true;
      }
      if (taken !== 'OK') return false;
      owned.set(key, { token, inRedis: true, expiresAt: now() + ms });
      return true;
    },

    async release(key) {
      const lease = owned.get(key);
      if (!lease) return;
      owned.delete(key);
      if (!lease.inRedis) return local.release(key);
      const redisKey = `${namespace()}lease:${key}`;
      // Not given back (Redis down): it expires on its own.
      await attempt(() => client.eval(releaseScript, 1, redisKey, lease.token));
    },

    async takeBudget(counter, limit) {
      const budget = budgetOf(counter);
      const pending = budget.pending;
      const key = `${namespace()}budget:${counter}`;
      const result = await attempt(() =>
        client.eval(takeBudgetScript, 1, key, limit, budget.seen, pending, budgetKeepMs),
      );
      if (Array.isArray(result) && result.length === 2) {
        budget.pending -= pending;
        budget.seen = Math.max(budget.seen, Number(result[1]) || 0);
        return Number(result[0]) === 1;
      }
      // Redis unreachable: spend from what this instance last saw of the shared counter.
      if (budget.seen + budget.pending >= limit) return false;
      budget.pending++;
      return true;
    },

    async budgetUsed(counter, { wait = true } = {}) {
      const budget = budgetOf(counter);
      const key = `${namespace()}budget:${counter}`;
      budget.reading ??= attempt(() => client.get(key), false).then((text) => {
        if (typeof text === 'string') budget.seen = Math.max(budget.seen, Number(text) || 0);
        budget.reading = undefined;
      });
      const reading = budget.reading;
      // `/healthz` never waits on Redis: the figure last read, this read landing for the next.
      if (wait) await reading;
      return budget.seen + budget.pending;
    },

    async markChanged(sessionId, at, retainMs) {
      await local.markChanged(sessionId, at, retainMs);
      const key = `${namespace()}changed:${sessionId}`;
      const ms = Math.max(1, Math.ceil(retainMs));
      await attempt(() => client.eval(keepLaterScript, 1, key, at, ms));
    },

    async getChanged(sessionId) {
      const key = `${namespace()}changed:${sessionId}`;
      const text = await attempt(() => client.get(key));
      const shared = typeof text === 'string' ? Number(text) || 0 : 0;
      const mine = (await local.getChanged(sessionId)) ?? 0;
      const at = Math.max(shared, mine);
      return at > 0 ? at : undefined;
    },

    async getPausedUntil() {
      const key = `${namespace()}paused`;
      const text = await attempt(() => client.get(key));
      const shared = typeof text === 'string' ? Number(text) || 0 : 0;
      const until = Math.max(shared, pausedUntil ?? 0);
      return until > 0 ? until : undefined;
    },

    async setPausedUntil(until) {
      pausedUntil = Math.max(pausedUntil ?? 0, until);
      const ms = Math.ceil(until - now());
      if (ms <= 0) return;
      const key = `${namespace()}paused`;
      await attempt(() => client.eval(keepLaterScript, 1, key, until, ms));
    },

    async publish(message) {
      // This instance's listeners at once, whatever Redis does; the others through the channel.
      deliver(message);
      const text = JSON.stringify({ instance, message });
      const target = channel();
      await attempt(() => client.publish(target, text));
    },

    async subscribe(sessionId, listener) {
      const unsubscribe = await local.subscribe(sessionId, listener);
      await subscriptionReady();
      return unsubscribe;
    },

    async health(): Promise<StoreHealth> {
      // Answers at once: a PING in the background shows a hang in the next answer.
      if (!closed && !suspended && client.status === 'ready') {
        attempt(() => client.ping()).catch(() => undefined);
      }
      const current = state();
      if (current === 'ok') return { status: 'ok' };
      return { status: 'degraded', redis: current === 'connecting' ? 'connecting' : 'unreachable' };
    },

    async close() {
      if (closed) return;
      closed = true;
      decideStart();
      clearTimeout(startTimer);
      clearTimeout(probe);
      probe = undefined;
      owned.clear();
      await local.close?.();
      client.removeListener('error', onError);
      client.removeListener('ready', onClientReady);
      client.removeListener('close', onClientClose);
      const own = subscriber;
      if (!own) return;
      own.removeListener('message', onMessage);
      own.removeListener('ready', onSubscriberReady);
      own.removeListener('close', onSubscriberClose);
      own.removeListener('end', onSubscriberClose);
      // A subscriber we own keeps the listener until it has quit: it may still report an error.
      if (ownsSubscriber) await quitRedis(own, timeoutMs);
      own.removeListener('error', onError);
    },
  };
}

/** Quits an ioredis connection politely, or drops it when QUIT takes longer than `timeoutMs`. */
export async function quitRedis(
  client: { quit(): Promise<unknown>; disconnect(): void },
  timeoutMs: number,
): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await Promise.race([
      client.quit(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error('quit timed out')), timeoutMs);
      }),
    ]);
  } catch {
    client.disconnect();
  } finally {
    clearTimeout(timer);
  }
}
