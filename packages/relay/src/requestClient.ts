import type { Context } from 'hono';
import { connectionOf } from './rateLimiter';
import type { ConnectionInfo } from './types';

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
