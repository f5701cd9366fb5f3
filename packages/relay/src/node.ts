import type { AddressInfo } from 'node:net';
import { misconfigured } from '@crisp-unread/core';
import { serve } from '@hono/node-server';
import type { UnreadRelay, UnreadRelayOptions } from './types';

/** Options of `serveUnreadRelay`. */
export interface ServeOptions {
  /** The TCP port; `0` picks a free one (read it back from `url`). Defaults to `8787`. */
  port?: number | undefined;
  /** The address to listen on. Defaults to `'127.0.0.1'`. */
  hostname?: string | undefined;
}

/** A relay listening on a Node HTTP server. */
export interface ServedRelay {
  /** The base URL, e.g. `http://127.0.0.1:8787` (no trailing slash). */
  readonly url: string;
  readonly port: number;
  /** Closes the relay (ending its streams) and the server. Idempotent. */
  close(): Promise<void>;
}

/** Serves a relay with `@hono/node-server`; the connection address feeds the rate limiter. */
export async function serveUnreadRelay(
  relay: UnreadRelay,
  options: ServeOptions = {},
): Promise<ServedRelay> {
  const { port = 8787, hostname = '127.0.0.1' } = options;
  let server: ReturnType<typeof serve> | undefined;
  const info = await new Promise<AddressInfo>((resolve, reject) => {
    server = serve(
      {
        fetch: relay.fetch,
        port,
        hostname,
        // Headers are size-limited here; bodies by the relay itself.
        serverOptions: { maxHeaderSize: 16_384, requestTimeout: 30_000 },
      },
      (address) => resolve(address),
    );
    server.once('error', reject);
  });
  const host = info.family === 'IPv6' ? `[${info.address}]` : info.address;
  let closed: Promise<void> | null = null;
  return {
    url: `http://${host}:${info.port}`,
    port: info.port,
    close() {
      closed ??= (async () => {
        await relay.close();
        await new Promise<void>((resolve) => {
          const http = server as unknown as {
            close(callback: () => void): void;
            closeAllConnections?: (() => void) | undefined;
          };
          http.close(() => resolve());
          http.closeAllConnections?.();
        });
      })();
      return closed;
    },
  };
}

/** `RELAY_TRUST_PROXY`: `1`/`true` (one proxy), a number of hops, or `0`/`false`/unset. */
function trustProxyFromEnv(value: string | undefined): boolean | number {
  const text = value?.trim().toLowerCase() ?? '';
  if (text === '' || text === 'false' || text === '0') return false;
  if (text === 'true' || text === '1') return true;
  if (/^\d{1,2}$/.test(text)) return Number(text);
  return misconfigured(
    '`RELAY_TRUST_PROXY` must be true, false or a number of proxy hops.',
    'crisp-unread relay',
  );
}

/** A boolean variable: `true`/`1`, `false`/`0`, or unset (the option's default). */
function booleanFromEnv(name: string, value: string | undefined): boolean | undefined {
  const text = value?.trim().toLowerCase() ?? '';
  if (text === '') return undefined;
  if (text === 'true' || text === '1') return true;
  if (text === 'false' || text === '0') return false;
  return misconfigured(`\`${name}\` must be true or false.`, 'crisp-unread relay');
}

/**
 * Relay options from environment variables: `CRISP_WEBSITE_ID`, `CRISP_IDENTIFIER`, `CRISP_KEY`
 * (required), `CRISP_TIER`, `CRISP_API_URL`, `CRISP_WEBHOOK_SECRET`, `CRISP_WEBHOOK_TOKEN`, `RELAY_TTL_MS`,
 * `RELAY_DAILY_BUDGET`, `RELAY_SAFETY_REFRESH_MS`, `RELAY_FAILURE_MEMORY_MS`,
 * `RELAY_ALLOWED_ORIGINS` (comma-separated, or `*`), `RELAY_BASE_PATH`,
 * `RELAY_TRUST_PROXY` (`1`/`true`, or a number of proxy hops), `RELAY_MAX_STREAMS`,
 * `RELAY_MAX_STREAMS_PER_CLIENT`, `RELAY_RETAIN_MS`, `RELAY_FIRST_READ_WAIT_MS`,
 * `RELAY_DERIVE_FROM_HOOKS` and `RELAY_ASSUME_UNSEEN_SESSIONS` (`true`/`false`). Throws `misconfigured` naming the variable for a bad value;
 * `createUnreadRelay(() => relayOptionsFromEnv())` reads them on the first request instead.
 */
export function relayOptionsFromEnv(
  env: Record<string, string | undefined> = process.env,
): UnreadRelayOptions {
  const number = (name: string) => {
    const value = env[name];
    if (value === undefined || value === '') return undefined;
    const parsed = Number(value);
    if (!Number.isFinite(parsed))
      misconfigured(`\`${name}\` must be a number.`, 'crisp-unread relay');
    return parsed;
  };
  const origins = env.RELAY_ALLOWED_ORIGINS?.trim();
  return {
    websiteId: env.CRISP_WEBSITE_ID ?? '',
    identifier: env.CRISP_IDENTIFIER ?? '',
    key: env.CRISP_KEY ?? '',
    tier: (env.CRISP_TIER || undefined) as UnreadRelayOptions['tier'],
    baseUrl: env.CRISP_API_URL || undefined,
    webhookSecret: env.CRISP_WEBHOOK_SECRET || undefined,
    webhookToken: env.CRISP_WEBHOOK_TOKEN || undefined,
    ttlMs: number('RELAY_TTL_MS'),
    dailyBudget: number('RELAY_DAILY_BUDGET'),
    safetyRefreshMs: number('RELAY_SAFETY_REFRESH_MS'),
    failureMemoryMs: number('RELAY_FAILURE_MEMORY_MS'),
    allowedOrigins: !origins
      ? undefined
      : origins === '*'
        ? '*'
        : origins
            .split(',')
            .map((origin) => origin.trim())
            .filter(Boolean),
    basePath: env.RELAY_BASE_PATH || undefined,
    trustProxy: trustProxyFromEnv(env.RELAY_TRUST_PROXY),
    maxStreams: number('RELAY_MAX_STREAMS'),
    maxStreamsPerClient: number('RELAY_MAX_STREAMS_PER_CLIENT'),
    retainMs: number('RELAY_RETAIN_MS'),
    firstReadWaitMs: number('RELAY_FIRST_READ_WAIT_MS'),
    deriveFromHooks: booleanFromEnv('RELAY_DERIVE_FROM_HOOKS', env.RELAY_DERIVE_FROM_HOOKS),
    assumeUnseenSessions: booleanFromEnv(
      'RELAY_ASSUME_UNSEEN_SESSIONS',
      env.RELAY_ASSUME_UNSEEN_SESSIONS,
    ),
  };
}

export type { UnreadRelay, UnreadRelayOptions } from './types';
