import type { ConnectionInfo } from './types';

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
    const at = this.#now();
    const bucket = this.#buckets.get(client) ?? { tokens: this.#burst, at };
    bucket.tokens = Math.min(this.#burst, bucket.tokens + (at - bucket.at) * this.#perMs);
    bucket.at = at;
    if (bucket.tokens < 1) {
      this.#buckets.set(client, bucket);
      return Math.ceil((1 - bucket.tokens) / this.#perMs);
    }
    bucket.tokens -= 1;
    this.#buckets.set(client, bucket);
    if (this.#buckets.size > 50_000) this.#sweep(at);
    return 0;
  }

  #sweep(at: number): void {
    for (const [client, bucket] of this.#buckets) {
      if (bucket.tokens + (at - bucket.at) * this.#perMs >= this.#burst)
        this.#buckets.delete(client);
    }
  }
}

/** The default client id: see `UnreadRelayOptions.clientId`. */
export function defaultClientId(trustProxy: boolean) {
  return (request: Request, connection: ConnectionInfo): string => {
    if (trustProxy) {
      const first = request.headers.get('x-forwarded-for')?.split(',', 1)[0]?.trim();
      if (first && first.length <= 64) return first;
    }
    return connection.remoteAddress ?? 'shared';
  };
}

/** The peer address the runtime gives: Node bindings (`incoming`) or Bun's server (`requestIP`). */
export function connectionOf(request: Request, env: unknown): ConnectionInfo {
  if (typeof env !== 'object' || env === null) return {};
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
