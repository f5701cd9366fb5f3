import type { MiddlewareHandler } from 'hono';
import { connectionOf } from './rateLimiter';
import type { ConnectionInfo } from './types';

/** The hono environment of the relay's routes: who the request comes from, named once. */
export interface RelayEnv {
  Variables: { client: string };
}

/** Names the request's client (`UnreadRelayOptions.clientId`) for every limit that follows. */
export function identifyClient(
  clientId: (request: Request, connection: ConnectionInfo) => string,
): MiddlewareHandler<RelayEnv> {
  return async (c, next) => {
    c.set('client', clientId(c.req.raw, connectionOf(c.req.raw, c.env)));
    await next();
  };
}
