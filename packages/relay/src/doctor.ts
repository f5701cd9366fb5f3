import { crispRest, isUnreadError } from '@crisp-unread/core';
import { cliRedisOptions, loadRedisConstructor, parseRedisUrl } from './cliRedis';
import { createUnreadRelay } from './createUnreadRelay';
import { relayOptionsFromEnv } from './node';
import type { UnreadRelayOptions } from './types';

/** One check of `crisp-unread-relay doctor`: what was found and, when it fails, the fix. */
export interface DoctorCheck {
  readonly name: string;
  /** `ok`, `fail` (the exit code is then 1), or `note` (advice that fails nothing). */
  readonly result: 'ok' | 'fail' | 'note';
  readonly detail: string;
  readonly fix?: string | undefined;
}

/** Seams of `doctor`, for tests; the bin uses the defaults. */
export interface DoctorOptions {
  /** Receives each printed line. Defaults to stdout. */
  out?: ((line: string) => void) | undefined;
  /** Pings Redis at `REDIS_URL` (never echoing it): `null` when it answers, else why not. */
  pingRedis?: ((url: string) => Promise<string | null>) | undefined;
  /** Deadline of the Crisp read. Defaults to `10000`. */
  timeoutMs?: number | undefined;
}

/**
 * `crisp-unread-relay doctor`: reads the same environment as the CLI and checks the configuration,
 * the REST key, tier and plugin subscription (one read of `CRISP_SESSION_ID`, or of a well-formed
 * random session: Crisp's 404 `session_not_found` for it proves all three), the web hook settings
 * with the URL to give Crisp, and Redis when `REDIS_URL` is set. Prints each check with its fix;
 * resolves with the exit code, 0 only when every check passed. Never prints a secret.
 */
export async function doctor(
  env: Record<string, string | undefined> = process.env,
  options: DoctorOptions = {},
): Promise<number> {
  const out = options.out ?? ((line: string) => void process.stdout.write(`${line}\n`));
  const checks: DoctorCheck[] = [];
  const print = (check: DoctorCheck) => {
    checks.push(check);
    const label = { ok: 'ok  ', fail: 'FAIL', note: 'note' }[check.result];
    out(`${label}  ${check.name}: ${check.detail}`);
    if (check.fix) out(`      fix: ${check.fix}`);
  };
  out('crisp-unread-relay doctor');

  const settings = configuration(env);
  print(settings.check);
  if (settings.options) {
    print(await crispAccess(settings.options, env.CRISP_SESSION_ID, options.timeoutMs ?? 10_000));
    for (const check of hookSettings(settings.options, env)) print(check);
  }
  const redisUrl = env.REDIS_URL?.trim();
  if (redisUrl) print(await redisCheck(redisUrl, options.pingRedis ?? pingRedis));

  const failed = checks.filter((check) => check.result === 'fail').length;
  out(failed === 0 ? 'all checks passed' : `${failed} check(s) failed`);
  return failed === 0 ? 0 : 1;
}

/** The options the CLI would run with, checked by `createUnreadRelay` itself. */
function configuration(env: Record<string, string | undefined>): {
  check: DoctorCheck;
  options?: UnreadRelayOptions;
} {
  try {
    const options = relayOptionsFromEnv(env);
    // The relay's own checks (its messages name the option, never its value).
    void createUnreadRelay({ ...options, log: false }).close();
    return {
      options,
      check: {
        name: 'configuration',
        result: 'ok',
        detail: `website ${options.websiteId.toLowerCase()}, tier ${options.tier ?? 'plugin'}, API ${options.baseUrl ?? 'https://api.crisp.chat'}`,
      },
    };
  } catch (error) {
    return {
      check: {
        name: 'configuration',
        result: 'fail',
        detail: error instanceof Error ? error.message : 'invalid',
        fix: 'set the variable it names (see the README: CRISP_WEBSITE_ID, CRISP_IDENTIFIER, CRISP_KEY, …)',
      },
    };
  }
}

/** A well-formed session id no visitor has. */
function randomSessionId(): string {
  return `session_${globalThis.crypto.randomUUID()}`;
}

/** One read through core's `crispRest`, exactly as the relay reads, judged by what Crisp said. */
async function crispAccess(
  options: UnreadRelayOptions,
  given: string | undefined,
  timeoutMs: number,
): Promise<DoctorCheck> {
  const name = 'Crisp key, tier and plugin subscription';
  const sessionId = given?.trim().toLowerCase() || randomSessionId();
  const which = given ? 'CRISP_SESSION_ID' : 'a random session';
  try {
    const source = crispRest({
      websiteId: options.websiteId,
      identifier: options.identifier,
      key: options.key,
      tier: options.tier,
      baseUrl: options.baseUrl,
      timeoutMs,
    });
    const count = await source.read(sessionId, { signal: AbortSignal.timeout(timeoutMs + 1000) });
    return { name, result: 'ok', detail: `read ${which}: ${count} unread` };
  } catch (error) {
    if (!isUnreadError(error)) {
      return { name, result: 'fail', detail: 'the read failed unexpectedly' };
    }
    const status = error.status ? ` (${error.status})` : '';
    switch (error.code) {
      case 'session-not-found':
        return {
          name,
          result: 'ok',
          detail: given
            ? 'Crisp answered 404 session_not_found for CRISP_SESSION_ID: the key, tier and subscription work, but that session does not exist'
            : 'Crisp answered 404 session_not_found for a random session: the key, tier and subscription work',
        };
      case 'unauthorized':
        return {
          name,
          result: 'fail',
          detail: `Crisp refused the key${status}`,
          fix: "check CRISP_IDENTIFIER and CRISP_KEY: the token's identifier and key, from the Marketplace (plugin) or the website settings (website token)",
        };
      case 'forbidden':
        return {
          name,
          result: 'fail',
          detail: `Crisp does not allow this token here${status}`,
          fix: 'check CRISP_TIER (plugin for a Marketplace plugin token, website for a website token) and that the token is for CRISP_WEBSITE_ID',
        };
      case 'misconfigured':
        return {
          name,
          result: 'fail',
          detail: 'Crisp answered 404 not_subscribed: the plugin is not installed on this website',
          fix: 'install (subscribe) the plugin on the website in the Crisp Marketplace, or check CRISP_WEBSITE_ID',
        };
      case 'invalid-response':
        return {
          name,
          result: 'fail',
          detail: `Crisp's answer was not understood${status}: ${error.message}`,
          fix: 'check CRISP_API_URL; a 404 with an unknown reason means Crisp changed its API: please report it',
        };
      case 'rate-limited':
        return {
          name,
          result: 'fail',
          detail: `Crisp rate-limited the token${status}`,
          fix: "the token's daily quota is spent, or calls come too fast: try again later",
        };
      default:
        return {
          name,
          result: 'fail',
          detail: `Crisp could not be reached (${error.code})${status}`,
          fix: 'check CRISP_API_URL and that this machine reaches it (proxy, firewall, DNS)',
        };
    }
  }
}

