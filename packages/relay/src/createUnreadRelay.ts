import { Hono } from 'hono';
import { cors } from 'hono/cors';
import { HTTPException } from 'hono/http-exception';
import { mountCountRoute } from './countRoute';
import { mountHealthRoutes } from './healthRoute';
import { lazyRelay } from './lazyRelay';
import { relayCloser } from './relayLifecycle';
import { resolveOptions } from './relayOptions';
import { type RelayParts, relayParts } from './relayParts';
import type { RelayEnv } from './requestClient';
import { errorBody } from './responses';
import { mountStreamRoute } from './streamRoute';
import type { UnreadRelay, UnreadRelayOptions } from './types';
import { mountWebhookRoute } from './webhookRoute';

export { countEvents } from './webhookRoute';

/**
 * The relay: Crisp's REST key stays here, browsers get counts (`GET /sessions/{id}/unread`, SSE
 * at `…/unread/stream`), and Crisp's web hooks (`POST /webhooks/crisp`) push changes.
 * A fetch handler built on hono: Node, Bun, Deno, Workers, Next.js route handlers.
 *
 * Given options, it checks them at once and throws a `misconfigured` error. Given a function
 * returning them, it calls it on the first request, once: a module that builds the relay then
 * loads without credentials (a Next.js build), and a relay that lacks one answers every request
 * 500 `misconfigured` naming the option, and logs it once.
 */
export function createUnreadRelay(
  options: UnreadRelayOptions | (() => UnreadRelayOptions),
): UnreadRelay {
  return typeof options === 'function' ? lazyRelay(options, createRelay) : createRelay(options);
}

function createRelay(options: UnreadRelayOptions): UnreadRelay {
  const parts = relayParts(resolveOptions(options));
  const app = new Hono<RelayEnv>();
  const { basePath } = parts.settings;
  const routes = basePath ? app.basePath(basePath) : app;
  mountCors(routes, parts.settings.allowedOrigins);
  mountHealthRoutes(routes, parts);
  mountCountRoute(routes, parts);
  mountStreamRoute(routes, parts);
  mountHooks(routes, parts);
  app.notFound(() => errorBody(404, 'not-found', 'No such route.'));
  app.onError((error) => {
    // hono's middleware (bearerAuth on /metrics) refuses by throwing its answer.
    if (error instanceof HTTPException) return error.getResponse();
    parts.log(
      `crisp-unread relay: internal error: ${error instanceof Error ? error.name : 'unknown'}`,
    );
    return errorBody(500, 'internal', 'The relay failed.');
  });
  return {
    fetch: async (request, env, executionContext) =>
      app.fetch(request, env as never, executionContext as never),
    stats: () => ({
      upstreamCalls: parts.reader.upstreamCalls,
      streams: parts.streams.size,
      watchedSessions: parts.watchers.size,
    }),
    close: relayCloser(parts),
  };
}

/** CORS on the session routes for the allowed origins; none (same-origin pages) by default. */
function mountCors(routes: Hono<RelayEnv>, origins: readonly string[] | '*'): void {
  if (origins !== '*' && origins.length === 0) return;
  const allowed = origins === '*' ? null : new Set(origins);
  routes.use(
    '/sessions/*',
    cors({
      origin: (origin) => (allowed === null ? '*' : allowed.has(origin) ? origin : null),
      allowMethods: ['GET', 'OPTIONS'],
      allowHeaders: ['Last-Event-ID', 'Accept'],
      exposeHeaders: ['Retry-After'],
      maxAge: 600,
    }),
  );
}

/** `POST /webhooks/crisp`: each signed hook marks, derives or re-reads its session's count. */
function mountHooks(routes: Hono<RelayEnv>, parts: RelayParts): void {
  const { settings: s, reader, watchers } = parts;
  mountWebhookRoute(routes, {
    secret: s.webhookSecret,
    token: s.webhookToken,
    health: parts.hookHealth,
    websiteId: parts.websiteId,
    maxBytes: s.maxWebhookBytes,
    toleranceMs: s.webhookToleranceMs,
    now: s.now,
    store: parts.store,
    client: parts.client,
    failedSignatures: parts.limits.failedSignatures,
    hook: async (sessionId, effect) => {
      const known = s.deriveFromHooks ? effect : 'unknown';
      const outcome = await reader.hook(sessionId, watchers.has(sessionId), known);
      // Nobody watches or caches it: marked changed, read on the next demand.
      if (outcome === null) return { count: null, deferred: true };
      return { count: outcome.kind === 'count' && !outcome.stale ? outcome.entry.count : null };
    },
    removed: (sessionId) => reader.remove(sessionId),
  });
}
