import type { ConnectionInfo, RelayRequestContext } from './types';

/** A token bucket per client, in memory. Full buckets are forgotten when the map grows. */
export class RateLimiter {
  readonly #burst: number;
  readonly #perMs: number;
  readonly #now: () => number;
  readonly #buckets = new Map<string, { tokens: number; at: number }>();

  constructor(options: { burst: number; perSecond: number }, now: () => number) {
    this.#burst = options.burst;
    this.#perMs = options.perSecond / 1000;
    this.#now = now;
  }

  /** Takes one token: `0` when allowed, else the milliseconds until a token is back. */
  take(client: string): number {
    const bucket = this.#refill(client);
    this.#buckets.set(client, bucket);
    if (bucket.tokens < 1) return this.#untilToken(bucket);
    bucket.tokens -= 1;
    if (this.#buckets.size > 50_000) this.#sweep(bucket.at);
    return 0;
  }

  /**
   * Takes nothing: `0` when a token is there, else the milliseconds until one is back. For
   * buckets that pay for failures only (bad signatures): looked at first, taken after. A client
   * without a bucket gets none, so that looking cannot grow the map.
   */
  wait(client: string): number {
    if (!this.#buckets.has(client)) return 0;
    const bucket = this.#refill(client);
    this.#buckets.set(client, bucket);
    return bucket.tokens < 1 ? this.#untilToken(bucket) : 0;
  }

  /** The client's bucket with the tokens given back since it was last seen. */
  #refill(client: string): { tokens: number; at: number } {
    const at = this.#now();
    const bucket = this.#buckets.get(client) ?? { tokens: this.#burst, at };
    bucket.tokens = Math.min(this.#burst, bucket.tokens + (at - bucket.at) * this.#perMs);
    bucket.at = at;
    return bucket;
  }

  #untilToken(bucket: { tokens: number }): number {
    return Math.ceil((1 - bucket.tokens) / this.#perMs);
  }

  #sweep(at: number): void {
    for (const [client, bucket] of this.#buckets) {
      if (bucket.tokens + (at - bucket.at) * this.#perMs >= this.#burst)
        this.#buckets.delete(client);
    }
  }
}

/**
 * The address `hops` trusted proxies vouch for in an `X-Forwarded-For` value: each proxy appends
 * the peer it saw, so only the right-most `hops` entries were written by the trusted proxies and
 * the rest by whoever the client is. The `hops`-th from the right (the left-most when the list is
 * shorter, as Express's `trust proxy` count does), or `null` for a missing or malformed header.
 */
export function forwardedClient(header: string | null, hops: number): string | null {
  if (!header) return null;
  const entries = header.split(',');
  const entry = entries[Math.max(0, entries.length - hops)]?.trim();
  return entry && entry.length <= 64 ? entry : null;
}

/** The default client id: see `UnreadRelayOptions.clientId`. */
export function defaultClientId(trustProxy: boolean | number) {
  const hops = trustProxy === true ? 1 : trustProxy === false ? 0 : trustProxy;
  return (request: Request, connection: ConnectionInfo): string =>
    (hops > 0 ? forwardedClient(request.headers.get('x-forwarded-for'), hops) : null) ??
    connection.remoteAddress ??
    'shared';
}

/**
 * The peer address the runtime gives: the server's `{ clientAddress }` (Deno, Workers), Node
 * bindings (`incoming`) or Bun's server (`requestIP`).
 */
export function connectionOf(request: Request, env: unknown): ConnectionInfo {
  if (typeof env !== 'object' || env === null) return {};
  const given = (env as RelayRequestContext).clientAddress;
  // Bounded like a forwarded entry: the address keys a map, whoever built the value.
  if (typeof given === 'string' && given !== '' && given.length <= 64) {
    return { remoteAddress: given };
  }
  const node = (env as { incoming?: { socket?: { remoteAddress?: unknown } } }).incoming;
  const address = node?.socket?.remoteAddress;
  if (typeof address === 'string') return { remoteAddress: address };
  const bun = env as { requestIP?: (request: Request) => { address?: unknown } | null };
  if (typeof bun.requestIP === 'function') {
    try {
      const ip = bun.requestIP(request)?.address;
      if (typeof ip === 'string') return { remoteAddress: ip };
    } catch {
      return {};
    }
  }
  return {};
}
