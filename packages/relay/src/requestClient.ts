import type { Context } from 'hono';
import type { ConnectionInfo, RelayRequestContext } from './types';

/** The hono environment of the relay's routes: who the request comes from, named once. */
export interface RelayEnv {
  Variables: { client: string | undefined };
}

/**
 * Names a request's client (`UnreadRelayOptions.clientId`) the first time a limit asks, and
 * keeps the name on the context. Not a middleware: one on every route would take hono off its
 * single-handler path for cache hits, which need no client at all when limits are off.
 */
export function clientOf(
  clientId: (request: Request, connection: ConnectionInfo) => string,
): (c: Context<RelayEnv>) => string {
  return (c) => {
    let client = c.get('client');
    if (client === undefined) {
      client = clientId(c.req.raw, connectionOf(c.req.raw, c.env));
      c.set('client', client);
    }
    return client;
  };
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
