import type { Hono, MiddlewareHandler } from 'hono';
import { bearerAuth } from 'hono/bearer-auth';
import type { RelayEnv } from './requestClient';
import { errorBody } from './responses';
import type { BudgetReport, BudgetShareName, UpstreamFailure } from './types';

/** How an upstream call ended: `ok`, `session-not-found`, or the failure's code. */
export type UpstreamOutcome = 'ok' | UpstreamFailure['code'];

/** How a cached count served a read: `hit` (fresh), `stale` (answered, read again), `miss`. */
export type CacheResult = 'hit' | 'stale' | 'miss';

/**
 * What became of a web hook: `accepted` (200: `read`, `deferred`, or ignored as a `duplicate`,
 * another `website`, another `event`, no `session`), or `rejected` with the error code it got.
 */
export type HookResult = 'accepted' | 'rejected';

/** What a metrics exporter reads when it is scraped; secret-free, no session id. */
export interface RelayMetricsSource {
  /** SSE streams open in this instance. */
  openStreams(): number;
  /** The daily budget as `GET /healthz` reports it (shared by every instance with Redis). */
  budget(): Promise<BudgetReport>;
}

/**
 * Where a relay reports what it does, for `GET /metrics`. `prometheusMetrics()` from
 * `@crisp-unread/relay/prometheus` is one (prom-client); any object of this shape is another.
 * Labels are closed sets (shares, outcomes, reasons): never a session id, a key or a secret.
 */
export interface RelayMetrics {
  /** The `Content-Type` of `render()`. */
  readonly contentType: string;
  /** Called once by the relay that uses it. */
  attach(source: RelayMetricsSource): void;
  /** One call to Crisp, counted against `share`, ended with `outcome`. */
  upstreamCall(share: BudgetShareName, outcome: UpstreamOutcome): void;
  /** A web hook answered, and why. */
  hook(result: HookResult, reason: string): void;
  /** A client's read of a count. */
  cacheRead(result: CacheResult): void;
  /** The exposition text. */
  render(): Promise<string>;
}

/**
 * `GET /metrics` (behind `Authorization: Bearer <token>` when a token is given), and the count of
 * every web hook answered. Mounted before the web hook route.
 */
export function mountMetricsRoute(
  routes: Hono<RelayEnv>,
  metrics: RelayMetrics,
  token: string | undefined,
  source: RelayMetricsSource,
): void {
  metrics.attach(source);
  if (token !== undefined) {
    const refused = {
      message: () =>
        errorBody(
          401,
          'unauthorized',
          'GET /metrics needs `Authorization: Bearer <metricsToken>`.',
        ),
    };
    // bearerAuth compares in constant time; it refuses by throwing (the relay's onError answers).
    routes.use(
      '/metrics',
      bearerAuth({
        token,
        noAuthenticationHeader: refused,
        invalidAuthenticationHeader: refused,
        invalidToken: refused,
      }),
    );
  }
  routes.get('/metrics', async () => {
    const text = await metrics.render();
    return new Response(text, {
      headers: { 'Content-Type': metrics.contentType, 'Cache-Control': 'no-store' },
    });
  });
  routes.use('/webhooks/crisp', countHooks(metrics));
}

/** Counts each web hook by what the route answered: no edit inside the route itself. */
export function countHooks(metrics: RelayMetrics): MiddlewareHandler {
  return async (c, next) => {
    await next();
    const { result, reason } = await hookResultOf(c.res);
    metrics.hook(result, reason);
  };
}

/** The route answers JSON: `{ ok, ignored?, deferred? }` on 200, `{ error }` otherwise. */
async function hookResultOf(response: Response): Promise<{ result: HookResult; reason: string }> {
  let body: Record<string, unknown> = {};
  try {
    const parsed: unknown = await response.clone().json();
    if (typeof parsed === 'object' && parsed !== null) body = parsed as Record<string, unknown>;
  } catch {
    // Not JSON: the status says enough.
  }
  if (response.status === 200) {
    const reason =
      typeof body.ignored === 'string'
        ? body.ignored
        : body.deferred === true
          ? 'deferred'
          : 'read';
    return { result: 'accepted', reason };
  }
  const reason = typeof body.error === 'string' ? body.error : `status-${response.status}`;
  return { result: 'rejected', reason };
}
