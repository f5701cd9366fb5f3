import { createUnreadRelay } from './createUnreadRelay';
import type { RelayMetrics } from './metrics';

export { cliRedisOptions } from './cliRedis';
export { type DoctorCheck, type DoctorOptions, doctor } from './doctor';

import {
  cliRedisOptions,
  loadRedisConstructor,
  type OwnedRedisClient,
  parseRedisUrl,
} from './cliRedis';
import { isModuleNotFound } from './moduleNotFound';
import { relayOptionsFromEnv, type ServedRelay, serveUnreadRelay } from './node';
import { quitRedis, redisStore } from './redisStore';
import type { RelayStore } from './types';

/** Where SIGINT/SIGTERM come from (`process`). */
export interface CliSignals {
  once(signal: 'SIGINT' | 'SIGTERM', listener: () => void): unknown;
  removeListener(signal: 'SIGINT' | 'SIGTERM', listener: () => void): unknown;
}

/** Seams of `main`, for tests; the bin uses the defaults. */
export interface CliOptions {
  /** Receives the `listening on` line. Defaults to stdout. */
  out?: ((line: string) => void) | undefined;
  /** The relay's log (and the CLI's). Defaults to `console.warn` (stderr). */
  log?: ((line: string) => void) | undefined;
  /** Closes the relay on SIGINT/SIGTERM, then calls `exit`. Defaults to `process`; `false`: no handlers. */
  signals?: CliSignals | false | undefined;
  /** Called after a signal closed everything (`0`), or failed to (`1`). Defaults to `process.exit`. */
  exit?: ((code: number) => void) | undefined;
  /** Loads the `ioredis` module when `REDIS_URL` is set. Defaults to `import('ioredis')`. */
  loadRedis?: (() => Promise<unknown>) | undefined;
  /**
   * Makes the metrics when `RELAY_METRICS_TOKEN` is set. Defaults to `prometheusMetrics()`, loaded
   * only then (prom-client is an optional peer dependency).
   */
  loadMetrics?: (() => Promise<RelayMetrics>) | undefined;
}

/** A relay started by `main`. */
export interface RunningRelay {
  /** The base URL, e.g. `http://127.0.0.1:8787`. */
  readonly url: string;
  readonly port: number;
  /** The store in use: `'redis'` with `REDIS_URL`, else `'memory'`. */
  readonly store: 'memory' | 'redis';
  /** Closes the server, the relay and its store, and quits the Redis client. Idempotent. */
  close(): Promise<void>;
}

const quitTimeoutMs = 2000;

/** The password of a redis URL in every form it may be printed in (raw, parsed, decoded). */
function passwordsOf(raw: string): string[] {
  const found = new Set<string>();
  const userinfo = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]*)@/i.exec(raw)?.[1];
  const colon = userinfo?.indexOf(':') ?? -1;
  if (userinfo !== undefined && colon !== -1) found.add(userinfo.slice(colon + 1));
  try {
    const password = new URL(raw).password;
    found.add(password);
    found.add(decodeURIComponent(password));
  } catch {
    // Not a URL: refused below, with a message that does not repeat it.
  }
  for (const value of [...found]) {
    try {
      found.add(decodeURIComponent(value));
    } catch {
      // Not percent-encoded.
    }
  }
  found.delete('');
  // Longest first, so that a password containing another form is replaced whole.
  return [...found].sort((a, b) => b.length - a.length);
}

function redactor(secrets: string[]): (text: string) => string {
  return (text) => {
    let safe = text;
    for (const secret of secrets) safe = safe.split(secret).join('[redacted]');
    return safe;
  };
}

/** `prometheusMetrics()`, loaded on demand: prom-client need not be installed otherwise. */
async function prometheusFromPackage(): Promise<RelayMetrics> {
  try {
    const { prometheusMetrics } = await import('./prometheus');
    return prometheusMetrics();
  } catch (error) {
    if (isModuleNotFound(error)) {
      throw new Error(
        'RELAY_METRICS_TOKEN is set but the prom-client package is not installed: install it next ' +
          'to @crisp-unread/relay (npm install prom-client), or unset RELAY_METRICS_TOKEN.',
      );
    }
    throw error;
  }
}