/** What is set for Crisp's two kinds of hooks, and the URL to give Crisp (tokens as placeholders). */
function hookSettings(
  options: UnreadRelayOptions,
  env: Record<string, string | undefined>,
): DoctorCheck[] {
  const publicUrl =
    env.RELAY_PUBLIC_URL?.trim().replace(/\/+$/, '') ||
    `http://${env.HOST || '127.0.0.1'}:${env.PORT || '8787'}${options.basePath ?? ''}`;
  const guessed = !env.RELAY_PUBLIC_URL?.trim();
  const where = guessed
    ? ' (set RELAY_PUBLIC_URL to the address Crisp reaches this relay at, with RELAY_BASE_PATH if any)'
    : '';
  const url = `${publicUrl}/webhooks/crisp`;
  const secret = options.webhookSecret !== undefined;
  const token = options.webhookToken !== undefined;
  const checks: DoctorCheck[] = [];
  if (!secret && !token) {
    checks.push({
      name: 'web hooks',
      result: 'note',
      detail:
        'none configured: counts are re-read every RELAY_TTL_MS (15 s) while watched, which spends the daily quota on time, not on events',
      fix: 'set CRISP_WEBHOOK_SECRET (Plugin Hooks) or CRISP_WEBHOOK_TOKEN (Website Hooks) and give Crisp the hook URL',
    });
    return checks;
  }
  if (secret) {
    checks.push({
      name: 'Plugin Hooks',
      result: 'ok',
      detail: `signed with CRISP_WEBHOOK_SECRET (set); in the plugin's settings in the Crisp Marketplace, hook URL: ${url}${where}`,
    });
  }
  if (token) {
    checks.push({
      name: 'Website Hooks',
      result: 'ok',
      detail: `not signed by Crisp, so authenticated by CRISP_WEBHOOK_TOKEN (set) in their URL; in Crisp's website settings (Web Hooks), URL: ${url}?token=<CRISP_WEBHOOK_TOKEN>${where}`,
    });
  } else if (options.tier === 'website') {
    checks.push({
      name: 'Website Hooks',
      result: 'fail',
      detail:
        'CRISP_TIER is website but CRISP_WEBHOOK_TOKEN is not set: Website Hooks are not signed, so every one would be refused',
      fix: 'set CRISP_WEBHOOK_TOKEN to 32 random hex digits (openssl rand -hex 16) and add ?token=<it> to the hook URL in Crisp',
    });
  }
  return checks;
}

async function redisCheck(
  url: string,
  ping: (url: string) => Promise<string | null>,
): Promise<DoctorCheck> {
  let host = 'REDIS_URL';
  try {
    const parsed = new URL(url);
    host = `${parsed.protocol}//${parsed.host}`;
  } catch {}
  const problem = await ping(url).catch((error: unknown) =>
    error instanceof Error ? error.message : 'failed',
  );
  if (problem === null) return { name: 'Redis', result: 'ok', detail: `${host} answers PING` };
  return {
    name: 'Redis',
    result: 'fail',
    detail: `${host}: ${problem}`,
    fix: 'check REDIS_URL (host, port, password, redis:// or rediss://) and that ioredis is installed; unset it to run on one instance',
  };
}

/** PINGs Redis with ioredis (the CLI's options), in at most 3 s. Never repeats the URL. */
async function pingRedis(url: string): Promise<string | null> {
  parseRedisUrl(url);
  const Redis = await loadRedisConstructor(() => import('ioredis'));
  const client = new Redis(url, {
    ...cliRedisOptions,
    retryStrategy: () => null,
    lazyConnect: true,
  });
  client.on('error', () => {});
  try {
    await Promise.race([
      (async () => {
        await client.connect();
        await client.ping();
      })(),
      new Promise((_, reject) => setTimeout(() => reject(new Error('no answer in 3 s')), 3000)),
    ]);
    return null;
  } catch (error) {
    const message = error instanceof Error ? error.message : 'unreachable';
    // ioredis messages name the host and port at most; a password never reaches them.
    return message.includes('@') ? 'unreachable' : message;
  } finally {
    client.disconnect();
  }
}