/**
 * Resolves once the store reports `ok` (connected and subscribed), or `false` after `ms`. The
 * relay's log is muted meanwhile, so a start that connects in time logs nothing.
 */
async function storeReady(store: RelayStore, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    const health = await store.health?.().catch(() => undefined);
    if (health?.status === 'ok') return true;
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/**
 * `crisp-unread-relay`: a relay configured from the environment (see README), `PORT` and `HOST`;
 * with `REDIS_URL` (and optionally `REDIS_PREFIX`) its state is shared through Redis. Resolves once
 * it listens; closes itself on SIGINT/SIGTERM and exits.
 */
export async function main(
  env: Record<string, string | undefined> = process.env,
  options: CliOptions = {},
): Promise<RunningRelay> {
  const out = options.out ?? ((line: string) => void process.stdout.write(`${line}\n`));
  const sink = options.log ?? ((line: string) => console.warn(line));
  const signals = options.signals ?? process;
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const redisUrl = env.REDIS_URL?.trim() || undefined;
  const redact = redactor(redisUrl ? passwordsOf(redisUrl) : []);
  let starting = true;
  const log = (line: string) => {
    if (!starting) sink(redact(line));
  };

  let client: OwnedRedisClient | undefined;
  let store: RelayStore | undefined;
  let served: ServedRelay | undefined;
  try {
    const relayOptions = relayOptionsFromEnv(env);
    const port = env.PORT ? Number(env.PORT) : 8787;
    const hostname = env.HOST || '127.0.0.1';
    let url: URL | undefined;
    if (redisUrl) {
      url = parseRedisUrl(redisUrl);
      const Redis = await loadRedisConstructor(options.loadRedis ?? (() => import('ioredis')));
      client = new Redis(redisUrl, { ...cliRedisOptions });
      // ioredis reports each failed reconnection here; the store logs the state changes.
      client.on('error', () => {});
      store = redisStore({ client, prefix: env.REDIS_PREFIX || undefined });
    }
    // `GET /metrics` only with a token: the CLI usually listens where anyone can reach it.
    const metricsToken = env.RELAY_METRICS_TOKEN || undefined;
    const metrics = metricsToken
      ? await (options.loadMetrics ?? prometheusFromPackage)()
      : undefined;
    const relay = createUnreadRelay({
      ...relayOptions,
      ...(store ? { store } : {}),
      ...(metrics ? { metrics, metricsToken } : {}),
      log,
    });
    try {
      // The first requests should share state already: wait (briefly) for Redis.
      const ready = store && url ? await storeReady(store, cliRedisOptions.connectTimeout) : true;
      starting = false;
      if (!ready && url) {
        log(
          `crisp-unread relay: Redis at ${url.protocol}//${url.host} is not reachable yet; ` +
            'serving from this instance until it is.',
        );
      }
      served = await serveUnreadRelay(relay, { port, hostname });
    } catch (error) {
      await relay.close();
      throw error;
    }
  } catch (error) {
    // A relay that never started: give back what was opened (the store may not be attached).
    await store?.close?.().catch(() => undefined);
    client?.disconnect();
    if (error instanceof Error && redact(error.message) !== error.message) {
      throw new Error(redact(error.message));
    }
    throw error;
  }

  const running = served;
  const owned = client;
  let closed: Promise<void> | null = null;
  const close = () => {
    closed ??= (async () => {
      if (signals) {
        signals.removeListener('SIGINT', stop);
        signals.removeListener('SIGTERM', stop);
      }
      try {
        // The relay closes its store, which gives its leases back and ends its subscriber.
        await running.close();
      } finally {
        if (owned) await quitRedis(owned, quitTimeoutMs);
      }
    })();
    return closed;
  };
  const stop = () => {
    close().then(
      () => exit(0),
      (error: unknown) => {
        log(
          `crisp-unread relay: shutdown failed: ${error instanceof Error ? error.message : String(error)}`,
        );
        exit(1);
      },
    );
  };
  if (signals) {
    signals.once('SIGINT', stop);
    signals.once('SIGTERM', stop);
  }
  out(`crisp-unread relay listening on ${running.url}`);
  return {
    url: running.url,
    port: running.port,
    store: owned ? 'redis' : 'memory',
    close,
  };
}
